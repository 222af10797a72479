"""Coupon reads: templates with their usage, a member's coupons, the cost report per campaign."""

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from shequn.core.actor import Actor

from .errors import CouponNotFound
from .models import Coupon, CouponTemplate

TABS = ("available", "used", "expired")


def templates(*, status: str = "", campaign: str = "", q: str = "") -> QuerySet[CouponTemplate]:
    qs = CouponTemplate.objects.all()
    if status:
        qs = qs.filter(status=status)
    if campaign:
        qs = qs.filter(campaign=campaign)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(campaign__icontains=q))
    return qs


def get_template(template_id: int) -> CouponTemplate:
    template = CouponTemplate.objects.filter(pk=template_id).first() if 0 < template_id < 2**63 else None
    if template is None:
        raise CouponNotFound(f"No coupon template {template_id}.", type="coupon-template-not-found")
    return template


def claimable_template(template_id: int) -> CouponTemplate:
    """A template a member may claim from a page: active and claimable (others look like they do not exist)."""
    template = get_template(template_id)
    if not template.claimable:
        raise CouponNotFound(f"No coupon template {template_id}.", type="coupon-template-not-found")
    return template


def member_coupons(member, tab: str = "", now: dt.datetime | None = None) -> QuerySet[Coupon]:
    """我的优惠券 by tab: available (usable now or held by an unpaid order), used, expired (incl. void)."""
    now = now or timezone.now()
    qs = Coupon.objects.select_related("template", "order").filter(member=member)
    if tab == "available":
        return qs.filter(Q(status=Coupon.Status.AVAILABLE, valid_until__gt=now) | Q(status=Coupon.Status.LOCKED)
                         ).order_by("valid_until", "pk")
    if tab == "used":
        return qs.filter(status=Coupon.Status.USED).order_by("-used_at", "-pk")
    if tab == "expired":
        return qs.filter(Q(status__in=[Coupon.Status.EXPIRED, Coupon.Status.VOID])
                         | Q(status=Coupon.Status.AVAILABLE, valid_until__lte=now)).order_by("-valid_until", "-pk")
    return qs


def get_member_coupon(member, coupon_id: int) -> Coupon:
    coupon = member_coupons(member).filter(pk=coupon_id).first() if 0 < coupon_id < 2**63 else None
    if coupon is None:
        raise CouponNotFound(f"No coupon {coupon_id} for this member.")
    return coupon


def usage(template_ids=None, actor: Actor | None = None, since: dt.datetime | None = None,
          until: dt.datetime | None = None) -> dict[int, dict]:
    """Per template: coupons used with paid orders, their discount, and the orders' sales net of refunds.
    Coupons given back by a cancel or a full refund are no longer used, so they drop out here."""
    used = Coupon.objects.filter(status=Coupon.Status.USED)
    if template_ids is not None:
        used = used.filter(template_id__in=list(template_ids))
    if actor is not None and actor.scoped:
        used = used.filter(order__store_id__in=actor.store_ids)
    if since:
        used = used.filter(used_at__gte=since)
    if until:
        used = used.filter(used_at__lt=until)
    rows = {r["template_id"]: {"used": r["used"], "discount_fen": r["discount"] or 0, "orders": r["orders"],
                               "sales_fen": 0}
            for r in used.values("template_id").annotate(used=Count("id"), discount=Sum("discount_fen"),
                                                         orders=Count("order", distinct=True))}
    for row in rows.values():
        row["order_sales"] = {}
    for template_id, order_id, paid, refunded in used.values_list("template_id", "order_id", "order__paid_fen",
                                                                  "order__refunded_fen"):
        rows[template_id]["order_sales"][order_id] = paid - refunded
    for row in rows.values():
        row["sales_fen"] = sum(row["order_sales"].values())
    return rows


def cost_report(actor: Actor | None = None, *, campaign: str = "", since: dt.datetime | None = None,
                until: dt.datetime | None = None) -> list[dict]:
    """券成本: per campaign, its templates with issued / used / discount / orders / sales."""
    qs = templates(campaign=campaign).order_by("campaign", "pk")
    stats = usage([t.pk for t in qs], actor, since, until)
    campaigns: dict[str, dict] = defaultdict(lambda: {"issued": 0, "used": 0, "discount_fen": 0, "orders": 0,
                                                      "sales_fen": 0, "templates": []})
    order_sales: dict[str, dict[int, int]] = defaultdict(dict)  # an order with two coupons counts once
    for template in qs:
        stat = stats.get(template.pk, {"used": 0, "discount_fen": 0, "orders": 0, "sales_fen": 0, "order_sales": {}})
        row = {"template_id": template.pk, "name": template.name, "kind": template.kind,
               "issued": template.issued_count, **{k: v for k, v in stat.items() if k != "order_sales"}}
        total = campaigns[template.campaign]
        total["templates"].append(row)
        for key in ("issued", "used", "discount_fen"):
            total[key] += row[key]
        order_sales[template.campaign].update(stat["order_sales"])
    for name, total in campaigns.items():
        total["orders"], total["sales_fen"] = len(order_sales[name]), sum(order_sales[name].values())
    return [{"campaign": name, **values} for name, values in campaigns.items()]


def members_for_grant(actor: Actor, *, member_ids=(), member_nos=(), tag: str = "", tier: str = "",
                      limit: int = 10_000) -> list:
    """The members a grant goes to, within the actor's stores: listed ids or numbers, or everyone with a tag
    or of a tier. Unknown ids or numbers are refused by name so an operator can fix the list."""
    from shequn.members.selectors import members_visible_to

    from .errors import InvalidCouponTemplate

    visible = members_visible_to(actor).filter(is_active=True)
    chosen: dict[int, object] = {}
    if member_ids or member_nos:
        nos = [str(n).strip() for n in member_nos if str(n).strip()]
        found = list(visible.filter(Q(pk__in=[i for i in member_ids if 0 < i < 2**63]) | Q(member_no__in=nos)))
        missing = ([str(i) for i in member_ids if i not in {m.pk for m in found}]
                   + [n for n in nos if n not in {m.member_no for m in found}])
        if missing:
            raise InvalidCouponTemplate(f"Unknown members: {', '.join(missing[:20])}.", type="unknown-members",
                                        field="members", missing=missing[:100])
        chosen.update((m.pk, m) for m in found)
    if tag:
        chosen.update((m.pk, m) for m in visible.filter(tags__name=tag))
    if tier:
        chosen.update((m.pk, m) for m in visible.filter(loyalty__tier__code=tier))
    if not chosen:
        raise InvalidCouponTemplate("Nobody to grant to: give member numbers, a tag or a tier with members.",
                                    type="no-members", field="members")
    if len(chosen) > limit:
        raise InvalidCouponTemplate(f"At most {limit} members in one grant; split it.", field="members")
    return [chosen[k] for k in sorted(chosen)]
