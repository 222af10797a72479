"""Community errors with stable problem+json type slugs."""

from shequn.core.errors import Conflict, NotFound, PermissionDenied, ValidationProblem


class GroupNotFound(NotFound):
    type, title = "group-not-found", "Group not found"


class EntryCodeNotFound(NotFound):
    type, title = "entry-code-not-found", "Entry code not found"


class InvalidGroup(ValidationProblem):
    type, title = "invalid-group", "Invalid group settings"


class GroupFull(Conflict):
    type, title = "group-full", "Group is full"


class AllGroupsFull(Conflict):
    type, title = "all-groups-full", "All groups of this entry code are full"


class GroupArchived(Conflict):
    type, title = "group-archived", "Group is archived"


class RulesChanged(Conflict):
    type, title = "rules-changed", "The group rules have changed"


class LastAdmin(Conflict):
    type, title = "last-admin", "A group needs at least one admin"


class Blacklisted(PermissionDenied):
    type, title = "blacklisted", "Member is blacklisted"


class NotAGroupMember(PermissionDenied):
    type, title = "not-a-group-member", "Not a member of this group"


class NotYourself(PermissionDenied):
    type, title = "not-yourself", "Members may only act for themselves"


class AlreadyBlacklisted(Conflict):
    type, title = "already-blacklisted", "Member is already blacklisted"


class ReportAlreadyReviewed(Conflict):
    type, title = "report-already-reviewed", "Report already reviewed"


class InvalidReport(ValidationProblem):
    type, title = "invalid-report", "Invalid report"
