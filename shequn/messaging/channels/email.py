"""Email over SMTP with the channel's own server settings (Django's SMTP backend)."""

import smtplib

from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend

from .base import DeliveryResult, Outgoing

SMTP_TIMEOUT = 15


class SmtpEmail:
    def __init__(self, config: dict, secrets: dict) -> None:
        self.config, self.password = config, secrets.get("password", "")

    def backend(self) -> EmailBackend:
        security = (self.config.get("security") or "ssl").lower()
        return EmailBackend(host=self.config["host"], port=int(self.config.get("port") or 465),
                            username=self.config.get("username") or "", password=self.password,
                            use_ssl=security == "ssl", use_tls=security == "starttls",
                            timeout=SMTP_TIMEOUT, fail_silently=False)

    def sender(self) -> str:
        name = self.config.get("from_name") or ""
        return f"{name} <{self.config['from_email']}>" if name else self.config["from_email"]

    def send(self, message: Outgoing) -> DeliveryResult:
        mail = EmailMessage(subject=message.subject, body=message.body, from_email=self.sender(),
                            to=[message.address], headers={"X-Shequn-Message-Id": str(message.message_id),
                                                           **message.headers})
        try:
            sent = self.backend().send_messages([mail])
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            return DeliveryResult.failed(f"邮件服务器拒绝或无法连接：{exc}")
        if not sent:
            return DeliveryResult.failed("邮件服务器没有接受这封邮件。")
        return DeliveryResult(ok=True, provider_message_id=mail.extra_headers.get("Message-ID", "")
                              or f"smtp-{message.message_id}")
