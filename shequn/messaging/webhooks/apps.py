from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "shequn.messaging.webhooks"
    label = "webhooks"
    verbose_name = "Webhook 订阅 Outbound webhooks"
