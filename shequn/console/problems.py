"""Readable messages, in the operator's language, for the business errors services raise."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequn.core.errors import Problem

MAX_POINTS = "10,000,000"

_MESSAGES = {
    "reason-required": gettext_lazy("请填写原因。"),
    "member-not-found": gettext_lazy("找不到这个会员，或者该会员不属于你的门店。"),
    "not-found": gettext_lazy("找不到你要的内容。"),
    "forbidden": gettext_lazy("你的角色没有权限做这个操作。"),
    "pii-reveal-denied": gettext_lazy("你的角色不能查看完整手机号。"),
    "idempotency-key-reused": gettext_lazy("这个表单已经提交过一次不同的内容，请刷新页面后重新填写。"),
    "empty-grant": gettext_lazy("没有选中任何会员。"),
    "tier-not-found": gettext_lazy("没有这个等级。"),
    "invalid-cursor": gettext_lazy("分页参数无效，请回到第一页。"),
    "store-not-found": gettext_lazy("找不到这个门店。"),
    "store-out-of-scope": gettext_lazy("只能操作你负责的门店。"),
    "invalid-role": gettext_lazy("角色无效。"),
}


def problem_text(problem: Problem) -> str:
    if problem.type == "insufficient-points":
        balance = problem.extra.get("balance")
        requested = problem.extra.get("requested")
        if balance is not None and requested is not None:
            return _("积分不足：该会员当前只有 %(balance)s 积分，不能扣减 %(requested)s 积分。") % {
                "balance": f"{balance:,}", "requested": f"{requested:,}"}
        return _("积分不足，不能扣减。")
    if problem.type == "invalid-points":
        return _("积分必须是大于 0 的整数，单次最多 %(max)s。") % {"max": MAX_POINTS}
    message = _MESSAGES.get(problem.type)
    return str(message) if message is not None else problem.detail
