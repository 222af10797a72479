"""Channel and template writes: validated, audited, credentials sealed and never returned."""

import json
import secrets

from django.db import IntegrityError, transaction

from shequn.core import audit, outbox, pii
from shequn.core.actor import Actor
from shequn.core.errors import Conflict, ValidationProblem
from shequn.core.permissions import require

from . import templating
from .channels import PROVIDERS, open_secrets, spec
from .models import Channel, MessageTemplate, Purpose

CONFIGURE = "messaging.configure"
GROUP_VARIABLES = {"link.card", "link.shop", "link.coupons", "link.inbox"}  # no member behind a group send


def _clean_settings(kind: str, provider: str, values: dict, *, existing: Channel | None) -> tuple[dict, dict]:
    fields = spec(kind, provider)
    known = {f.name for f in fields}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValidationProblem(f"Unknown settings for this channel: {', '.join(unknown)}.",
                                type="invalid-channel-settings", field=unknown[0])
    config = dict(existing.config) if existing else {}
    sealed = open_secrets(existing) if existing else {}
    for f in fields:
        raw = values.get(f.name)
        value = str(raw).strip() if raw is not None else None
        if f.secret:
            if value:  # an empty secret on edit keeps the stored one ("已设置")
                sealed[f.name] = value
            if f.required and not sealed.get(f.name):
                raise ValidationProblem(f"{f.label} is required.", type="invalid-channel-settings", field=f.name)
            continue
        if value is not None:
            config[f.name] = value
        if not config.get(f.name) and f.default:
            config[f.name] = f.default
        if f.required and not config.get(f.name):
            raise ValidationProblem(f"{f.label} is required.", type="invalid-channel-settings", field=f.name)
    if kind == "email" and not str(config.get("port", "")).isdigit():
        raise ValidationProblem("The SMTP port must be a number.", type="invalid-channel-settings", field="port")
    return config, sealed


def _public(channel: Channel) -> dict:
    return {"name": channel.name, "kind": channel.kind, "provider": channel.provider, "config": channel.config,
            "secrets_set": channel.secret_names, "is_active": channel.is_active}


@transaction.atomic
def create_channel(actor: Actor, *, name: str, kind: str, provider: str = "", settings: dict | None = None,
                   is_active: bool = True) -> Channel:
    require(actor, CONFIGURE)
    name = (name or "").strip()
    if not name:
        raise ValidationProblem("A channel needs a name.", type="invalid-channel", field="name")
    if kind not in PROVIDERS or provider not in PROVIDERS[kind]:
        raise ValidationProblem(f"Unknown channel {kind!r} / provider {provider!r}.", type="invalid-channel",
                                field="provider" if kind in PROVIDERS else "kind")
    config, sealed = _clean_settings(kind, provider, settings or {}, existing=None)
    try:
        with transaction.atomic():
            channel = Channel.objects.create(
                name=name[:60], kind=kind, provider=provider, config=config, is_active=is_active,
                secrets_encrypted=pii.encrypt(json.dumps(sealed)) if sealed else "",
                secret_names=sorted(sealed), callback_token=secrets.token_urlsafe(24))
    except IntegrityError as exc:
        raise Conflict(f"A channel named {name!r} already exists.", type="channel-exists", field="name") from exc
    audit.record(actor, "messaging.channel_created", channel, after=_public(channel))
    outbox.emit("messaging.channel_changed", "channel", channel.pk)
    return channel


@transaction.atomic
def update_channel(actor: Actor, channel: Channel, *, name: str | None = None, settings: dict | None = None,
                   is_active: bool | None = None) -> Channel:
    require(actor, CONFIGURE)
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    before = _public(channel)
    if name is not None:
        if not name.strip():
            raise ValidationProblem("A channel needs a name.", type="invalid-channel", field="name")
        if Channel.objects.filter(name=name.strip()).exclude(pk=channel.pk).exists():
            raise Conflict(f"A channel named {name!r} already exists.", type="channel-exists", field="name")
        channel.name = name.strip()[:60]
    if settings is not None:
        config, sealed = _clean_settings(channel.kind, channel.provider, settings, existing=channel)
        channel.config = config
        channel.secrets_encrypted = pii.encrypt(json.dumps(sealed)) if sealed else ""
        channel.secret_names = sorted(sealed)
    if is_active is not None:
        channel.is_active = is_active
    channel.save()
    audit.record(actor, "messaging.channel_updated", channel, before=before, after=_public(channel))
    outbox.emit("messaging.channel_changed", "channel", channel.pk)
    return channel


def _validate_texts(channel: Channel, texts: dict[str, str], provider_template_code: str) -> None:
    for field, text in texts.items():
        names = templating.validate(text, field=field)
        if not channel.reaches_members and set(names) - GROUP_VARIABLES:
            raise templating.UnknownVariables(
                "Group messages have no member: use only " + ", ".join(sorted(GROUP_VARIABLES)) + ".",
                field=field, unknown=sorted(set(names) - GROUP_VARIABLES))
    if not texts.get("body_zh", "").strip():
        raise ValidationProblem("The Chinese body is required.", type="invalid-template", field="body_zh")
    if channel.kind == "email" and not texts.get("subject_zh", "").strip():
        raise ValidationProblem("An email needs a subject.", type="invalid-template", field="subject_zh")
    if channel.kind == "sms" and channel.provider != "dev" and not provider_template_code.strip():
        raise ValidationProblem("SMS providers need the template code registered with them.",
                                type="invalid-template", field="provider_template_code")


TEXT_FIELDS = ("subject_zh", "body_zh", "subject_en", "body_en")


@transaction.atomic
def save_template(actor: Actor, *, template: MessageTemplate | None = None, channel: Channel, name: str,
                  purpose: str, subject_zh: str = "", body_zh: str = "", subject_en: str = "", body_en: str = "",
                  provider_template_code: str = "", track_links: bool = True,
                  is_active: bool = True) -> MessageTemplate:
    """Create a template, or change `template`; unknown variables are refused with their names."""
    require(actor, CONFIGURE)
    if purpose not in Purpose.values:
        raise ValidationProblem(f"Unknown purpose {purpose!r}.", type="invalid-template", field="purpose")
    name = (name or "").strip()
    if not name:
        raise ValidationProblem("A template needs a name.", type="invalid-template", field="name")
    texts = {"subject_zh": subject_zh, "body_zh": body_zh, "subject_en": subject_en, "body_en": body_en}
    texts = {k: (v or "").strip() for k, v in texts.items()}
    _validate_texts(channel, texts, provider_template_code or "")
    if MessageTemplate.objects.filter(channel=channel, name=name).exclude(pk=getattr(template, "pk", None)).exists():
        raise Conflict(f"This channel already has a template named {name!r}.", type="template-exists",
                       field="name")
    before = None
    if template is None:
        template = MessageTemplate(channel=channel)
    else:
        before = {"name": template.name, "purpose": template.purpose, "body_zh": template.body_zh}
    template.name, template.purpose = name[:80], purpose
    template.subject_zh, template.body_zh = texts["subject_zh"][:200], texts["body_zh"]
    template.subject_en, template.body_en = texts["subject_en"][:200], texts["body_en"]
    template.provider_template_code = (provider_template_code or "").strip()[:40]
    template.track_links, template.is_active = track_links, is_active
    template.save()
    audit.record(actor, "messaging.template_saved", template, before=before,
                 after={"name": template.name, "purpose": purpose, "channel": channel.pk, "body_zh": template.body_zh})
    return template
