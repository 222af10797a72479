from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "shequn.commerce"
    label = "commerce"
    verbose_name = "商城 Commerce"

    def ready(self) -> None:
        from shequn.core import ledger_checks

        from . import stock, tasks  # noqa: F401  (periodic jobs: cancel unpaid orders, complete picked-up orders)

        ledger_checks.register("stock", lambda fix: stock.check_stock(fix=fix))
