"""E-mail over SMTP (stdlib ``smtplib``): implicit TLS, STARTTLS or plain, with optional login.

Each message is plain text plus HTML in the recipient's language. Its ``Message-ID`` is made from
the notice id, so a notice delivered twice (delivery is at least once) arrives as the same message,
which mail systems and our own receivers deduplicate. Notices that are not statutory carry
``List-Unsubscribe`` (RFC 2369) with one-click unsubscription (RFC 8058); statutory ones cannot be
switched off, so they offer none.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from enum import StrEnum
from html import escape

from weiquan.domain.notifications import DeliveryFailure
from weiquan.services.notify_ports import OutgoingMessage


class SmtpSecurity(StrEnum):
    TLS = "tls"  # implicit TLS from the first byte (port 465)
    STARTTLS = "starttls"  # plain connection upgraded before login (port 587)
    NONE = "none"  # local relays and tests only


_FOOTER = {
    "zh_CN": "此邮件由维权平台自动发送，请勿直接回复。",
    "en": "This message was sent automatically by Weiquan; please do not reply to it.",
}
_OPEN = {"zh_CN": "查看案件", "en": "Open the case"}
_STATUTORY = {
    "zh_CN": "这是与法定期限有关的通知，无法退订。",
    "en": "This notice concerns a statutory deadline and cannot be unsubscribed from.",
}
_UNSUBSCRIBE = {"zh_CN": "退订此类邮件", "en": "Unsubscribe from these e-mails"}

_HTML = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{subject}</title></head>
<body style="font-family: sans-serif; line-height: 1.6; max-width: 36em">
<p>{body}</p>
<p><a href="{link}">{open}</a></p>
<hr><p style="color: #555; font-size: 0.9em">{footer}</p>
</body></html>
"""


@dataclass(frozen=True)
class SmtpChannel:
    host: str
    port: int
    sender: str  # "维权平台 <notify@example.org>" or a bare address
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    username: str = ""
    password: str = ""
    unsubscribe_url: str = ""  # notices that are not statutory link here
    timeout: float = 15.0
    tls_context: ssl.SSLContext | None = None  # None: the system's trust store

    def deliver(self, message: OutgoingMessage) -> None:
        email = self.compose(message)
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryFailure(f"smtp_{codes[0]}", retry=all(c < 500 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            # 4xx: the server asks us to come back later; 5xx: it will never take this message.
            raise DeliveryFailure(f"smtp_{exc.smtp_code}", retry=exc.smtp_code < 500) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailure(f"smtp_{type(exc).__name__}", retry=True) from None

    def _connect(self) -> smtplib.SMTP:
        context = self.tls_context or ssl.create_default_context()
        if self.security is SmtpSecurity.TLS:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security is SmtpSecurity.STARTTLS:
            smtp.starttls(context=context)
        return smtp

    def compose(self, message: OutgoingMessage) -> EmailMessage:
        lang = message.language if message.language in _FOOTER else "zh_CN"
        email = EmailMessage()
        email["Subject"] = message.subject
        email["From"] = self.sender
        email["To"] = formataddr(("", message.to))
        email["Date"] = formatdate(localtime=False, usegmt=True)
        email["Message-ID"] = f"<{message.notice_id}@{self._domain()}>"
        email["X-Weiquan-Notice-Id"] = message.notice_id
        html_lang = "en" if lang == "en" else "zh-CN"
        footer = _FOOTER[lang]
        if message.statutory or not self.unsubscribe_url:
            footer = f"{footer} {_STATUTORY[lang]}" if message.statutory else footer
        else:
            url = f"{self.unsubscribe_url}?notice={message.notice_id}"
            email["List-Unsubscribe"] = f"<{url}>"
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            footer = f"{footer} {_UNSUBSCRIBE[lang]}: {url}"
        email.set_content(f"{message.text}\n\n-- \n{footer}\n")
        body = "<br>".join(
            escape(line) for line in message.text.splitlines() if line != message.link
        )
        email.add_alternative(
            _HTML.format(
                lang=html_lang,
                subject=escape(message.subject),
                body=body,
                link=escape(message.link, quote=True),
                open=_OPEN[lang],
                footer=escape(footer),
            ),
            subtype="html",
        )
        email["Content-Language"] = html_lang  # after the body: setting content clears it
        return email

    def _domain(self) -> str:
        address = self.sender.rsplit("<", 1)[-1].rstrip(">")
        return address.rsplit("@", 1)[-1] if "@" in address else "weiquan.invalid"
