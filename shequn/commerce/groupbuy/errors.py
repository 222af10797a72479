"""Problems the group-buy services raise (RFC 9457 types)."""

from shequn.core.errors import Conflict, NotFound, PermissionDenied, ValidationProblem


class InvalidLeaderApplication(ValidationProblem):
    type, title = "invalid-leader-application", "Invalid leader application"


class LeaderNotFound(NotFound):
    type, title = "leader-not-found", "Leader not found"


class LeaderStateConflict(Conflict):
    type, title = "leader-state", "The leader or application cannot do that now"


class LeaderSuspended(Conflict):
    type, title = "leader-suspended", "This leader is not taking orders"


class NotTheLeader(PermissionDenied):
    type, title = "not-the-leader", "Only the leader of this pickup point may do this"


class InvalidCampaign(ValidationProblem):
    type, title = "invalid-campaign", "Invalid group-buy campaign"


class CampaignNotFound(NotFound):
    type, title = "campaign-not-found", "Group-buy campaign not found"


class CampaignStateConflict(Conflict):
    type, title = "campaign-state", "The campaign cannot do that in its current state"


class CampaignNotOpen(Conflict):
    type, title = "campaign-not-open", "The campaign is not taking orders"


class NotInCampaign(ValidationProblem):
    type, title = "not-in-campaign", "Product not in this campaign"


class MemberLimitReached(Conflict):
    type, title = "member-limit-reached", "Per-member limit reached"


class LeaderOutOfScope(Conflict):
    type, title = "leader-out-of-scope", "This leader's pickup point is not in the campaign"


class InvalidStatement(ValidationProblem):
    type, title = "invalid-statement", "Invalid commission statement"


class StatementNotFound(NotFound):
    type, title = "statement-not-found", "Commission statement not found"


class StatementStateConflict(Conflict):
    type, title = "statement-state", "The statement cannot do that in its current state"
