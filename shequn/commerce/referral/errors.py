"""Problems raised by referral and distribution (RFC 9457 types)."""

from shequn.core.errors import Conflict, NotFound, ValidationProblem


class InvalidReferralSettings(ValidationProblem):
    type, title = "invalid-referral-settings", "Invalid referral settings"


class ReferralCodeNotFound(NotFound):
    type, title = "referral-code-not-found", "Referral code not found"


class ReferralNotFound(NotFound):
    type, title = "referral-not-found", "Referral not found"


class AlreadyReferred(Conflict):
    type, title = "already-referred", "Member already referred"


class NotANewMember(Conflict):
    type, title = "not-a-new-member", "Only new members can be referred"


class ReferralWindowClosed(Conflict):
    type, title = "referral-window-closed", "Referral link expired"


class ReferralStateConflict(Conflict):
    type, title = "referral-state", "The referral cannot do that in its current state"


class PyramidSellingRefused(ValidationProblem):
    type, title = "pyramid-selling-refused", "At most two commission levels"


class InvalidCommissionRates(ValidationProblem):
    type, title = "invalid-commission-rates", "Invalid commission rates"


class DistributorNotFound(NotFound):
    type, title = "distributor-not-found", "Distributor not found"


class DistributorStateConflict(Conflict):
    type, title = "distributor-state", "The distributor cannot do that in their current state"


class InvalidWithdrawal(ValidationProblem):
    type, title = "invalid-withdrawal", "Invalid withdrawal"


class InsufficientCommission(Conflict):
    type, title = "insufficient-commission", "Not enough commission available"


class WithdrawalNotFound(NotFound):
    type, title = "withdrawal-not-found", "Withdrawal not found"


class WithdrawalStateConflict(Conflict):
    type, title = "withdrawal-state", "The withdrawal was already decided"
