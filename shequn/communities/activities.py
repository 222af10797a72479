"""Online and in-store activities: signup within capacity, QR check-in at the venue, attendance.

Check-in scans the activity's QR (its checkin_token) from 2 hours before the start until the end.
A member who did not sign up may still check in as a walk-in while seats are left; the walk-in takes a seat.
Activities of a group are open to that group's current members only.
"""

import datetime as dt
import secrets

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.errors import Conflict, NotFound, ValidationProblem

from .events import record_event
from .groups import check_acting_for, check_group_scope
from .membership import _current_or_403
from .models import Activity, ActivitySignup, Group

MAX_CAPACITY = 10_000
CHECKIN_OPENS_BEFORE = dt.timedelta(hours=2)
MAX_STARTED_AGO = dt.timedelta(days=30)
MAX_AHEAD = dt.timedelta(days=730)


class InvalidActivity(ValidationProblem):
    type, title = "invalid-activity", "Invalid activity"


class ActivityNotFound(NotFound):
    type, title = "activity-not-found", "Activity not found"


class ActivityFull(Conflict):
    type, title = "activity-full", "Activity is full"


class ActivityEnded(Conflict):
    type, title = "activity-ended", "Activity has ended"


class CheckInClosed(Conflict):
    type, title = "check-in-closed", "Check-in is not open"


def create_activity(actor: Actor, *, store, title: str, starts_at: dt.datetime, ends_at: dt.datetime,
                    capacity: int, kind: str = "in_store", group: Group | None = None, location: str = "",
                    description: str = "") -> Activity:
    if actor.store_ids is not None and store.pk not in actor.store_ids:
        raise NotFound(f"No store {store.code}.", type="store-not-found")
    title, location, description = (title or "").strip(), (location or "").strip(), (description or "").strip()
    if not title or len(title) > 100:
        raise InvalidActivity("An activity needs a title of at most 100 characters.", field="title")
    if kind not in Activity.Kind.values:
        raise InvalidActivity("kind must be online or in_store.", field="kind")
    if len(location) > 200:
        raise InvalidActivity("location has at most 200 characters.", field="location")
    if len(description) > 5000:
        raise InvalidActivity("description has at most 5000 characters.", field="description")
    if not isinstance(capacity, int) or not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidActivity(f"capacity must be between 1 and {MAX_CAPACITY}.", field="capacity")
    if starts_at is None or ends_at is None or timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise InvalidActivity("starts_at and ends_at need a time zone.", field="starts_at")
    if ends_at <= starts_at:
        raise InvalidActivity("An activity ends after it starts.", field="ends_at")
    now = timezone.now()
    if ends_at <= now:
        raise InvalidActivity("An activity cannot end in the past.", field="ends_at")
    if starts_at < now - MAX_STARTED_AGO or ends_at > now + MAX_AHEAD:
        raise InvalidActivity("An activity starts at most 30 days ago and ends within 2 years.", field="starts_at")
    if group is not None:
        check_group_scope(actor, group)
        if group.store_id != store.pk:
            raise InvalidActivity("The group belongs to another store.", field="group")
    with transaction.atomic():
        activity = Activity.objects.create(
            store=store, group=group, title=title, kind=kind, location=location, description=description,
            starts_at=starts_at, ends_at=ends_at, capacity=capacity, checkin_token=secrets.token_urlsafe(16),
            created_by=actor.label[:150])
        audit.record(actor, "activity.created", activity, store_id=store.pk,
                     after={"title": title, "capacity": capacity, "group": group.pk if group else None})
        outbox.emit("activity.created", "activity", activity.pk, store_id=store.pk,
                    group_id=group.pk if group else None)
    return activity


def get_activity(actor: Actor, activity_id: int) -> Activity:
    activity = (Activity.objects.select_related("group", "store").filter(pk=activity_id).first()
                if 0 < activity_id < 2**63 else None)
    if activity is None or (actor.store_ids is not None and activity.store_id not in actor.store_ids):
        raise ActivityNotFound(f"No activity {activity_id}.")
    return activity


