"""Coupon writes: templates, issuance (claim, campaign grant, new member, birthday, referral, manual), void
and expiry. Redemption with an order is in redemption.py.

Issuing one coupon locks the template row, then the member's holding row for it (per-member limit), then
takes one from the template's stock with a conditional UPDATE (库存 never below zero), in one transaction."""

import calendar
import datetime as dt
import logging
import secrets

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from shequn.analytics import holdouts
from shequn.core import audit, outbox
from shequn.core.actor import SYSTEM, Actor
from shequn.core.clock import local_date

from ..models import Category, Sku
from .errors import CouponLimitReached, CouponNotIssuable, CouponSoldOut, InvalidCouponTemplate
from .models import Coupon, CouponHolding, CouponTemplate

log = logging.getLogger("shequn.coupons")
MAX_FEN = 10_000_000  # ¥100,000: no coupon is worth more
MAX_QUANTITY = 10_000_000
MAX_VALID_DAYS = 3650
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LIMITED_SOURCES = ("claim", "campaign_grant")  # what the per-member limit counts
GRANT_CHUNK = 200


def _int(value, field: str, low: int = 0, high: int = MAX_FEN) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidCouponTemplate(f"{field} must be a whole number between {low} and {high}.", field=field)
    return value


def _clean_scope(scope: str, categories, sku_codes) -> tuple[list[int], list[str]]:
    if scope not in CouponTemplate.Scope.values:
        raise InvalidCouponTemplate("scope must be all, categories or skus.", field="scope")
    if scope == CouponTemplate.Scope.CATEGORIES:
        names = [str(c).strip() for c in categories or () if str(c).strip()]
        found = dict(Category.objects.filter(name__in=names).values_list("name", "pk"))
        missing = [n for n in names if n not in found]
        if not names or missing:
            raise InvalidCouponTemplate(f"Unknown categories: {', '.join(missing)}." if missing
                                        else "Name at least one category.", field="categories", missing=missing)
        return sorted(set(found.values())), []
    if scope == CouponTemplate.Scope.SKUS:
        codes = sorted({str(c).strip() for c in sku_codes or () if str(c).strip()})
        missing = sorted(set(codes) - set(Sku.objects.filter(code__in=codes).values_list("code", flat=True)))
        if not codes or missing:
            raise InvalidCouponTemplate(f"Unknown SKUs: {', '.join(missing)}." if missing
                                        else "Name at least one SKU.", field="sku_codes", missing=missing)
        return [], codes
    return [], []


def _clean_kind(kind: str, amount_fen: int, percent: int, max_discount_fen: int, threshold_fen: int,
                free_sku_code: str) -> dict:
    if kind not in CouponTemplate.Kind.values:
        raise InvalidCouponTemplate("kind must be fixed, percent, threshold or free_item.", field="kind")
    fields = {"amount_fen": 0, "percent": 0, "max_discount_fen": 0, "threshold_fen": 0, "free_sku_code": ""}
    if kind in (CouponTemplate.Kind.FIXED, CouponTemplate.Kind.THRESHOLD):
        fields["amount_fen"] = _int(amount_fen, "amount_fen", 1)
    if kind == CouponTemplate.Kind.THRESHOLD:
        fields["threshold_fen"] = _int(threshold_fen, "threshold_fen", 1)
        if threshold_fen < amount_fen:
            raise InvalidCouponTemplate("满减: the threshold must be at least the amount off.", field="threshold_fen")
    if kind == CouponTemplate.Kind.PERCENT:
        fields["percent"] = _int(percent, "percent", 1, 99)
        fields["max_discount_fen"] = _int(max_discount_fen, "max_discount_fen")
    if kind == CouponTemplate.Kind.FREE_ITEM:
        code = (free_sku_code or "").strip()
        if not code or not Sku.objects.filter(code=code).exists():
            raise InvalidCouponTemplate(f"free_sku_code: no SKU {code!r}." if code else "Name the free SKU.",
                                        field="free_sku_code")
        fields["free_sku_code"] = code
    return fields


