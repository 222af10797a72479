from django.apps import AppConfig


class CommerceConfig(AppConfig):
    name = "shequn.commerce"
    label = "commerce"
    verbose_name = "商城 Commerce"

    def ready(self) -> None:
        from shequn.core import ledger_checks

        from . import stock, tasks  # noqa: F401  (periodic jobs: cancel unpaid orders, complete picked-up orders)

        ledger_checks.register("stock", lambda fix: stock.check_stock(fix=fix))
        for name, path in LEDGER_CHECKS:
            ledger_checks.register(name, _lazy(path))


# Channel balances recomputed by `shequn check-ledgers` (module path : function).
LEDGER_CHECKS = [
    ("coupons", "shequn.commerce.coupons.services:check_coupons"),
    ("flash-sales", "shequn.commerce.flash.services:check_flash_sales"),
    ("team-seats", "shequn.commerce.teams.services:check_teams"),
    ("leader-commission", "shequn.commerce.groupbuy.commissions:check_leader_commissions"),
    ("referrals", "shequn.commerce.referral.services:check_referrals"),
    ("distribution", "shequn.commerce.referral.distribution:check_distribution"),
]


def _lazy(path: str):
    def check(fix: bool) -> list[dict]:
        from importlib import import_module
        module, name = path.split(":")
        return getattr(import_module(module), name)(fix=fix)
    return check
