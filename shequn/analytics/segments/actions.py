"""What operators do with a materialised segment: grant it a coupon (活动发放 through the coupons service)."""

from django.utils.translation import gettext as _

from shequn.commerce.coupons import selectors as coupon_selectors
from shequn.commerce.coupons import services as coupons
from shequn.core.actor import Actor
from shequn.core.errors import ValidationProblem
from shequn.members.selectors import members_visible_to

from . import services as S
from .models import Segment

MAX_GRANT = 100_000


def grant_coupon(actor: Actor, segment: Segment, template_id: int, *, ref: str) -> dict:
    """Grant a coupon template to every active member of the segment's last materialisation (within the
    actor's stores). Idempotent per ref, like every coupon grant: a retry gives nobody a second coupon."""
    S.require_materialised(segment)
    template = coupon_selectors.get_template(template_id)
    members = list(members_visible_to(actor).filter(is_active=True, pk__in=S.member_ids(segment))
                   .select_related(None).order_by("pk"))
    if not members:
        raise ValidationProblem(_("这个客群当前没有会员，无法发券。"), type="empty-grant")
    if len(members) > MAX_GRANT:
        raise ValidationProblem(_("一次最多给 %(n)s 位会员发券，请缩小客群。") % {"n": f"{MAX_GRANT:,}"},
                                type="segment-too-large")
    result = coupons.grant(actor, template, members, ref=ref)
    return {"template_id": template.pk, "segment_id": segment.pk, "ref": ref, "members": len(members), **result}
