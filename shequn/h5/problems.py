"""Login errors in the member's language.

The login service words its errors in Chinese with the exact figures (seconds to wait,
attempts left). Those are shown as they are in Chinese; in another language the error's
type gives a translated sentence, with the wait time where the error carries it."""

import math

from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from shequn.core.errors import Problem


def _wait(seconds: int) -> str:
    if seconds <= 120:
        return ngettext("%(n)s 秒", "%(n)s 秒", seconds) % {"n": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(n)s 分钟", "%(n)s 分钟", minutes) % {"n": minutes}


def login_error_text(problem: Problem) -> str:
    if (get_language() or "zh").startswith("zh"):
        return problem.detail
    kind = problem.type
    if kind == "too-many-codes":
        wait = problem.extra.get("retry_after")
        if wait:
            return _("获取验证码太频繁，请 %(wait)s后再试。") % {"wait": _wait(int(wait))}
        return _("获取验证码太频繁，请稍后再试。")
    messages = {
        "invalid-phone": _("请输入正确的 11 位中国大陆手机号。"),
        "invalid-code": _("验证码不正确，请检查后重新输入。"),
        "code-expired": _("验证码已失效，请重新获取。"),
        "too-many-attempts": _("验证码错误次数过多，请重新获取。"),
        "member-inactive": _("该会员账号已停用，请联系门店。"),
        "privacy-not-accepted": _("请阅读并勾选同意《会员隐私政策》。"),
    }
    return messages.get(kind, problem.detail)
