"""The values a template may use for one member (plain strings only)."""

from django.urls import reverse
from django.utils import timezone

from shequn.members.models import Member

from .links import public_url, unsubscribe_url
from .templating import COUPON_VARIABLES


def _coupon(member: Member, coupon_id: int | None):
    from shequn.commerce.coupons.models import Coupon

    coupons = Coupon.objects.select_related("template").filter(member=member)
    if coupon_id is not None:
        return coupons.filter(pk=coupon_id).first()
    return (coupons.filter(status=Coupon.Status.AVAILABLE, valid_until__gt=timezone.now())
            .order_by("valid_until", "id").first())


def member_values(member: Member, *, needed: set[str], language: str = "zh-hans",
                  coupon_id: int | None = None, message_id: int | None = None) -> dict[str, str]:
    """Values for the variables in `needed`; coupon look-ups only when a coupon variable is used."""
    from shequn.loyalty.models import LoyaltyAccount

    account = LoyaltyAccount.objects.select_related("tier").filter(pk=member.pk).first()
    english = language.startswith("en")
    values = {
        "member.name": member.name or ("Member" if english else "会员"),
        "member.no": member.member_no,
        "member.tier": account.tier.name if account else "",
        "member.points": str(account.points_balance if account else 0),
        "store.name": member.home_store.name if member.home_store_id else "",
        "link.card": public_url(reverse("h5:card")),
        "link.shop": public_url(reverse("h5:shop")),
        "link.coupons": public_url(reverse("h5:coupons")),
        "link.inbox": public_url(reverse("h5:inbox")),
        "unsubscribe.url": unsubscribe_url(member.pk, message_id),
    }
    if needed & COUPON_VARIABLES:
        coupon = _coupon(member, coupon_id)
        if coupon is not None:
            values.update({"coupon.name": coupon.template.name, "coupon.code": coupon.code,
                           "coupon.expires": timezone.localtime(coupon.valid_until).strftime("%Y-%m-%d")})
    return values
