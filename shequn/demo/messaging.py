"""Demo messaging: an in-app channel, a dev-inbox SMS channel, templates, and a month of messages
(delivered, read, clicked, one refused for consent) so the message log and the member inbox have life."""

import random

from django.utils import timezone

from shequn.accounts.actors import staff_actor
from shequn.accounts.models import StaffUser
from shequn.core import pii
from shequn.members.models import Consent, Member
from shequn.messaging import consent, links, sending
from shequn.messaging.models import Message
from shequn.messaging.services import create_channel, save_template

from . import data

MEMBER_DAY = ("{{ member.name }}您好！本月 8 号会员日，{{ member.tier }}全场 9 折，积分 {{ member.points }} "
              "可当钱花。进店逛逛：{{ link.shop }}")


def load_messaging(hq: StaffUser, rng: random.Random, sample: int = 60) -> str:
    actor = staff_actor(hq)
    inbox = create_channel(actor, name="会员中心站内信", kind="in_app")
    sms = create_channel(actor, name="短信（开发收件箱）", kind="sms", provider="dev")
    member_day = save_template(actor, channel=inbox, name="8 号会员日", purpose="marketing",
                               subject_zh="8 号会员日，全场 9 折", body_zh=MEMBER_DAY,
                               subject_en="Member day on the 8th",
                               body_en="Hi {{ member.name }}, 10% off everything on the 8th: {{ link.shop }}")
    points = save_template(actor, channel=inbox, name="积分余额提醒", purpose="service", subject_zh="您的积分",
                           body_zh="{{ member.name }}，您当前有 {{ member.points }} 积分，可在会员商城兑换好礼。")
    save_template(actor, channel=sms, name="自提提醒", purpose="transactional",
                  body_zh="【社群】{{ member.name }}，您的订单已到{{ store.name }}，请凭会员码自提。")
    showcase = Member.objects.filter(phone_hash=pii.blind_index(data.DEMO_PHONE)).first()
    marketing = set(Consent.objects.filter(purpose="marketing", granted=True).values_list("member_id", flat=True))
    others = Member.objects.filter(pk__in=marketing, home_store__isnull=False).exclude(pk=getattr(showcase, "pk", None))
    members = list(others.order_by("?")[:sample])
    sent = refused = 0
    for member in ([showcase] if showcase else []) + members:
        for template in (member_day, points):
            if template.purpose == "marketing" and consent.marketing_refusal(member, "in_app"):
                refused += 1
                continue
            message = sending.compose(actor, channel=inbox, member=member, template=template, source="demo",
                                      audit_it=False, enqueue=False)
            sending.deliver(message.pk)
            sent += 1
            if member != showcase and rng.random() < 0.45:
                Message.objects.filter(pk=message.pk).update(read_at=timezone.now(), opened_at=timezone.now())
                link = message.links.first()
                if link is not None and rng.random() < 0.4:
                    links.record_click(link.code, "demo")
    return f"{sent} 条站内信（{refused} 位会员未同意营销未发）"
