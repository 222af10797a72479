"""Reads for the API and the console."""

from django.db.models import Count

from shequn.core.errors import NotFound

from .models import Delivery, Subscription


def subscriptions():
    return Subscription.objects.select_related("created_by").order_by("-id")


def get_subscription(sub_id: int) -> Subscription:
    sub = subscriptions().filter(pk=sub_id).first()
    if sub is None:
        raise NotFound(f"No webhook subscription {sub_id}.", type="webhook-not-found")
    return sub


def get_delivery(delivery_id: int) -> Delivery:
    delivery = Delivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound(f"No webhook delivery {delivery_id}.", type="webhook-delivery-not-found")
    return delivery


def status_counts(sub_ids: list[int]) -> dict[int, dict[str, int]]:
    """{subscription id: {status: deliveries}} with every status present."""
    counts = {pk: {s: 0 for s in Delivery.Status.values} for pk in sub_ids}
    rows = (Delivery.objects.filter(subscription_id__in=sub_ids).values("subscription_id", "status")
            .annotate(n=Count("id")).order_by())
    for row in rows:
        counts[row["subscription_id"]][row["status"]] = row["n"]
    return counts


def deliveries(sub: Subscription, status: str | None = None, event_type: str | None = None):
    rows = Delivery.objects.filter(subscription=sub).order_by("-id")
    if status:
        rows = rows.filter(status=status)
    if event_type:
        rows = rows.filter(event_type=event_type)
    return rows
