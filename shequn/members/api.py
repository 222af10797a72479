from ninja import Query, Router, Schema

from shequn.core.errors import ValidationProblem
from shequn.core.idempotency import idempotent
from shequn.core.pagination import paginate
from shequn.core.permissions import require
from shequn.stores.selectors import store_by_code

from . import selectors, services
from .schemas import ConsentIn, MemberIn, MemberOut, MemberPage, MemberPatch, PhoneOut, member_out

router = Router(tags=["members"])


class MemberFilters(Schema):
    q: str = ""
    tier: str = ""
    store: str = ""
    cursor: str | None = None
    limit: int = 50


@router.post("", response={201: MemberOut}, summary="Register a member")
@idempotent()
def create_member(request, payload: MemberIn):
    actor = request.auth
    require(actor, "members.write")
    store = store_by_code(actor, payload.store_code) if payload.store_code else None
    member = services.create_member(actor, phone=payload.phone, name=payload.name, store=store,
                                    birthday=payload.birthday, external_id=payload.external_id,
                                    gender=payload.gender, source="api")
    return 201, member_out(selectors.get_member(actor, member.pk))


@router.get("", response=MemberPage, summary="Search members (full phone, member number or name)")
def list_members(request, filters: Query[MemberFilters]):
    actor = request.auth
    require(actor, "members.view")
    qs = selectors.search_members(actor, q=filters.q, tier=filters.tier, store=filters.store)
    rows, next_cursor = paginate(qs, filters.cursor, filters.limit)
    return {"items": [member_out(m) for m in rows], "next_cursor": next_cursor}


@router.get("/{int:member_id}", response=MemberOut, summary="One member")
def get_member(request, member_id: int):
    require(request.auth, "members.view")
    return member_out(selectors.get_member(request.auth, member_id))


@router.patch("/{int:member_id}", response=MemberOut, summary="Change a member's profile")
@idempotent()
def patch_member(request, member_id: int, payload: MemberPatch):
    actor = request.auth
    require(actor, "members.write")
    member = selectors.get_member(actor, member_id)
    changes = payload.dict(exclude_unset=True)
    cleared = sorted(f for f in ("name", "gender") if f in changes and changes[f] is None)
    if cleared:
        raise ValidationProblem(f"{', '.join(cleared)} cannot be null.", fields=cleared)
    if "store_code" in changes:
        code = changes.pop("store_code")
        changes["home_store"] = store_by_code(actor, code) if code else None
    services.update_member(actor, member, **changes)
    return 200, member_out(selectors.get_member(actor, member_id))


@router.post("/{int:member_id}/reveal-phone", response=PhoneOut, summary="Full phone number (audited)")
def reveal_phone(request, member_id: int):
    member = selectors.get_member(request.auth, member_id)
    return {"phone": services.reveal_phone(request.auth, member)}


@router.post("/{int:member_id}/consents", response={201: dict}, summary="Record a consent decision")
@idempotent()
def record_consent(request, member_id: int, payload: ConsentIn):
    actor = request.auth
    require(actor, "members.write")
    member = selectors.get_member(actor, member_id)
    services.record_consent(actor, member, payload.purpose, payload.granted, source="api")
    return 201, services.current_consents(member)
