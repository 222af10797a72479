"""Violation reports (举报) by members; a valid one earns the reporter points, once."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import Actor

from .errors import InvalidReport, NotAGroupMember, ReportAlreadyReviewed
from .groups import check_acting_for, check_group_scope
from .models import Membership, ViolationReport
from .selectors import current_membership

REPORT_REASONS = ["ads", "poaching", "spam", "other"]


def report_points() -> int:
    return int(getattr(settings, "SHEQUN_VALID_REPORT_POINTS", 20))


def report_violation(actor: Actor, group, reporter, offender, reason: str, note: str = "") -> ViolationReport:
    check_acting_for(actor, reporter)
    check_group_scope(actor, group)
    if reason not in REPORT_REASONS:
        raise InvalidReport(f"Unknown reason {reason!r}; use one of {', '.join(REPORT_REASONS)}.", field="reason")
    if len(note or "") > 500:
        raise InvalidReport("The note has at most 500 characters.", field="note")
    if reporter.pk == offender.pk:
        raise InvalidReport("Members cannot report themselves.", field="offender")
    if current_membership(group, reporter) is None:
        raise NotAGroupMember(f"Only members of {group.name} can report in it.")
    if not Membership.objects.filter(group=group, member=offender).exists():
        raise InvalidReport(f"Member {offender.pk} has never been in {group.name}.", field="offender")
    with transaction.atomic():
        report = ViolationReport.objects.create(group=group, reporter=reporter, offender=offender, reason=reason,
                                                note=(note or "").strip())
        audit.record(actor, "group.violation_reported", report, store_id=group.store_id,
                     after={"group": group.pk, "reporter": reporter.pk, "offender": offender.pk, "reason": reason})
        outbox.emit("group.violation_reported", "group", group.pk, report_id=report.pk)
    return report


def review_report(actor: Actor, report: ViolationReport, valid: bool) -> ViolationReport:
    """Decide a pending report; a valid one credits the reporter (ref report:<id>, so never twice)."""
    from shequn.loyalty.services import earn

    check_group_scope(actor, report.group)
    with transaction.atomic():
        report = ViolationReport.objects.select_for_update(of=("self",)).select_related("group").get(pk=report.pk)
        if report.status != ViolationReport.Status.PENDING:
            raise ReportAlreadyReviewed(f"Report {report.pk} was already reviewed ({report.status}).")
        report.status = ViolationReport.Status.VALID if valid else ViolationReport.Status.INVALID
        report.reviewed_by, report.reviewed_at = actor.label[:150], timezone.now()
        if valid and report_points() > 0:
            entry = earn(actor, report.reporter_id, report_points(), source="violation_report",
                         ref=f"report:{report.pk}", reason=f"举报属实（{report.group.name}）")
            report.points_entry_id = entry.pk
        report.save(update_fields=["status", "reviewed_by", "reviewed_at", "points_entry_id"])
        audit.record(actor, "group.report_reviewed", report, store_id=report.group.store_id,
                     after={"status": report.status, "points_entry": report.points_entry_id})
        outbox.emit("group.report_reviewed", "group", report.group_id, report_id=report.pk, valid=valid)
    return report
