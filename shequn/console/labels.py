"""Translated display names for stored codes (roles, ledger kinds, sources...).

The models keep their own labels; the console shows these instead so the names follow
the operator's language. Keyed by the stored value: a value missing here is shown as is."""

from django.utils.translation import gettext_lazy as _

ROLES = {
    "owner": _("老板"), "hq_operator": _("总部运营"), "store_manager": _("店长"),
    "community_operator": _("社群运营"), "analyst": _("分析师"),
}

ENTRY_KINDS = {"earn": _("获得"), "redeem": _("兑换"), "expire": _("过期"), "reverse": _("冲正"),
               "adjust": _("调整")}

POINTS_SOURCES = {
    "purchase": _("消费"), "check_in": _("签到"), "share": _("分享"), "manual": _("人工调整"), "gift": _("礼品"),
    "cash_offset": _("积分抵现"), "bulk_grant": _("批量发放"), "birthday": _("生日礼"), "expiry": _("到期"),
    "reversal": _("退款冲正"), "api": "API", "pos": _("收银"), "import": _("导入"),
}

GRANT_STATUSES = {"pending": _("排队中"), "running": _("进行中"), "done": _("已完成"), "failed": _("失败")}

GENDERS = {"unknown": _("未知"), "male": _("男"), "female": _("女")}

MEMBER_SOURCES = {
    "store": _("门店"), "h5": _("会员页"), "mini_program": _("小程序"), "wecom": _("企业微信"),
    "referral": _("推荐"), "import": _("导入"), "api": "API", "pos": _("收银"),
}

EXPIRY_POLICIES = {"end_of_next_year": _("次年年底过期"), "rolling_days": _("获得后 N 天过期"),
                   "never": _("永不过期")}

WEEKDAYS = [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")]


def label(labels: dict, value) -> str:
    return str(labels.get(value, value if value not in (None, "") else "—"))
