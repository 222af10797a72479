"""RFM 客群: the named cells an RFM run puts members in, most valuable first. A light module (no pandas or
Ibis), so pages and segment conditions can show the labels without loading the analytics engines."""

from django.utils.translation import gettext_lazy as _

CELLS = {
    "champions": _("冠军客户"),
    "loyal": _("忠诚客户"),
    "potential_loyalist": _("潜力客户"),
    "new": _("新客户"),
    "promising": _("有望客户"),
    "need_attention": _("需要关注"),
    "about_to_sleep": _("即将沉睡"),
    "at_risk": _("有流失风险"),
    "cannot_lose": _("不能失去"),
    "hibernating": _("沉睡客户"),
    "lost": _("已流失"),
}
