"""E-mail against a real SMTP server started here (aiosmtpd): STARTTLS and implicit TLS, login,
both languages, text and HTML, List-Unsubscribe only where a notice may be switched off, and the
server's answers mapped to retry or give up."""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from weiquan.adapters.notify.email import SmtpChannel, SmtpSecurity
from weiquan.domain.notifications import ChannelName, DeliveryFailure, NoticeKind, render
from weiquan.services.notify_ports import OutgoingMessage

USER, PASSWORD = "notify", "s3cret-relay-password"


@dataclass
class Mailbox:
    """The SMTP server's handler: keeps what arrived, deduplicated by Message-ID; refuses
    recipients at ``refuse`` with the given code."""

    messages: dict[str, EmailMessage] = field(default_factory=dict)
    copies: int = 0
    refuse: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, _server: Any, _session: Session, envelope: Envelope, address: str, _options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Session, envelope: Envelope) -> str:  # noqa: N802
        assert isinstance(envelope.content, bytes)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.copies += 1
        self.messages.setdefault(str(parsed["Message-ID"]), parsed)
        return "250 Message accepted"


def _authenticate(
    server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made for this test run."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def _client_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.fixture
def starttls_server(
    certificate: tuple[Path, Path], unused_port: int
) -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=unused_port,
        tls_context=_server_context(certificate),
        require_starttls=True,
        auth_required=True,
        authenticator=_authenticate,
    )
    controller.start()
    yield mailbox, unused_port
    controller.stop()


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _notice(language: str, *, kind: NoticeKind, notice_id: str = "n-1") -> OutgoingMessage:
    due = datetime(2026, 11, 30, 16, 0, tzinfo=UTC).isoformat()  # 12-01 00:00 Beijing
    rendered = render(
        kind,
        "WQ20261125ABC",
        {"title": "耳机右耳无声", "due_at": due, "amount_fen": 29900},
        language,
    )
    link = "http://127.0.0.1:8000/cases/c-1"
    return OutgoingMessage(
        notice_id=notice_id,
        channel=ChannelName.EMAIL,
        to="shop@example.com",
        language=language,
        subject=rendered.subject,
        text=f"{rendered.text}\n{link}",
        link=link,
        statutory=kind is NoticeKind.COMPLAINT_RECEIVED,
    )


def _channel(port: int, certificate: tuple[Path, Path], **overrides: Any) -> SmtpChannel:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "sender": "维权平台 <notify@weiquan.example>",
        "security": SmtpSecurity.STARTTLS,
        "username": USER,
        "password": PASSWORD,
        "unsubscribe_url": "https://weiquan.example/notifications/preferences",
        "tls_context": _client_context(certificate),
    }
    values.update(overrides)
    return SmtpChannel(**values)


def test_a_statutory_notice_arrives_over_starttls_in_chinese_without_an_unsubscribe_link(
    starttls_server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = starttls_server
    _channel(port, certificate).deliver(_notice("zh_CN", kind=NoticeKind.COMPLAINT_RECEIVED))
    (mail,) = mailbox.messages.values()
    assert mail["Subject"] == "[维权] 收到新投诉 · 案件 WQ20261125ABC"
    assert mail["Message-ID"] == "<n-1@weiquan.example>"
    assert mail["Content-Language"] == "zh-CN"
    assert mail["List-Unsubscribe"] is None
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "请在 2026年11月30日 24:00 前答复" in text.get_content()
    assert "无法退订" in text.get_content()
    assert '<a href="http://127.0.0.1:8000/cases/c-1">查看案件</a>' in html.get_content()


def test_an_offer_arrives_in_english_with_one_click_unsubscribe(
    starttls_server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = starttls_server
    _channel(port, certificate).deliver(_notice("en", kind=NoticeKind.OFFER_MADE))
    (mail,) = mailbox.messages.values()
    assert mail["Subject"] == "[Weiquan] The merchant made an offer · case WQ20261125ABC"
    assert mail["Content-Language"] == "en"
    assert (
        str(mail["List-Unsubscribe"]).strip()
        == "<https://weiquan.example/notifications/preferences?notice=n-1>"
    )
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = mail.get_body(("plain",))
    assert body is not None
    assert "offered a settlement of ¥299.00" in body.get_content()
    assert "by 30 Nov 2026 24:00 (Beijing time)" in body.get_content()


def test_the_same_notice_delivered_twice_is_one_message_to_a_deduplicating_receiver(
    starttls_server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = starttls_server
    channel = _channel(port, certificate)
    channel.deliver(_notice("zh_CN", kind=NoticeKind.OFFER_MADE, notice_id="n-7"))
    channel.deliver(_notice("zh_CN", kind=NoticeKind.OFFER_MADE, notice_id="n-7"))
    assert mailbox.copies == 2
    assert list(mailbox.messages) == ["<n-7@weiquan.example>"]


def test_a_refused_recipient_is_given_up_and_a_temporary_refusal_retried(
    starttls_server: tuple[Mailbox, int], certificate: tuple[Path, Path]
) -> None:
    mailbox, port = starttls_server
    mailbox.refuse["shop@example.com"] = "550 5.1.1 No such user"
    with pytest.raises(DeliveryFailure) as refused:
        _channel(port, certificate).deliver(_notice("zh_CN", kind=NoticeKind.OFFER_MADE))
    assert (refused.value.code, refused.value.retry) == ("smtp_550", False)
    mailbox.refuse["shop@example.com"] = "451 4.3.0 Try again later"
    with pytest.raises(DeliveryFailure) as later:
        _channel(port, certificate).deliver(_notice("zh_CN", kind=NoticeKind.OFFER_MADE))
    assert (later.value.code, later.value.retry) == ("smtp_451", True)


def test_a_server_that_is_not_there_is_retried(
    certificate: tuple[Path, Path], unused_port: int
) -> None:
    with pytest.raises(DeliveryFailure) as failure:
        _channel(unused_port, certificate).deliver(_notice("zh_CN", kind=NoticeKind.OFFER_MADE))
    assert failure.value.retry


# The socket is TLS from the first byte; aiosmtpd warns because it only knows STARTTLS as TLS.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_delivers_too(certificate: tuple[Path, Path], unused_port: int) -> None:
    mailbox = Mailbox()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=unused_port,
        ssl_context=_server_context(certificate),
        authenticator=_authenticate,
        auth_required=True,
        auth_require_tls=False,  # aiosmtpd counts only STARTTLS as TLS; this socket is TLS
    )
    controller.start()
    try:
        _channel(unused_port, certificate, security=SmtpSecurity.TLS).deliver(
            _notice("en", kind=NoticeKind.OFFER_MADE)
        )
    finally:
        controller.stop()
    assert len(mailbox.messages) == 1
