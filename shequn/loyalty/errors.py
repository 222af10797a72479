from shequn.core.errors import Conflict, ValidationProblem


class InsufficientPoints(Conflict):
    type, title = "insufficient-points", "Not enough points"


class AlreadyCheckedIn(Conflict):
    type, title = "already-checked-in", "Already checked in today"


class InvalidPoints(ValidationProblem):
    type, title = "invalid-points", "Invalid points amount"