def _take_seat(activity: Activity) -> None:
    """Conditional increment: safe under concurrent signups; the DB check constraint backs it up."""
    taken = Activity.objects.filter(pk=activity.pk, signup_count__lt=F("capacity")).update(
        signup_count=F("signup_count") + 1)
    if not taken:
        raise ActivityFull(f"{activity.title} is full ({activity.capacity} seats).", activity_id=activity.pk)


def _may_attend(actor: Actor, activity: Activity, member) -> None:
    check_acting_for(actor, member)
    if actor.store_ids is not None and activity.store_id not in actor.store_ids:
        raise ActivityNotFound(f"No activity {activity.pk}.")
    if activity.group_id:
        _current_or_403(activity.group, member)


def _record(activity: Activity, kind: str, signup: ActivitySignup, occurred_at) -> None:
    if activity.group_id:
        record_event(activity.group_id, kind, event_id=f"{kind}:{signup.pk}", member_id=signup.member_id,
                     occurred_at=occurred_at, payload={"activity_id": activity.pk})


def sign_up(actor: Actor, activity: Activity, member) -> ActivitySignup:
    """Sign the member up; signing up twice returns the existing signup."""
    _may_attend(actor, activity, member)
    existing = ActivitySignup.objects.filter(activity=activity, member=member).first()
    if existing:
        return existing
    if activity.ends_at <= timezone.now():
        raise ActivityEnded(f"{activity.title} has ended.", activity_id=activity.pk)
    try:
        with transaction.atomic():
            _take_seat(activity)
            signup = ActivitySignup.objects.create(activity=activity, member=member)
            _record(activity, "activity_signup", signup, signup.signed_up_at)
            outbox.emit("activity.signed_up", "activity", activity.pk, member_id=member.pk)
    except IntegrityError:  # the same member signing up twice at once: the other request won
        return ActivitySignup.objects.get(activity=activity, member=member)
    return signup


def check_in_activity(actor: Actor, checkin_token: str, member) -> ActivitySignup:
    activity = (Activity.objects.select_related("group").filter(checkin_token=checkin_token).first()
                if checkin_token else None)
    if activity is None:
        raise ActivityNotFound("No activity for this check-in code.")
    _may_attend(actor, activity, member)
    now = timezone.now()
    if not activity.starts_at - CHECKIN_OPENS_BEFORE <= now <= activity.ends_at:
        raise CheckInClosed(f"Check-in for {activity.title} opens 2 hours before it starts and closes at its end.",
                            activity_id=activity.pk)
    with transaction.atomic():
        signup = ActivitySignup.objects.select_for_update().filter(activity=activity, member=member).first()
        if signup is None:  # walk-in
            _take_seat(activity)
            try:
                with transaction.atomic():
                    signup = ActivitySignup.objects.create(activity=activity, member=member)
            except IntegrityError:
                raise ActivityFull("Check-in is already in progress for this member.",
                                   activity_id=activity.pk) from None
            _record(activity, "activity_signup", signup, now)
        if signup.checked_in_at is None:
            signup.checked_in_at = now
            signup.save(update_fields=["checked_in_at"])
            _record(activity, "activity_checkin", signup, now)
            audit.record(actor, "activity.checked_in", signup, store_id=activity.store_id,
                         after={"activity": activity.pk, "member": member.pk})
            outbox.emit("activity.checked_in", "activity", activity.pk, member_id=member.pk)
    return signup


def attendance(activity: Activity) -> list[dict]:
    """Everyone signed up, in signup order, with their check-in time (None = not come)."""
    rows = ActivitySignup.objects.filter(activity=activity).select_related("member").order_by("signed_up_at", "id")
    return [{"member_id": s.member_id, "member_no": s.member.member_no, "name": s.member.name,
             "phone_masked": s.member.phone_masked, "signed_up_at": s.signed_up_at,
             "checked_in_at": s.checked_in_at} for s in rows]
