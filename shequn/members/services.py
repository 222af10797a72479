"""Member writes: create, update, reveal phone (audited), consents, tags."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from shequn.core import audit, outbox, pii, sequences
from shequn.core.actor import Actor
from shequn.core.errors import Conflict, PermissionDenied, ValidationProblem
from shequn.core.phones import InvalidPhone, normalise_cn_mobile
from shequn.stores.models import Store

from .models import Consent, Member, Tag

PRIVACY_NOTICE_VERSION = "2026-01"


class MemberExists(Conflict):
    type, title = "member-exists", "Member already exists"


def format_member_no(n: int) -> str:
    return f"M{n:08d}"


def next_member_numbers(count: int) -> list[str]:
    return [format_member_no(n) for n in sequences.reserve("member_no", count)]


def phone_fields(phone: str) -> dict:
    """The stored form of a normalised phone: ciphertext, keyed hash, masked."""
    return {"phone_encrypted": pii.encrypt(phone), "phone_hash": pii.blind_index(phone),
            "phone_masked": pii.mask_phone(phone)}


def _validate_phone(raw: str) -> str:
    try:
        return normalise_cn_mobile(raw)
    except InvalidPhone as exc:
        raise ValidationProblem(str(exc), type="invalid-phone", field="phone") from exc


def _check_store_scope(actor: Actor, store: Store | None) -> None:
    if actor.store_ids is not None and (store is None or store.pk not in actor.store_ids):
        raise PermissionDenied("You can only add members to your own stores.", type="store-out-of-scope")


def create_member(actor: Actor, *, phone: str | None, name: str = "", store: Store | None = None,
                  birthday: dt.date | None = None, gender: str = Member.Gender.UNKNOWN,
                  external_id: str | None = None, source: str = Member.Source.API,
                  referrer: Member | None = None, tags: list[str] | None = None,
                  consents: dict[str, bool] | None = None, joined_at: dt.datetime | None = None) -> Member:
    """Register a member with a basic-tier loyalty account, in one transaction."""
    from shequn.loyalty.services import open_account

    normalised = _validate_phone(phone) if phone else None
    if not normalised and not external_id:
        raise ValidationProblem("A member needs a phone number or an external id.", type="invalid-member")
    if birthday and birthday > timezone.localdate():
        raise ValidationProblem("The birthday is in the future.", type="invalid-birthday", field="birthday")
    _check_store_scope(actor, store)
    fields = phone_fields(normalised) if normalised else {}
    try:
        with transaction.atomic():
            if normalised and Member.objects.filter(phone_hash=fields["phone_hash"]).exists():
                raise MemberExists(f"A member with phone {pii.mask_phone(normalised)} already exists.")
            if external_id and Member.objects.filter(external_id=external_id).exists():
                raise MemberExists(f"A member with external id {external_id} already exists.")
            member = Member.objects.create(
                member_no=next_member_numbers(1)[0], name=name.strip()[:64], home_store=store,
                birthday=birthday, gender=gender, external_id=external_id or None, source=source,
                referrer=referrer, joined_at=joined_at or timezone.now(), **fields)
            if tags:
                set_tags(actor, member, tags, audit_it=False)
            for purpose, granted in (consents or {}).items():
                record_consent(actor, member, purpose, granted, source="registration", audit_it=False)
            open_account(member, actor)
            audit.record(actor, "member.created", member, store_id=store.pk if store else None,
                         after={"member_no": member.member_no, "name": member.name,
                                "phone": member.phone_masked, "store": store.code if store else None})
            outbox.emit("member.created", "member", member.pk, member_no=member.member_no,
                        store=store.code if store else None, source=source)
    except IntegrityError as exc:
        raise MemberExists("A member with this phone or external id already exists.") from exc
    return member


def update_member(actor: Actor, member: Member, **changes) -> Member:
    """Change profile fields; phone changes are re-encrypted and checked for duplicates."""
    allowed = {"name", "birthday", "gender", "home_store", "phone"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationProblem(f"Cannot change: {', '.join(sorted(unknown))}", type="invalid-field")
    before = {"name": member.name, "birthday": str(member.birthday or ""), "gender": member.gender,
              "store": member.home_store_id, "phone": member.phone_masked}
    with transaction.atomic():
        if "phone" in changes:
            normalised = _validate_phone(changes.pop("phone"))
            fields = phone_fields(normalised)
            if Member.objects.filter(phone_hash=fields["phone_hash"]).exclude(pk=member.pk).exists():
                raise MemberExists(f"Another member has phone {fields['phone_masked']}.")
            changes.update(fields)
        if "home_store" in changes:
            _check_store_scope(actor, changes["home_store"])
        for field, value in changes.items():
            setattr(member, field, value)
        member.save()
        after = {"name": member.name, "birthday": str(member.birthday or ""), "gender": member.gender,
                 "store": member.home_store_id, "phone": member.phone_masked}
        audit.record(actor, "member.updated", member, before=before, after=after,
                     store_id=member.home_store_id)
        outbox.emit("member.updated", "member", member.pk)
    return member


def reveal_phone(actor: Actor, member: Member) -> str:
    """Show the full phone number to a role that may see it; every reveal is audited."""
    if not actor.can("members.reveal_pii"):
        raise PermissionDenied("Your role may not see full phone numbers.", type="pii-reveal-denied")
    with transaction.atomic():
        audit.record(actor, "member.phone_revealed", member, store_id=member.home_store_id)
    return member.phone


def record_consent(actor: Actor, member: Member, purpose: str, granted: bool, *, source: str = "",
                   notice_version: str = PRIVACY_NOTICE_VERSION, audit_it: bool = True) -> Consent:
    if purpose not in Consent.Purpose.values:
        raise ValidationProblem(f"Unknown consent purpose {purpose!r}.", type="invalid-consent")
    with transaction.atomic():
        consent = Consent.objects.create(member=member, purpose=purpose, granted=granted,
                                         notice_version=notice_version, source=source)
        if audit_it:
            audit.record(actor, "member.consent", member, after={"purpose": purpose, "granted": granted})
        outbox.emit("member.consent_changed", "member", member.pk, purpose=purpose, granted=granted)
    return consent


def current_consents(member: Member) -> dict[str, bool]:
    result = {p: False for p in Consent.Purpose.values}
    seen = set()
    for purpose, granted in member.consents.order_by("-id").values_list("purpose", "granted"):
        if purpose not in seen:
            seen.add(purpose)
            result[purpose] = granted
    return result


def set_tags(actor: Actor, member: Member, names: list[str], audit_it: bool = True) -> list[Tag]:
    clean = sorted({n.strip()[:50] for n in names if n and n.strip()})
    tags = []
    for name in clean:
        tag, _ = Tag.objects.get_or_create(name=name)
        tags.append(tag)
    member.tags.set(tags)
    if audit_it:
        audit.record(actor, "member.tags", member, after={"tags": clean})
    return tags


def touch_active(member_id: int) -> None:
    Member.objects.filter(pk=member_id).update(last_active_at=timezone.now())
