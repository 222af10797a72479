from django.apps import AppConfig


class GroupBuyConfig(AppConfig):
    name = "shequn.commerce.groupbuy"
    label = "groupbuy"
    verbose_name = "社群团购 Group buy"

    def ready(self) -> None:
        from . import commissions, tasks  # noqa: F401  (order hooks; close-campaign job)

        commissions.register_hooks()