def _clean_validity(validity: str, valid_from, valid_until, valid_days: int, now: dt.datetime) -> dict:
    if validity == CouponTemplate.Validity.DAYS:
        return {"valid_days": _int(valid_days, "valid_days", 1, MAX_VALID_DAYS), "valid_from": None,
                "valid_until": None}
    if validity != CouponTemplate.Validity.WINDOW:
        raise InvalidCouponTemplate("validity must be window or days.", field="validity")
    for name, value in (("valid_from", valid_from), ("valid_until", valid_until)):
        if not isinstance(value, dt.datetime) or timezone.is_naive(value):
            raise InvalidCouponTemplate(f"{name} must be a date and time with a time zone.", field=name)
    if valid_until <= valid_from:
        raise InvalidCouponTemplate("valid_until must be after valid_from.", field="valid_until")
    if valid_until <= now:
        raise InvalidCouponTemplate("valid_until is already past.", field="valid_until")
    return {"valid_days": 0, "valid_from": valid_from, "valid_until": valid_until}


def create_template(actor: Actor, *, name: str, kind: str, amount_fen: int = 0, percent: int = 0,
                    max_discount_fen: int = 0, threshold_fen: int = 0, free_sku_code: str = "", scope: str = "all",
                    categories=(), sku_codes=(), min_spend_fen: int = 0, validity: str = "days",
                    valid_from: dt.datetime | None = None, valid_until: dt.datetime | None = None,
                    valid_days: int = 0, per_member_limit: int = 1, total_quantity: int | None = None,
                    stackable: bool = False, claimable: bool = True, auto_issue: str = "", campaign: str = "",
                    now: dt.datetime | None = None) -> CouponTemplate:
    """新建券模板. Every rule is checked before anything is written."""
    name, campaign = (name or "").strip(), (campaign or "").strip()
    if not name or len(name) > 60:
        raise InvalidCouponTemplate("A coupon needs a name of at most 60 characters.", field="name")
    if len(campaign) > 60:
        raise InvalidCouponTemplate("The campaign label has at most 60 characters.", field="campaign")
    fields = _clean_kind(kind, amount_fen, percent, max_discount_fen, threshold_fen, free_sku_code)
    category_ids, codes = _clean_scope(scope, categories, sku_codes)
    if kind == CouponTemplate.Kind.FREE_ITEM and codes and fields["free_sku_code"] not in codes:
        raise InvalidCouponTemplate("The free SKU must be one of the SKUs the coupon applies to.",
                                    field="free_sku_code")
    fields.update(_clean_validity(validity, valid_from, valid_until, valid_days, now or timezone.now()))
    if total_quantity is not None:
        _int(total_quantity, "total_quantity", 1, MAX_QUANTITY)
    if auto_issue not in CouponTemplate.AutoIssue.values:
        raise InvalidCouponTemplate("auto_issue must be empty, new_member or birthday.", field="auto_issue")
    for flag, value in (("stackable", stackable), ("claimable", claimable)):
        if not isinstance(value, bool):
            raise InvalidCouponTemplate(f"{flag} must be true or false.", field=flag)
    with transaction.atomic():
        template = CouponTemplate.objects.create(
            name=name, kind=kind, scope=scope, scope_category_ids=category_ids, scope_sku_codes=codes,
            min_spend_fen=_int(min_spend_fen, "min_spend_fen"), validity=validity,
            per_member_limit=_int(per_member_limit, "per_member_limit", 0, 1000), total_quantity=total_quantity,
            remaining=total_quantity, stackable=stackable, claimable=claimable, auto_issue=auto_issue,
            campaign=campaign, created_by=actor.label[:150], **fields)
        audit.record(actor, "coupon_template.created", template,
                     after={"name": name, "kind": kind, "campaign": campaign, "total_quantity": total_quantity})
        outbox.emit("coupon_template.created", "coupon_template", template.pk, name=name, campaign=campaign)
    return template


def set_status(actor: Actor, template: CouponTemplate, status: str) -> CouponTemplate:
    """暂停 / 恢复发放. Coupons already issued stay usable."""
    if status not in CouponTemplate.Status.values:
        raise InvalidCouponTemplate("status must be active or paused.", field="status")
    with transaction.atomic():
        template = CouponTemplate.objects.select_for_update().get(pk=template.pk)
        if template.status != status:
            before = template.status
            template.status = status
            template.save(update_fields=["status"])
            audit.record(actor, f"coupon_template.{'paused' if status == 'paused' else 'resumed'}", template,
                         before={"status": before}, after={"status": status})
    return template


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))


