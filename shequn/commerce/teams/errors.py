"""Problems the team purchase services raise (RFC 9457 types)."""

from shequn.core.errors import Conflict, NotFound, ValidationProblem


class InvalidTeamDeal(ValidationProblem):
    type, title = "invalid-team-deal", "Invalid team purchase deal"


class TeamDealNotFound(NotFound):
    type, title = "team-deal-not-found", "Team purchase deal not found"


class TeamNotFound(NotFound):
    type, title = "team-not-found", "Team not found"


class TeamDealClosed(Conflict):
    type, title = "team-deal-closed", "The team purchase is not open"


class TeamFull(Conflict):
    type, title = "team-full", "The team is full"


class TeamClosed(Conflict):
    type, title = "team-closed", "The team is no longer forming"


class AlreadyInTeam(Conflict):
    type, title = "already-in-team", "Already in this team"


class TeamLimit(Conflict):
    type, title = "team-limit", "Over the per-member limit"
