"""Staff users: creation and store assignment."""

from django.db import transaction

from shequn.core import audit
from shequn.core.actor import Actor
from shequn.core.errors import ValidationProblem
from shequn.stores.models import Store

from .models import StaffUser
from .roles import Role


def ensure_staff(actor: Actor, username: str, *, role: str | None = None,
                 store_codes: list[str] | None = None, password: str | None = None,
                 display_name: str = "") -> tuple[StaffUser, bool]:
    """Create the staff user if missing; set role and stores when given."""
    if role is not None and role not in {r.value for r in Role}:
        raise ValidationProblem(f"Unknown role {role!r}; choose one of: "
                                + ", ".join(r.value for r in Role), type="invalid-role")
    stores: list[Store] = []
    if store_codes:
        found = {s.code: s for s in Store.objects.filter(code__in=store_codes)}
        missing = [c for c in store_codes if c not in found]
        if missing:
            raise ValidationProblem(f"Unknown store code(s): {', '.join(missing)}", type="store-not-found")
        stores = [found[c] for c in store_codes]
    with transaction.atomic():
        user, created = StaffUser.objects.get_or_create(
            username=username, defaults={"role": role or Role.ANALYST, "display_name": display_name})
        before = {"role": user.role}
        if role is not None:
            user.role = role
        if display_name:
            user.display_name = display_name
        if password:
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        user.is_staff = user.role == Role.OWNER
        user.is_superuser = user.role == Role.OWNER
        user.save()
        if store_codes is not None:
            user.stores.set(stores)
        audit.record(actor, "staff.created" if created else "staff.updated", user,
                     before=None if created else before,
                     after={"role": user.role, "stores": [s.code for s in stores]})
    return user, created
