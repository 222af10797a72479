"""Problems the coupon services raise (RFC 9457 types).

`coupon-not-applicable` is a 422, like the order core's own use of the slug: the request is well formed
but the cart does not meet the coupon's rules (threshold, scope, stacking, validity)."""

from shequn.core.errors import Conflict, NotFound, ValidationProblem


class CouponNotApplicable(ValidationProblem):
    type, title = "coupon-not-applicable", "Coupon cannot be used for this order"


class InvalidCouponTemplate(ValidationProblem):
    type, title = "invalid-coupon-template", "Invalid coupon template"


class CouponNotFound(NotFound):
    type, title = "coupon-not-found", "Coupon not found"


class CouponSoldOut(Conflict):
    type, title = "coupon-sold-out", "No coupons of this kind are left"


class CouponLimitReached(Conflict):
    type, title = "coupon-limit-reached", "The member already holds as many of these coupons as allowed"


class CouponNotIssuable(Conflict):
    type, title = "coupon-not-issuable", "This coupon cannot be issued now"
