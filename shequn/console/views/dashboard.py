from django.shortcuts import render

from ..access import console_view
from ..stats import member_cards, points_chart, tier_chart


@console_view("dashboard.view")
def dashboard(request):
    actor = request.actor
    return render(request, "console/dashboard.html", {
        "cards": member_cards(actor),
        "tier_chart": tier_chart(actor),
        "points_chart": points_chart(actor),
        "nav": "dashboard",
    })
