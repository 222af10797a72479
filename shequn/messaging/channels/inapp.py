"""站内信: the message row itself is the member's inbox entry, so sending is marking it delivered."""

from .base import DeliveryResult, Outgoing


class InApp:
    def __init__(self, config: dict, secrets: dict) -> None:
        pass

    def send(self, message: Outgoing) -> DeliveryResult:
        return DeliveryResult(ok=True, delivered=True, provider_message_id=f"inbox-{message.message_id}")
