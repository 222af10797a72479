from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "shequn.analytics"
    label = "analytics"
    verbose_name = "分析 Customer intelligence"

    def ready(self) -> None:
        from shequn.commerce import hooks

        from . import transactions

        hooks.on("paid", transactions.on_order_paid)
        hooks.on("refunded", transactions.on_order_refunded)
