from django.apps import AppConfig


class FlashConfig(AppConfig):
    name = "shequn.commerce.flash"
    label = "flash"
    verbose_name = "秒杀 Flash sale"

    def ready(self) -> None:
        from shequn.commerce import hooks

        from . import services

        hooks.on("cancelled", services.on_order_cancelled)
