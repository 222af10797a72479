"""Offline payment (到店支付): the member pays at the store counter; staff confirm it in the order core."""

from collections.abc import Mapping

from .base import Checkout, InvalidNotification, PaidNotice, RefundReceipt, validate_checkout, validate_refund


class OfflineProvider:
    name = "offline"

    def checkout(self, *, order_no: str, amount_fen: int, description: str, payer_openid: str = "") -> Checkout:
        validate_checkout(order_no, amount_fen, description)
        return Checkout(provider=self.name, params={})

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> PaidNotice:
        raise InvalidNotification("Offline payments have no notifications; staff confirm them at the counter.")

    def refund(self, *, order_no: str, refund_no: str, amount_fen: int, total_fen: int,
               reason: str) -> RefundReceipt:
        """Cash back at the counter: done as soon as it is recorded, under our own refund number."""
        validate_refund(order_no, refund_no, amount_fen, total_fen, reason)
        return RefundReceipt(provider=self.name, refund_no=refund_no, provider_ref=refund_no,
                             status="succeeded")
