"""Messaging over HTTP: channels, templates (+ preview), sending one message, a member's messages."""

from ninja import Query, Router, Schema

from shequn.core.errors import ValidationProblem
from shequn.core.idempotency import idempotent
from shequn.core.pagination import paginate
from shequn.core.permissions import require
from shequn.members.selectors import get_member

from . import previews, selectors, sending, services, templating
from .channels import SPECS
from .links import public_url
from .models import Channel, Message, MessageTemplate
from .schemas import (
    ChannelIn,
    ChannelKindOut,
    ChannelOut,
    ChannelPatch,
    MessageIn,
    MessageOut,
    MessagePage,
    PreviewIn,
    PreviewOut,
    TemplateIn,
    TemplateOut,
)

router = Router(tags=["messaging"])
VIEW, SEND, CONFIGURE = "messaging.view", "messaging.send", "messaging.configure"


class LogFilters(Schema):
    channel_id: int | None = None
    status: str = ""
    purpose: str = ""
    cursor: str | None = None
    limit: int = 50


def channel_out(channel: Channel) -> dict:
    return {"id": channel.pk, "name": channel.name, "kind": channel.kind, "provider": channel.provider,
            "config": {k: str(v) for k, v in channel.config.items()}, "secrets_set": channel.secret_names,
            "is_active": channel.is_active,
            "sms_reply_callback_url": public_url(f"/hooks/sms/{channel.callback_token}/")
            if channel.kind == Channel.Kind.SMS else ""}


def template_out(t: MessageTemplate) -> dict:
    used = []
    for text in (t.subject_zh, t.body_zh, t.subject_en, t.body_en):
        used += [n for n in templating.variables_in(text) if n not in used]
    return {"id": t.pk, "channel_id": t.channel_id, "name": t.name, "purpose": t.purpose,
            "subject_zh": t.subject_zh, "body_zh": t.body_zh, "subject_en": t.subject_en, "body_en": t.body_en,
            "provider_template_code": t.provider_template_code, "track_links": t.track_links,
            "is_active": t.is_active, "variables": used}


@router.get("/messaging/channel-kinds", response=list[ChannelKindOut], summary="What each kind of channel needs")
def channel_kinds(request):
    require(request.auth, VIEW)
    return [{"kind": k, "provider": p, "settings": [s.__dict__ for s in fields]} for (k, p), fields in SPECS.items()]


@router.get("/messaging/channels", response=list[ChannelOut], summary="Channels (secrets shown only as set)")
def list_channels(request):
    require(request.auth, VIEW)
    return [channel_out(c) for c in selectors.channels()]


@router.post("/messaging/channels", response={201: ChannelOut}, summary="Add a channel")
@idempotent()
def create_channel(request, payload: ChannelIn):
    channel = services.create_channel(request.auth, **payload.dict())
    return 201, channel_out(channel)


@router.patch("/messaging/channels/{int:channel_id}", response=ChannelOut, summary="Change a channel")
@idempotent()
def update_channel(request, channel_id: int, payload: ChannelPatch):
    channel = services.update_channel(request.auth, selectors.get_channel(channel_id), **payload.dict())
    return 200, channel_out(channel)


@router.get("/messaging/templates", response=list[TemplateOut], summary="Message templates, newest first")
def list_templates(request, channel_id: int | None = None):
    require(request.auth, VIEW)
    return [template_out(t) for t in selectors.templates(channel_id)[:500]]


@router.post("/messaging/templates", response={201: TemplateOut},
             summary="Add a template (unknown variables are refused)")
@idempotent()
def create_template(request, payload: TemplateIn):
    data = payload.dict()
    channel = selectors.get_channel(data.pop("channel_id"))
    return 201, template_out(services.save_template(request.auth, channel=channel, **data))


@router.put("/messaging/templates/{int:template_id}", response=TemplateOut, summary="Change a template")
@idempotent()
def update_template(request, template_id: int, payload: TemplateIn):
    template = selectors.get_template(template_id)
    data = payload.dict()
    if data.pop("channel_id") != template.channel_id:
        raise ValidationProblem("A template stays on its channel.", type="invalid-template", field="channel_id")
    return 200, template_out(services.save_template(request.auth, template=template, channel=template.channel,
                                                    **data))


@router.post("/messaging/templates/{int:template_id}/preview", response=PreviewOut,
             summary="Render a template for a real member (nothing is sent)")
def preview_template(request, template_id: int, payload: PreviewIn):
    require(request.auth, VIEW)
    member = get_member(request.auth, payload.member_id)
    return previews.preview(selectors.get_template(template_id), member, payload.language)


@router.post("/messages", response={202: MessageOut},
             summary="Send one message (queued; marketing needs the member's consent)")
@idempotent(required=True, default_status=202)
def send_message(request, payload: MessageIn):
    actor = request.auth
    require(actor, SEND)
    channel = selectors.get_channel(payload.channel_id)
    member = get_member(actor, payload.member_id) if payload.member_id is not None else None
    template = selectors.get_template(payload.template_id) if payload.template_id is not None else None
    message = sending.compose(actor, channel=channel, member=member, template=template, subject=payload.subject,
                              body=payload.body, purpose=payload.purpose, language=payload.language,
                              coupon_id=payload.coupon_id, source="api")
    return 202, MessageOut.from_orm(message).dict()


@router.get("/messages", response=MessagePage, summary="Message log (store managers: their members)")
def message_log(request, filters: Query[LogFilters]):
    require(request.auth, VIEW)
    qs = selectors.message_log(request.auth, channel_id=filters.channel_id, status=filters.status,
                               purpose=filters.purpose)
    rows, next_cursor = paginate(qs, filters.cursor, filters.limit)
    return {"items": rows, "next_cursor": next_cursor}


@router.get("/messages/{int:message_id}", response=MessageOut, summary="One message and its delivery")
def get_message(request, message_id: int):
    require(request.auth, VIEW)
    return selectors.get_message(request.auth, message_id)


@router.get("/members/{int:member_id}/messages", response=MessagePage, summary="Messages sent to a member")
def member_messages(request, member_id: int, cursor: str | None = None, limit: int = 50):
    require(request.auth, VIEW)
    member = get_member(request.auth, member_id)
    rows, next_cursor = paginate(Message.objects.filter(member=member).order_by("-id"), cursor, limit)
    return {"items": rows, "next_cursor": next_cursor}
