from django.shortcuts import render
from django.utils.translation import gettext as _

from ..access import console_view
from ..stats import member_cards, points_chart, tier_chart


@console_view("dashboard.view")
def dashboard(request):
    actor = request.actor
    return render(request, "console/dashboard.html", {
        "cards": member_cards(actor),
        "tier_chart": tier_chart(actor),
        "points_chart": points_chart(actor),
        "chart_text": {"members": _("位会员"), "people": _("人"), "issued": _("发放"),
                       "redeemed": _("兑换/扣减"), "expired": _("过期")},
        "nav": "dashboard",
    })
