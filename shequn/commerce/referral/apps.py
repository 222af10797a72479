from django.apps import AppConfig


class ReferralConfig(AppConfig):
    name = "shequn.commerce.referral"
    label = "referral"
    verbose_name = "裂变与分销 Referral and distribution"

    def ready(self) -> None:
        from shequn.commerce import hooks

        from . import distribution, services, tasks  # noqa: F401  (periodic release of rewards)

        hooks.on("paid", services.on_order_paid)
        hooks.on("refunded", services.on_order_refunded)
        hooks.on("paid", distribution.on_order_paid)
        hooks.on("completed", distribution.on_order_completed)
        hooks.on("refunded", distribution.on_order_refunded)
