from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "shequn.commerce.teams"
    label = "teams"
    verbose_name = "拼团 Team purchase"

    def ready(self) -> None:
        from shequn.commerce import hooks

        from . import services, tasks  # noqa: F401  (tasks: the expiry job)

        hooks.on("paid", services.on_order_paid)
        hooks.on("cancelled", services.on_order_cancelled)
        hooks.on("refunded", services.on_order_refunded)
