"""Problems the flash sale services raise (RFC 9457 types)."""

from shequn.core.errors import Conflict, NotFound, ValidationProblem


class InvalidFlashSale(ValidationProblem):
    type, title = "invalid-flash-sale", "Invalid flash sale"


class FlashSaleNotFound(NotFound):
    type, title = "flash-sale-not-found", "Flash sale not found"


class FlashSaleClosed(Conflict):
    type, title = "flash-sale-closed", "The flash sale is not open"


class FlashSaleSoldOut(Conflict):
    type, title = "flash-sale-sold-out", "Sold out"


class FlashSaleLimit(Conflict):
    type, title = "flash-sale-limit", "Over the per-member limit"
