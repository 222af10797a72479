import datetime as dt

from ninja import Field, Schema


class SubscriptionIn(Schema):
    url: str = Field(..., max_length=500, description="https:// URL (http:// only for 127.0.0.1 / localhost)")
    events: list[str] = Field(..., min_length=1, max_length=100,
                              description='Event types (see /webhooks/event-types), or ["*"] for all')
    description: str = Field("", max_length=200)
    active: bool = True


class SubscriptionPatch(Schema):
    url: str | None = Field(None, max_length=500)
    events: list[str] | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=200)
    active: bool | None = None


class SubscriptionOut(Schema):
    id: int
    url: str
    events: list[str]
    active: bool
    description: str
    secret_hint: str = Field(..., description="Last 4 characters of the current secret")
    created_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    counts: dict[str, int] = Field(..., description="Deliveries per status")


class SubscriptionWithSecretOut(SubscriptionOut):
    secret: str = Field(..., description="The signing secret; returned only by create and rotate-secret")


class DeliveryOut(Schema):
    id: int
    subscription_id: int
    event_id: str
    event_type: str
    status: str
    attempts: int
    max_attempts: int
    next_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str
    response_excerpt: str
    duration_ms: int | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None


class EventTypeOut(Schema):
    type: str
    label: str
    group: str


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_cursor: str | None


class DeliveryFilters(Schema):
    status: str | None = Field(None, pattern="^(pending|succeeded|failed|dead)$")
    event_type: str | None = Field(None, max_length=64)
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=200)
