"""会员 360 画像 page: headline figures, purchases, groups, loyalty, model scores; recommended products load
separately (HTMX) so the page never waits for the recommendation model."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from shequn.analytics.profile import member_profile
from shequn.analytics.profile_recs import recommended_products
from shequn.members.selectors import get_member

from ..access import console_view, forbidden

RECOMMENDATIONS = 6


def _chart(profile) -> dict:
    return {"months": [m["month"] for m in profile.months],
            "spend": [round(m["spend_fen"] / 100, 2) for m in profile.months],
            "orders": [m["orders"] for m in profile.months],
            "text": {"spend": _("净消费（元）"), "orders": _("订单数"), "unit": _("单")}}


@console_view("members.view")
def member_profile_page(request, member_id: int):
    if not request.actor.can("analytics.view"):
        return forbidden(request)
    profile = member_profile(request.actor, member_id)
    return render(request, "console/member_profile.html", {
        "member": profile.member, "p": profile, "chart": _chart(profile),
        "headline_rfm": next((row["score"] for row in profile.rfm if row["score"]), None), "nav": "members"})


@console_view("members.view")
def member_profile_recommendations(request, member_id: int):
    from shequn.loyalty.models import LoyaltyAccount

    if not request.actor.can("analytics.view"):
        return forbidden(request)
    member = get_member(request.actor, member_id)
    tier = LoyaltyAccount.objects.filter(pk=member.pk).values_list("tier__code", flat=True).first() or ""
    return render(request, "console/partials/member_profile_recs.html",
                  {"member": member, "products": recommended_products(member.pk, tier, k=RECOMMENDATIONS)})
