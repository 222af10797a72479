from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "shequn.messaging"
    label = "messaging"
    verbose_name = "消息触达 Messaging"
