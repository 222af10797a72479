import datetime as dt

from ninja import Schema
from pydantic import Field


class TierRef(Schema):
    code: str
    name: str


class MemberIn(Schema):
    phone: str = Field(..., description="Mainland China mobile number")
    name: str = Field("", max_length=64)
    store_code: str | None = None
    birthday: dt.date | None = None
    external_id: str | None = Field(None, max_length=64)
    gender: str = Field("unknown", pattern="^(unknown|male|female)$")


class MemberPatch(Schema):
    name: str | None = Field(None, max_length=64)
    birthday: dt.date | None = None
    gender: str | None = Field(None, pattern="^(unknown|male|female)$")
    store_code: str | None = None
    phone: str | None = None


class MemberOut(Schema):
    id: int
    member_no: str
    name: str
    phone_masked: str
    tier: TierRef
    points_balance: int
    store_code: str | None = None
    joined_at: dt.datetime


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None


class PhoneOut(Schema):
    phone: str


class ConsentIn(Schema):
    purpose: str = Field(..., pattern="^(marketing|profiling|third_party)$")
    granted: bool


def member_out(member) -> MemberOut:
    account = member.loyalty
    return MemberOut(
        id=member.pk, member_no=member.member_no, name=member.name, phone_masked=member.phone_masked,
        tier=TierRef(code=account.tier.code, name=account.tier.name), points_balance=account.points_balance,
        store_code=member.home_store.code if member.home_store_id else None, joined_at=member.joined_at,
    )
