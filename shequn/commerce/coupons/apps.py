from django.apps import AppConfig


class CouponsConfig(AppConfig):
    name = "shequn.commerce.coupons"
    label = "coupons"
    verbose_name = "优惠券 Coupons"

    def ready(self) -> None:
        from shequn.commerce import hooks

        from . import redemption, tasks  # noqa: F401  (tasks: expiry, birthday coupons, new-member subscriber)

        hooks.on("paid", redemption.on_order_paid)
        hooks.on("cancelled", redemption.on_order_cancelled)
        hooks.on("refunded", redemption.on_order_refunded)
