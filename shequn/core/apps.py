from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shequn.core"
    label = "core"
    verbose_name = "Shequn core"

    def ready(self) -> None:
        from django.apps import apps
        from django.utils.module_loading import autodiscover_modules

        del apps
        autodiscover_modules("tasks")
