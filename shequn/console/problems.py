"""Readable Chinese messages for the business errors services raise."""

from shequn.core.errors import Problem

MAX_POINTS = "10,000,000"

_MESSAGES: dict[str, str] = {
    "reason-required": "请填写原因。",
    "invalid-points": f"积分必须是大于 0 的整数，单次最多 {MAX_POINTS}。",
    "member-not-found": "找不到这个会员，或者该会员不属于你的门店。",
    "not-found": "找不到你要的内容。",
    "forbidden": "你的角色没有权限做这个操作。",
    "pii-reveal-denied": "你的角色不能查看完整手机号。",
    "idempotency-key-reused": "这个表单已经提交过一次不同的内容，请刷新页面后重新填写。",
    "empty-grant": "没有选中任何会员。",
    "tier-not-found": "没有这个等级。",
    "invalid-cursor": "分页参数无效，请回到第一页。",
    "store-not-found": "找不到这个门店。",
    "store-out-of-scope": "只能操作你负责的门店。",
    "invalid-role": "角色无效。",
}


def problem_text(problem: Problem) -> str:
    if problem.type == "insufficient-points":
        balance = problem.extra.get("balance")
        requested = problem.extra.get("requested")
        if balance is not None and requested is not None:
            return f"积分不足：该会员当前只有 {balance:,} 积分，不能扣减 {requested:,} 积分。"
        return "积分不足，不能扣减。"
    return _MESSAGES.get(problem.type, problem.detail)
