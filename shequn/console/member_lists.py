"""Turn a pasted list of member numbers or phone numbers into visible member ids."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from shequn.core import pii
from shequn.core.actor import Actor
from shequn.core.phones import InvalidPhone, normalise_cn_mobile
from shequn.members.selectors import members_visible_to

MAX_LINES = 100_000
CHUNK = 5_000


@dataclass
class Resolved:
    member_ids: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _lookup(qs, field_name: str, values: set[str]) -> dict[str, int]:
    """{value: member id}, queried in chunks (SQLite limits the number of parameters)."""
    found: dict[str, int] = {}
    ordered = sorted(values)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start:start + CHUNK]
        found.update(qs.filter(**{f"{field_name}__in": chunk}).values_list(field_name, "pk"))
    return found


def resolve_member_lines(actor: Actor, text: str) -> Resolved:
    """One member number or phone per line; every line that matches no visible member
    is reported with its line number."""
    lines = [(n, line.strip().lstrip("\ufeff")) for n, line in enumerate(text.splitlines(), 1)]
    lines = [(n, value) for n, value in lines if value]
    result = Resolved()
    if len(lines) > MAX_LINES:
        result.errors.append(_("一次最多 %(max)s 行。") % {"max": f"{MAX_LINES:,}"})
        return result
    visible = members_visible_to(actor)
    values = {value for _, value in lines}
    by_no = _lookup(visible, "member_no", values)
    hashes = {}
    for value in values - set(by_no):
        try:
            hashes[value] = pii.blind_index(normalise_cn_mobile(value))
        except InvalidPhone:
            continue
    by_hash = _lookup(visible, "phone_hash", set(hashes.values()))
    ids = set()
    for number, value in lines:
        member_id = by_no.get(value) or by_hash.get(hashes.get(value, ""))
        if member_id is None:
            result.errors.append(_("第 %(line)s 行「%(value)s」：找不到这个会员号或手机号"
                                   "（或该会员不属于你的门店）。") % {"line": number, "value": value[:30]})
        else:
            ids.add(member_id)
    result.member_ids = sorted(ids)
    return result
