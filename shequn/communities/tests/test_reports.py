"""Violation reports: who may report, and points for valid reports only, once."""

import pytest

from shequn.accounts.actors import member_actor
from shequn.communities import services
from shequn.communities.errors import InvalidReport, NotAGroupMember, NotYourself, ReportAlreadyReviewed
from shequn.loyalty.models import LoyaltyAccount, PointsEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def trio(system_actor, store, make_member):
    group = services.create_group(system_actor, name="群", store=store)
    people = [make_member(store=store) for _ in range(3)]
    for m in people:
        services.join_group(system_actor, group, m, accepted_rules_version=None)
    return group, people


def _balance(member):
    return LoyaltyAccount.objects.get(member=member).points_balance


def test_valid_report_earns_points_once(system_actor, trio, settings):
    settings.SHEQUN_VALID_REPORT_POINTS = 20
    group, (reporter, offender, _) = trio
    report = services.report_violation(member_actor(reporter.pk), group, reporter, offender, "ads", "发微商广告")
    assert report.status == "pending" and _balance(reporter) == 0
    reviewed = services.review_report(system_actor, report, True)
    assert reviewed.status == "valid" and _balance(reporter) == 20
    entry = PointsEntry.objects.get(pk=reviewed.points_entry_id)
    assert (entry.source, entry.ref, entry.points) == ("violation_report", f"report:{report.pk}", 20)
    with pytest.raises(ReportAlreadyReviewed):
        services.review_report(system_actor, report, True)
    assert _balance(reporter) == 20


def test_invalid_report_earns_nothing(system_actor, trio):
    group, (reporter, offender, _) = trio
    report = services.report_violation(system_actor, group, reporter, offender, "spam")
    reviewed = services.review_report(system_actor, report, False)
    assert reviewed.status == "invalid" and reviewed.points_entry_id is None
    assert not PointsEntry.objects.filter(member=reporter, source="violation_report").exists()
    with pytest.raises(ReportAlreadyReviewed):
        services.review_report(system_actor, report, True)
    assert _balance(reporter) == 0


def test_who_may_report(system_actor, trio, make_member, store):
    group, (reporter, offender, bystander) = trio
    outsider = make_member(store=store)
    with pytest.raises(NotAGroupMember):
        services.report_violation(system_actor, group, outsider, offender, "ads")
    with pytest.raises(InvalidReport):
        services.report_violation(system_actor, group, reporter, reporter, "ads")
    with pytest.raises(InvalidReport):
        services.report_violation(system_actor, group, reporter, outsider, "ads")
    with pytest.raises(InvalidReport):
        services.report_violation(system_actor, group, reporter, offender, "left")
    with pytest.raises(NotYourself):
        services.report_violation(member_actor(bystander.pk), group, reporter, offender, "ads")
