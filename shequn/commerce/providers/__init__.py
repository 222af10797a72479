"""Payment providers (支付渠道): offline, sandbox and WeChat Pay API v3, behind one contract (see base)."""

from .base import (
    Checkout,
    InvalidNotification,
    NotPaidNotification,
    PaidNotice,
    PaymentMethodUnavailable,
    PaymentProvider,
    PaymentProviderError,
    RefundReceipt,
    UnknownPaymentMethod,
    get_provider,
)

__all__ = [
    "Checkout", "InvalidNotification", "NotPaidNotification", "PaidNotice", "PaymentMethodUnavailable",
    "PaymentProvider", "PaymentProviderError", "RefundReceipt", "UnknownPaymentMethod", "get_provider",
]
