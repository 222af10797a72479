"""What the member card shows: tier look, benefits, progress to the next tier, QR code."""

import datetime as dt
from zoneinfo import ZoneInfo

import segno
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

from shequn.core.clock import local_date
from shequn.loyalty import selectors
from shequn.loyalty.models import LoyaltyAccount, Tier
from shequn.loyalty.tiers import progress_to_next
from shequn.members.models import Member

TIER_LOOKS = 4  # card gradients in h5.css: tier-0 … tier-3


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
    """950 -> '95折', 900 -> '9折', 885 -> '88.5折'."""
    if permille % 100 == 0:
        return f"{permille // 100}折"
    return f"{permille / 10:g}折"


def tier_look(tier: Tier) -> str:
    return f"tier-{min(tier.rank, TIER_LOOKS - 1)}"


def benefits(tier: Tier) -> list[dict]:
    items = []
    if tier.discount_permille < 1000:
        items.append({"icon": "折", "title": f"购物享 {discount_text(tier.discount_permille)}",
                      "note": "门店与线上商城通用"})
    items.append({"icon": "积", "title": f"消费积分 ×{tier.points_multiplier_pct / 100:g}",
                  "note": "每消费 1 元累积积分，按等级加倍"})
    if tier.birthday_gift or tier.birthday_points:
        gift = "、".join(filter(None, [tier.birthday_gift,
                                      f"{tier.birthday_points} 积分" if tier.birthday_points else ""]))
        items.append({"icon": "礼", "title": "生日礼遇", "note": gift})
    if tier.exclusive_service:
        items.append({"icon": "尊", "title": "专属顾问服务", "note": "一对一会员服务与优先预约"})
    items.append({"icon": "签", "title": "每日签到送积分", "note": "连续签到有额外奖励"})
    return items


def progress(member_id: int, tier: Tier) -> dict | None:
    """'再消费 ¥1,200 升级金卡会员' and a percentage for the bar; None at the top tier."""
    info = progress_to_next(member_id, tier)
    if info is None:
        return None
    nxt, best = info["tier"], info["best"]
    if best is None:
        return {"tier": nxt, "pct": 0, "text": f"下一等级：{nxt.name}"}
    missing = max(0, best["need"] - best["have"])
    if missing == 0:
        text = f"已达到{nxt.name}门槛，即将升级"
    elif best["metric"] == "spend":
        text = f"再消费 {yuan(missing)} 升级{nxt.name}"
    elif best["metric"] == "orders":
        text = f"再消费 {missing} 单升级{nxt.name}"
    else:
        text = f"再获得 {missing:,} 成长值升级{nxt.name}"
    return {"tier": nxt, "pct": best["pct"], "text": text}


def member_qr_svg(member_no: str) -> SafeString:
    """The member number as a QR code for the POS scanner, as inline SVG."""
    qr = segno.make(member_no, error="m", micro=False)
    svg = qr.svg_inline(scale=1, border=2, dark="#111827", light="#ffffff", omitsize=True,
                        svgclass="member-qr", title=f"会员码 {member_no}")
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
