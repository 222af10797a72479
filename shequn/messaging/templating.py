"""Message templates: `{{ member.name }}`-style variables from a fixed list, nothing else.

The engine only looks names up in a flat dictionary of strings built for one member: no attribute
access, no filters, no tags, so an operator's template can never reach into the system. Unknown names
are refused when the template is saved.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from shequn.core.errors import ValidationProblem

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*\}\}")
STRAY = re.compile(r"\{\{|\}\}|\{%|%\}")

# name → what it is (shown in the console next to the editor)
VARIABLES: dict[str, str] = {
    "member.name": _("会员姓名（没有时为“会员”）"),
    "member.no": _("会员号"),
    "member.tier": _("会员等级名称"),
    "member.points": _("积分余额"),
    "store.name": _("所属门店"),
    "coupon.name": _("最快到期的可用券名称"),
    "coupon.expires": _("这张券的到期日"),
    "coupon.code": _("这张券的券码"),
    "link.card": _("会员中心链接"),
    "link.shop": _("会员商城链接"),
    "link.coupons": _("我的优惠券链接"),
    "link.inbox": _("消息中心链接"),
    "unsubscribe.url": _("一键退订链接（邮件）"),
}
COUPON_VARIABLES = {"coupon.name", "coupon.expires", "coupon.code"}


class UnknownVariables(ValidationProblem):
    type, title = "unknown-template-variables", "Unknown template variables"


class MissingValue(ValidationProblem):
    type, title = "template-value-missing", "Template value missing"


@dataclass(frozen=True)
class Rendered:
    text: str
    used: list[str]  # variable names in order of first appearance


def variables_in(text: str) -> list[str]:
    seen: list[str] = []
    for name in VARIABLE.findall(text or ""):
        if name not in seen:
            seen.append(name)
    return seen


def validate(text: str, *, field: str = "body") -> list[str]:
    """The variables a template text uses; unknown names or stray braces are refused."""
    names = variables_in(text)
    unknown = [n for n in names if n not in VARIABLES]
    if unknown:
        raise UnknownVariables(
            f"Unknown variables {', '.join(unknown)}; use one of {', '.join(VARIABLES)}.",
            field=field, unknown=unknown)
    if STRAY.search(VARIABLE.sub("", text or "")):
        raise ValidationProblem("Write variables as {{ member.name }}; other braces are not allowed.",
                                type="invalid-template-syntax", field=field)
    return names


def render(text: str, values: dict[str, str]) -> Rendered:
    """Fill the variables; a variable without a value for this member (no coupon…) is refused."""
    used = validate(text)
    missing = [n for n in used if values.get(n) in (None, "")]
    if missing:
        raise MissingValue(f"No value for {', '.join(missing)} for this member.", missing=missing)
    return Rendered(VARIABLE.sub(lambda m: str(values[m.group(1)]), text or ""), used)


def provider_params(used: list[str], values: dict[str, str]) -> dict:
    """SMS template parameters: named (member_name) for Alibaba Cloud, ordered for Tencent Cloud."""
    return {"named": {n.replace(".", "_"): str(values[n]) for n in used},
            "ordered": [str(values[n]) for n in used]}
