from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "shequn.stores"
    label = "stores"
    verbose_name = "门店 Stores"