def _window(template: CouponTemplate, at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    if template.validity == CouponTemplate.Validity.DAYS:
        return at, at + dt.timedelta(days=template.valid_days)
    return template.valid_from, template.valid_until


def _take_one(template: CouponTemplate) -> None:
    """One from the template's stock: a conditional UPDATE, so concurrent issues never oversell."""
    active = CouponTemplate.objects.filter(pk=template.pk, status=CouponTemplate.Status.ACTIVE)
    taken = (active.filter(remaining__isnull=True).update(issued_count=F("issued_count") + 1)
             or active.filter(remaining__gte=1).update(remaining=F("remaining") - 1,
                                                       issued_count=F("issued_count") + 1))
    if taken:
        return
    status = CouponTemplate.objects.filter(pk=template.pk).values_list("status", flat=True).first()
    if status != CouponTemplate.Status.ACTIVE:
        raise CouponNotIssuable(f"「{template.name}」已暂停发放。", reason="paused")
    raise CouponSoldOut(f"「{template.name}」已被领完。")


def _lock_holding(template: CouponTemplate, member) -> CouponHolding:
    CouponHolding.objects.get_or_create(template=template, member=member)
    return CouponHolding.objects.select_for_update().get(template=template, member=member)


def _issue(actor: Actor, template: CouponTemplate, member, source: str, ref: str, at: dt.datetime,
           limited: bool) -> tuple[Coupon, bool]:
    """Inside a transaction: (coupon, created). The per-member limit counts claims and grants only.

    Locks are always taken template row first, then the member's holding row: a grant to many members and
    claims by some of them at the same moment wait for each other instead of deadlocking."""
    CouponTemplate.objects.select_for_update().filter(pk=template.pk).values_list("pk", flat=True).first()
    holding = _lock_holding(template, member)
    if source == Coupon.Source.CLAIM:
        ref = f"claim:{holding.issued + 1}"
    existing = Coupon.objects.filter(template=template, member=member, source=source, ref=ref).first()
    if existing is not None:
        return existing, False
    if limited and template.per_member_limit and holding.issued >= template.per_member_limit:
        raise CouponLimitReached(f"「{template.name}」每人限领 {template.per_member_limit} 张，已领满。",
                                 limit=template.per_member_limit)
    valid_from, valid_until = _window(template, at)
    if valid_until <= at:
        raise CouponNotIssuable(f"「{template.name}」的有效期已结束。", reason="ended")
    _take_one(template)
    coupon = Coupon.objects.create(template=template, member=member, code=_new_code(), source=source, ref=ref,
                                   issued_at=at, valid_from=valid_from, valid_until=valid_until)
    if source in LIMITED_SOURCES:
        CouponHolding.objects.filter(pk=holding.pk).update(issued=F("issued") + 1)
    audit.record(actor, "coupon.issued", coupon, store_id=member.home_store_id,
                 after={"template_id": template.pk, "member_id": member.pk, "source": source, "ref": ref})
    outbox.emit("coupon.issued", "coupon", coupon.pk, template_id=template.pk, member_id=member.pk, source=source,
                campaign=template.campaign)
    return coupon, True


def _template(template) -> CouponTemplate:
    return template if isinstance(template, CouponTemplate) else CouponTemplate.objects.get(pk=template)


def claim(actor: Actor, template: CouponTemplate, member, *, at: dt.datetime | None = None) -> Coupon:
    """领券: the member takes one, within the per-member limit and while the template has stock."""
    template = _template(template)
    if not template.claimable:
        raise CouponNotIssuable(f"「{template.name}」不能自行领取。", reason="not-claimable")
    with transaction.atomic():
        coupon, _ = _issue(actor, template, member, Coupon.Source.CLAIM, "", at or timezone.now(), limited=True)
    return coupon


def issue(actor: Actor, template, member, source: str, ref: str, *, at: dt.datetime | None = None) -> Coupon:
    """Issue one coupon for a reason others own (referral reward, manual gift …). Idempotent per
    (template, member, source, ref): calling again returns the first coupon."""
    template = _template(template)
    ref = (ref or "").strip()
    if source not in Coupon.Source.values or source == Coupon.Source.CLAIM:
        raise InvalidCouponTemplate(f"Unknown issue source {source!r}.", field="source")
    if not ref or len(ref) > 80:
        raise InvalidCouponTemplate("An issued coupon needs a ref of at most 80 characters.", field="ref")
    with transaction.atomic():
        coupon, _ = _issue(actor, template, member, source, ref, at or timezone.now(),
                           limited=source in LIMITED_SOURCES)
    return coupon


def grant(actor: Actor, template, members, *, ref: str, at: dt.datetime | None = None,
          chunk: int = GRANT_CHUNK, holdout_percent: int = 0) -> dict:
    """活动发放 to a list of members. Idempotent per ref: a retried grant gives nobody a second coupon, so a
    grant interrupted midway is finished by running it again. Members at their limit are skipped; when the
    stock runs out the rest get nothing. Each `chunk` of members is its own transaction, so members claiming
    the same coupon meanwhile wait for one chunk, not for the whole grant.

    With `holdout_percent` (1–50) that share of the members, chosen at random but reproducibly, is recorded as
    the grant's control group (对照组) and gets nothing, so the analytics can measure the coupon's uplift."""
    template = _template(template)
    ref = (ref or "").strip()
    if not ref or len(ref) > 80:
        raise InvalidCouponTemplate("A grant needs a ref of at most 80 characters.", field="ref")
    at = at or timezone.now()
    members, held_out = holdouts.assign(actor, kind="coupon", campaign_id=template.pk, ref=ref, members=list(members),
                                        percent=holdout_percent, at=at)
    result = {"issued": 0, "already": 0, "over_limit": 0, "sold_out": 0, "held_out": held_out}
    for start in range(0, len(members), max(chunk, 1)):
        if _grant_chunk(actor, template, members[start:start + max(chunk, 1)], ref, at, result):
            result["sold_out"] = len(members) - result["issued"] - result["already"] - result["over_limit"]
            break
    with transaction.atomic():
        audit.record(actor, "coupon_template.granted", template, after={"ref": ref, **result})
    return result


def _grant_chunk(actor: Actor, template: CouponTemplate, members: list, ref: str, at: dt.datetime,
                 result: dict) -> bool:
    """One transaction of a grant; True when the template ran out."""
    with transaction.atomic():
        for member in members:
            try:
                _, created = _issue(actor, template, member, Coupon.Source.CAMPAIGN_GRANT, ref, at, limited=True)
            except CouponLimitReached:
                result["over_limit"] += 1
                continue
            except CouponSoldOut:
                return True
            result["issued" if created else "already"] += 1
    return False


def _auto_templates(kind: str):
    return CouponTemplate.objects.filter(auto_issue=kind, status=CouponTemplate.Status.ACTIVE).order_by("pk")


def _issue_quietly(template: CouponTemplate, member, source: str, ref: str, at: dt.datetime) -> bool:
    """Automatic issues never fail the caller: a sold-out or ended template is logged and skipped."""
    try:
        with transaction.atomic():
            return _issue(SYSTEM, template, member, source, ref, at, limited=source in LIMITED_SOURCES)[1]
    except (CouponSoldOut, CouponNotIssuable) as exc:
        log.info("coupon template %s not issued to member %s: %s", template.pk, member.pk, exc.detail)
        return False


def issue_new_member(member, *, at: dt.datetime | None = None) -> int:
    """新会员礼: every active new-member template, once per member."""
    at = at or timezone.now()
    return sum(_issue_quietly(t, member, Coupon.Source.NEW_MEMBER, "new_member", at)
               for t in _auto_templates(CouponTemplate.AutoIssue.NEW_MEMBER))


def on_member_created(event) -> None:
    """Outbox subscriber of member.created."""
    from shequn.members.models import Member

    member = Member.objects.filter(pk=int(event.aggregate_id)).first()
    if member is not None and member.is_active:
        issue_new_member(member)


def _born_on(day: dt.date) -> Q:
    born = Q(birthday__month=day.month, birthday__day=day.day)
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        born |= Q(birthday__month=2, birthday__day=29)  # 2月29日 birthdays, in common years
    return born


def issue_birthday(today: dt.date | None = None, *, at: dt.datetime | None = None) -> int:
    """生日券: members born today (shop time zone) get each active birthday template, once a year."""
    from shequn.members.models import Member

    today = today or local_date()
    at = at or timezone.now()
    issued = 0
    templates = list(_auto_templates(CouponTemplate.AutoIssue.BIRTHDAY))
    if not templates:
        return 0
    for member in Member.objects.filter(_born_on(today), is_active=True).order_by("pk").iterator():
        for template in templates:
            issued += _issue_quietly(template, member, Coupon.Source.BIRTHDAY, f"birthday:{today.year}", at)
    return issued


def void(actor: Actor, coupon: Coupon, *, reason: str) -> Coupon:
    """作废 an unused coupon (issued by mistake, fraud review …)."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise InvalidCouponTemplate("Voiding needs a reason of at most 200 characters.", field="reason")
    with transaction.atomic():
        coupon = Coupon.objects.select_for_update().get(pk=coupon.pk)
        if coupon.status == Coupon.Status.VOID:
            return coupon
        if coupon.status not in (Coupon.Status.AVAILABLE, Coupon.Status.EXPIRED):
            raise CouponNotIssuable(f"Coupon {coupon.code} is {coupon.get_status_display()}; only unused coupons "
                                    "can be voided.", reason="in-use")
        before = coupon.status
        coupon.status = Coupon.Status.VOID
        coupon.save(update_fields=["status"])
        audit.record(actor, "coupon.voided", coupon, before={"status": before}, after={"reason": reason})
    return coupon


def expire_due(now: dt.datetime | None = None) -> int:
    """Unused coupons past their validity become expired (a locked one waits for its order)."""
    return Coupon.objects.filter(status=Coupon.Status.AVAILABLE, valid_until__lte=now or timezone.now()).update(
        status=Coupon.Status.EXPIRED)


def check_coupons(fix: bool = False) -> list[dict]:
    """Recompute what is cached from the coupons themselves: each template's issued count and remaining stock,
    each member's holding count, and that the coupons on an order add up to its coupon discount.
    With fix, the cached counts are rewritten (coupon/order mismatches are reported only)."""
    from django.db.models import Count, Sum

    from ..models import Order

    problems = []
    counts = dict(Coupon.objects.values("template_id").annotate(n=Count("id")).values_list("template_id", "n"))
    for t in CouponTemplate.objects.order_by("pk"):
        issued = counts.get(t.pk, 0)
        remaining = None if t.total_quantity is None else t.total_quantity - issued
        if (t.issued_count, t.remaining) != (issued, remaining):
            problems.append({"kind": "coupon_template", "id": t.pk, "issued_count": t.issued_count,
                             "coupons": issued, "remaining": t.remaining, "expected_remaining": remaining})
            if fix:
                CouponTemplate.objects.filter(pk=t.pk).update(issued_count=issued, remaining=remaining)
    held = {(r["template_id"], r["member_id"]): r["n"] for r in Coupon.objects.filter(source__in=LIMITED_SOURCES)
            .values("template_id", "member_id").annotate(n=Count("id"))}
    for h in CouponHolding.objects.order_by("pk"):
        expected = held.get((h.template_id, h.member_id), 0)
        if h.issued != expected:
            problems.append({"kind": "coupon_holding", "id": h.pk, "issued": h.issued, "coupons": expected})
            if fix:
                CouponHolding.objects.filter(pk=h.pk).update(issued=expected)
    on_orders = (Coupon.objects.filter(status__in=[Coupon.Status.LOCKED, Coupon.Status.USED])
                 .values("order_id").annotate(fen=Sum("discount_fen")))
    discounts = dict(Order.objects.filter(pk__in=[r["order_id"] for r in on_orders])
                     .values_list("pk", "coupon_discount_fen"))
    for row in on_orders:
        if row["order_id"] is None or discounts.get(row["order_id"]) != row["fen"]:
            problems.append({"kind": "coupon_order", "id": row["order_id"], "coupons_fen": row["fen"],
                             "order_coupon_discount_fen": discounts.get(row["order_id"])})
    return problems
