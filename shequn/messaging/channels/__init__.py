"""Channels behind one interface: `sender_for(channel).send(Outgoing) -> DeliveryResult`."""

import json

from shequn.core import pii

from .base import PROVIDER_LABELS, PROVIDERS, SPECS, DeliveryResult, Outgoing, Sender, Setting, spec
from .email import SmtpEmail
from .inapp import InApp
from .sms import PROVIDERS as SMS_PROVIDERS
from .wecom import WeComGroupMass, WeComRobot

__all__ = ["PROVIDERS", "PROVIDER_LABELS", "SPECS", "DeliveryResult", "Outgoing", "Sender", "Setting",
           "open_secrets", "sender_for", "spec"]


def open_secrets(channel) -> dict:
    return json.loads(pii.decrypt(channel.secrets_encrypted)) if channel.secrets_encrypted else {}


def sender_for(channel) -> Sender:
    secrets = open_secrets(channel)
    if channel.kind == "sms":
        return SMS_PROVIDERS[channel.provider](channel.config, secrets)
    classes = {"in_app": InApp, "email": SmtpEmail, "wecom_robot": WeComRobot, "wecom_group": WeComGroupMass}
    return classes[channel.kind](channel.config, secrets)
