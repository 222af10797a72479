"""What the member card shows: tier look, benefits, progress to the next tier, QR code."""

import datetime as dt
from zoneinfo import ZoneInfo

import segno
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from shequn.core.clock import local_date
from shequn.loyalty import selectors
from shequn.loyalty.models import LoyaltyAccount, Tier
from shequn.loyalty.tiers import progress_to_next
from shequn.members.models import Member

TIER_LOOKS = 4  # card gradients in h5.css: tier-0 … tier-3
ENTRY_KINDS = {"earn": gettext_lazy("获得"), "redeem": gettext_lazy("兑换"), "expire": gettext_lazy("过期"),
               "reverse": gettext_lazy("冲正"), "adjust": gettext_lazy("调整")}


def member_tz(member: Member) -> str:
    return member.home_store.timezone if member.home_store_id else settings.TIME_ZONE


def local_time(member: Member, at: dt.datetime) -> dt.datetime:
    return at.astimezone(ZoneInfo(member_tz(member)))


def yuan(fen: int) -> str:
    """Whole yuan without decimals: 150000 -> '¥1,500'; 12345 -> '¥123.45'."""
    if fen % 100 == 0:
        return f"¥{fen // 100:,}"
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def discount_text(permille: int) -> str:
    """950 -> '95折', 900 -> '9折', 885 -> '88.5折'; in English 950 -> '5% off'.

    The 折 count (what is paid) and the English "% off" (what is saved) are different
    numbers, so this is a rule per language rather than one translated pattern."""
    if not (get_language() or "zh").startswith("zh"):
        return f"{(1000 - permille) / 10:g}% off"
    if permille % 100 == 0:
        return f"{permille // 100}折"
    return f"{permille / 10:g}折"


def tier_look(tier: Tier) -> str:
    return f"tier-{min(tier.rank, TIER_LOOKS - 1)}"


def benefits(tier: Tier) -> list[dict]:
    items = []
    if tier.discount_permille < 1000:
        discount = discount_text(tier.discount_permille)
        items.append({"icon": _("折"), "title": _("购物享 %(discount)s") % {"discount": discount},
                      "note": _("门店与线上商城通用")})
    times = f"{tier.points_multiplier_pct / 100:g}"
    items.append({"icon": _("积"), "title": _("消费积分 ×%(times)s") % {"times": times},
                  "note": _("每消费 1 元累积积分，按等级加倍")})
    if tier.birthday_gift or tier.birthday_points:
        points = _("%(points)s 积分") % {"points": f"{tier.birthday_points:,}"} if tier.birthday_points else ""
        gift = _("、").join(filter(None, [tier.birthday_gift, points]))
        items.append({"icon": _("礼"), "title": _("生日礼遇"), "note": gift})
    if tier.exclusive_service:
        items.append({"icon": _("尊"), "title": _("专属顾问服务"), "note": _("一对一会员服务与优先预约")})
    items.append({"icon": _("签"), "title": _("每日签到送积分"), "note": _("连续签到有额外奖励")})
    return items


def progress(member_id: int, tier: Tier) -> dict | None:
    """'再消费 ¥1,200 升级金卡会员' and a percentage for the bar; None at the top tier."""
    info = progress_to_next(member_id, tier)
    if info is None:
        return None
    nxt, best = info["tier"], info["best"]
    if best is None:
        return {"tier": nxt, "pct": 0, "text": _("下一等级：%(tier)s") % {"tier": nxt.name}}
    missing = max(0, best["need"] - best["have"])
    if missing == 0:
        text = _("已达到%(tier)s门槛，即将升级") % {"tier": nxt.name}
    elif best["metric"] == "spend":
        text = _("再消费 %(amount)s 升级%(tier)s") % {"amount": yuan(missing), "tier": nxt.name}
    elif best["metric"] == "orders":
        text = ngettext("再消费 %(count)s 单升级%(tier)s", "再消费 %(count)s 单升级%(tier)s", missing) % {
            "count": missing, "tier": nxt.name}
    else:
        text = _("再获得 %(growth)s 成长值升级%(tier)s") % {"growth": f"{missing:,}", "tier": nxt.name}
    return {"tier": nxt, "pct": best["pct"], "text": text}


def entry_kind_label(kind: str) -> str:
    """A ledger entry without a reason is named by its kind (获得, 兑换...)."""
    return str(ENTRY_KINDS.get(kind, kind))


def member_qr_svg(member_no: str) -> SafeString:
    """The member number as a QR code for the POS scanner, as inline SVG."""
    qr = segno.make(member_no, error="m", micro=False)
    svg = qr.svg_inline(scale=1, border=2, dark="#111827", light="#ffffff", omitsize=True,
                        svgclass="member-qr", title=_("会员码 %(no)s") % {"no": member_no})
    return mark_safe(svg)  # segno's own markup; the member number is [A-Z0-9]


def checked_in_today(member: Member, account: LoyaltyAccount) -> bool:
    return account.last_checkin_date == local_date(member_tz(member))


def card_context(member: Member) -> dict:
    account = selectors.account(member.pk)
    return {
        "member": member,
        "account": account,
        "tier": account.tier,
        "tier_look": tier_look(account.tier),
        "progress": progress(member.pk, account.tier),
        "benefits": benefits(account.tier),
        "qr_svg": member_qr_svg(member.member_no),
        "checked_in": checked_in_today(member, account),
    }
