from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "shequn.communities"
    label = "communities"
    verbose_name = "社群 Community groups"
