"""Loyalty writes. Other apps call these; the modules beside it hold the details."""

from django.utils import timezone

from shequn.core.actor import Actor

from .activity import check_in, grant_birthday_gifts, record_purchase, record_refund, share
from .bulk import create_bulk_grant, run_bulk_grant
from .config import create_tier, update_program, update_tier, update_tiers
from .models import LoyaltyAccount, TierChange
from .points import adjust, check_ledgers, earn, expire_due, redeem, reverse
from .program import base_tier, ensure_default_tiers, program
from .tiers import evaluate_upgrade, review_all, review_member, set_tier

__all__ = [
    "adjust", "check_in", "check_ledgers", "create_bulk_grant", "create_tier", "earn", "ensure_default_tiers",
    "evaluate_upgrade", "expire_due", "grant_birthday_gifts", "open_account", "program", "record_purchase",
    "record_refund", "redeem", "reverse", "review_all", "review_member", "run_bulk_grant", "set_tier", "share",
    "update_program", "update_tier", "update_tiers",
]


def open_account(member, actor: Actor) -> LoyaltyAccount:
    """Every member starts at the lowest tier with an empty ledger."""
    tier = base_tier()
    now = timezone.now()
    account = LoyaltyAccount.objects.create(member=member, tier=tier, tier_since=now)
    TierChange.objects.create(member=member, from_tier=None, to_tier=tier, reason="入会",
                              actor_label=actor.label[:150])
    return account
