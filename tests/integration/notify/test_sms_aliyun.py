"""The Alibaba Cloud SMS adapter against a local HTTP server that checks each request's V3
signature the way the provider documents it, written out here independently of the adapter,
and answers with the provider's codes, which the adapter maps to retry or give up."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from weiquan.adapters.notify.aliyun_sms import AliyunSmsChannel
from weiquan.domain.notifications import ChannelName, DeliveryFailure
from weiquan.services.notify_ports import OutgoingMessage

KEY_ID, SECRET = "LTAI5tTestKeyId", "test-secret-9f8e7d"


def _encode(value: str) -> str:
    # RFC 3986 unreserved characters stay; everything else is %XX of its UTF-8 bytes.
    unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
    return "".join(ch if ch in unreserved else quote(ch, safe="") for ch in value)


def expected_signature(
    method: str, path: str, query: str, headers: dict[str, str], body: bytes, signed: list[str]
) -> str:
    """Signature method V3, step by step from the provider's documentation."""
    pairs = sorted((k, v) for k, v in parse_qsl(query, keep_blank_values=True))
    canonical_query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in pairs)
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed)
    canonical_request = (
        f"{method}\n{path}\n{canonical_query}\n{canonical_headers}\n{';'.join(signed)}\n"
        f"{hashlib.sha256(body).hexdigest()}"
    )
    string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode()).hexdigest()
    return hmac.new(SECRET.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass
class Gateway:
    """What the fake gateway saw and what it answers next (``Code`` values, then OK)."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    answers: list[tuple[int, str]] = field(default_factory=list)
    bad_signatures: int = 0


def _handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            auth = headers.get("authorization", "")
            algorithm, _, rest = auth.partition(" ")
            fields = dict(part.split("=", 1) for part in rest.split(","))
            signed = fields["SignedHeaders"].split(";")
            url = urlsplit(self.path)
            required = {"host", *(h for h in headers if h.startswith("x-acs-"))}
            ok = (
                algorithm == "ACS3-HMAC-SHA256"
                and fields["Credential"] == KEY_ID
                and required <= set(signed)
                and signed == sorted(signed)
                and headers["x-acs-content-sha256"] == hashlib.sha256(body).hexdigest()
                and abs(
                    datetime.now(UTC)
                    - datetime.strptime(headers["x-acs-date"], "%Y-%m-%dT%H:%M:%SZ").replace(
                        tzinfo=UTC
                    )
                )
                < timedelta(minutes=15)
                and hmac.compare_digest(
                    fields["Signature"],
                    expected_signature("POST", url.path, url.query, headers, body, signed),
                )
            )
            params = dict(parse_qsl(url.query))
            gateway.requests.append({"headers": headers, "params": params, "signed_ok": ok})
            if not ok:
                gateway.bad_signatures += 1
                status, code = 400, "SignatureDoesNotMatch"
            elif gateway.answers:
                status, code = gateway.answers.pop(0)
            else:
                status, code = 200, "OK"
            payload = json.dumps(
                {"Code": code, "Message": code, "RequestId": "r-1", "BizId": "b-1"}
            )
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(payload.encode())

        def log_message(self, *_: object) -> None:
            pass

    return Handler


@pytest.fixture
def gateway() -> Iterator[tuple[Gateway, str]]:
    state = Gateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _channel(endpoint: str, secret: str = SECRET) -> AliyunSmsChannel:
    return AliyunSmsChannel(
        access_key_id=KEY_ID,
        access_key_secret=secret,
        sign_name="维权平台",
        templates={"default": "SMS_100001", "offer_made": "SMS_100002"},
        endpoint=endpoint,
    )


def _sms(template: str = "offer_made", to: str = "+86 139-1234-5678") -> OutgoingMessage:
    return OutgoingMessage(
        notice_id="n-42",
        channel=ChannelName.SMS,
        to=to,
        language="zh_CN",
        subject="",
        text="案件 WQ1 商家提出了解决方案",
        template=template,
        template_params={"case": "WQ20261125ABC", "due": "请在 11月30日 24:00 前接受或拒绝"},
    )


def test_a_signed_request_names_the_number_template_and_notice(
    gateway: tuple[Gateway, str],
) -> None:
    state, endpoint = gateway
    _channel(endpoint).deliver(_sms())
    (request,) = state.requests
    assert request["signed_ok"]
    assert request["headers"]["x-acs-action"] == "SendSms"
    assert request["headers"]["x-acs-version"] == "2017-05-25"
    assert request["params"] == {
        "PhoneNumbers": "13912345678",
        "SignName": "维权平台",
        "TemplateCode": "SMS_100002",
        "TemplateParam": '{"case": "WQ20261125ABC", "due": "请在 11月30日 24:00 前接受或拒绝"}',
        "OutId": "n-42",
    }


def test_a_kind_without_its_own_template_uses_the_default(gateway: tuple[Gateway, str]) -> None:
    state, endpoint = gateway
    _channel(endpoint).deliver(_sms(template="case_referred"))
    assert state.requests[0]["params"]["TemplateCode"] == "SMS_100001"


def test_a_request_signed_with_the_wrong_secret_is_refused_and_given_up(
    gateway: tuple[Gateway, str],
) -> None:
    state, endpoint = gateway
    with pytest.raises(DeliveryFailure) as refused:
        _channel(endpoint, secret="not-the-secret").deliver(_sms())
    assert state.bad_signatures == 1
    assert (refused.value.code, refused.value.retry) == ("SignatureDoesNotMatch", False)


@pytest.mark.parametrize(
    ("status", "code", "retry"),
    [
        (200, "isv.BUSINESS_LIMIT_CONTROL", True),  # throttled: later
        (200, "isp.SYSTEM_ERROR", True),
        (200, "isv.AMOUNT_NOT_ENOUGH", True),  # a top-up fixes it
        (200, "isv.MOBILE_NUMBER_ILLEGAL", False),
        (200, "isv.SMS_TEMPLATE_ILLEGAL", False),
        (200, "isv.TEMPLATE_MISSING_PARAMETERS", False),
        (503, "ServiceUnavailable", True),
    ],
)
def test_provider_codes_map_to_retry_or_give_up(
    gateway: tuple[Gateway, str], status: int, code: str, retry: bool
) -> None:
    state, endpoint = gateway
    state.answers.append((status, code))
    with pytest.raises(DeliveryFailure) as failure:
        _channel(endpoint).deliver(_sms())
    assert (failure.value.code, failure.value.retry) == (code, retry)
    assert state.requests[0]["signed_ok"]


def test_an_unreachable_gateway_is_retried() -> None:
    with pytest.raises(DeliveryFailure) as failure:
        _channel("http://127.0.0.1:9").deliver(_sms())
    assert failure.value.retry
