"""Problems the commerce services raise (RFC 9457 types)."""

from shequn.core.errors import Conflict, NotFound, ValidationProblem


class InvalidProduct(ValidationProblem):
    type, title = "invalid-product", "Invalid product"


class ProductNotFound(NotFound):
    type, title = "product-not-found", "Product not found"


class InvalidStockMove(ValidationProblem):
    type, title = "invalid-stock-move", "Invalid stock movement"


class OutOfStock(Conflict):
    type, title = "out-of-stock", "Out of stock"


class InvalidOrder(ValidationProblem):
    type, title = "invalid-order", "Invalid order"


class OrderNotFound(NotFound):
    type, title = "order-not-found", "Order not found"


class OrderStateConflict(Conflict):
    type, title = "order-state", "The order cannot do that in its current state"


class InvalidRefund(ValidationProblem):
    type, title = "invalid-refund", "Invalid refund"


class PaymentMismatch(Conflict):
    type, title = "payment-amount-mismatch", "Payment amount does not match the order"


class InvalidPickupCode(ValidationProblem):
    type, title = "invalid-pickup-code", "Pickup code not valid here"
