"""Email over SMTP with the channel's own server settings (the message is built by Django)."""

import smtplib
import ssl

from django.core.mail import EmailMessage

from .base import DeliveryResult, Outgoing

SMTP_TIMEOUT = 15


class SmtpEmail:
    def __init__(self, config: dict, secrets: dict) -> None:
        self.config, self.password = config, secrets.get("password", "")

    def connect(self) -> smtplib.SMTP:
        host, port = self.config["host"], int(self.config.get("port") or 465)
        security = (self.config.get("security") or "ssl").lower()
        if security == "ssl":
            server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT,
                                                    context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
            if security == "starttls":
                server.starttls(context=ssl.create_default_context())
        if self.config.get("username"):
            server.login(self.config["username"], self.password)
        return server

    def sender(self) -> str:
        name = self.config.get("from_name") or ""
        return f"{name} <{self.config['from_email']}>" if name else self.config["from_email"]

    def send(self, message: Outgoing) -> DeliveryResult:
        mail = EmailMessage(subject=message.subject, body=message.body, from_email=self.sender(),
                            to=[message.address], headers={"X-Shequn-Message-Id": str(message.message_id),
                                                           **message.headers}).message()
        try:
            with self.connect() as server:
                refused = server.send_message(mail, from_addr=self.config["from_email"], to_addrs=[message.address])
        except (smtplib.SMTPException, OSError) as exc:
            return DeliveryResult.failed(f"邮件服务器拒绝或无法连接：{exc}")
        if refused:
            return DeliveryResult.failed(f"邮件服务器拒绝了收件人：{refused}")
        return DeliveryResult(ok=True, provider_message_id=str(mail.get("Message-ID", ""))[:120])
