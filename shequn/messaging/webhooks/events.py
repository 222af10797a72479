"""The event types a subscription may choose: the business events Shequn writes to its outbox.

Internal events (login codes, analytics runs, configuration changes) are not offered: they carry
secrets or mean nothing to an integrator.
"""

from django.utils.translation import gettext_lazy as _

ALL = "*"

CATALOGUE: dict[str, list[tuple[str, str]]] = {
    _("会员"): [
        ("member.created", _("会员注册")),
        ("member.updated", _("会员资料变更")),
        ("member.consent_changed", _("营销授权变更")),
        ("member.tags_changed", _("会员标签变更")),
        ("member.checked_in", _("会员签到")),
        ("member.blacklisted", _("会员被拉黑")),
        ("member.unblacklisted", _("会员移出黑名单")),
    ],
    _("积分与等级"): [
        ("points.earned", _("获得积分")),
        ("points.redeemed", _("使用积分")),
        ("points.expired", _("积分过期")),
        ("points.reversed", _("积分冲回")),
        ("points.adjusted", _("积分调整")),
        ("tier.changed", _("等级变更")),
        ("tier.downgrade_warning", _("降级预警")),
    ],
    _("订单"): [
        ("order.placed", _("下单")),
        ("order.paid", _("支付成功")),
        ("order.cancelled", _("订单取消")),
        ("order.fulfilled", _("已配送")),
        ("order.picked_up", _("已自提")),
        ("order.completed", _("订单完成")),
        ("order.refunded", _("退款")),
        ("coupon.issued", _("发放优惠券")),
    ],
    _("社群"): [
        ("group.created", _("新建社群")),
        ("group.member_joined", _("入群")),
        ("group.member_left", _("退群")),
        ("activity.signed_up", _("活动报名")),
        ("activity.checked_in", _("活动签到")),
        ("red_packet.grabbed", _("抢红包")),
    ],
    _("拼团、团购与分销"): [
        ("team.opened", _("拼团开团")),
        ("team.completed", _("拼团成团")),
        ("team.failed", _("拼团失败")),
        ("groupbuy.campaign_opened", _("团购开始")),
        ("groupbuy.campaign_succeeded", _("团购成团")),
        ("groupbuy.campaign_failed", _("团购未成团")),
        ("groupbuy.leader_approved", _("团长审核通过")),
        ("groupbuy.commission_accrued", _("团长佣金入账")),
        ("groupbuy.commission_reversed", _("团长佣金冲回")),
        ("groupbuy.statement_paid", _("团长结算付款")),
        ("referral.attributed", _("推荐关系绑定")),
        ("referral.qualified", _("推荐达标")),
        ("referral.rewarded", _("推荐奖励发放")),
        ("commission.accrued", _("分销佣金入账")),
        ("commission.reversed", _("分销佣金冲回")),
        ("withdrawal.requested", _("提现申请")),
        ("withdrawal.paid", _("提现已打款")),
        ("withdrawal.rejected", _("提现被拒绝")),
    ],
}

LABELS: dict[str, str] = {code: label for items in CATALOGUE.values() for code, label in items}
EVENT_TYPES: frozenset[str] = frozenset(LABELS)


def unknown(events: list[str]) -> list[str]:
    """The entries that are neither a known event type nor the wildcard."""
    return [e for e in events if e != ALL and e not in EVENT_TYPES]


def normalise(events: list[str]) -> list[str]:
    """Sorted, without repeats; the wildcard alone replaces every other entry."""
    if ALL in events:
        return [ALL]
    return sorted(set(events))
