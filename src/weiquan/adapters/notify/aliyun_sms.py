"""SMS through Alibaba Cloud SMS (dysmsapi ``SendSms``, API version 2017-05-25).

Requests are signed with Alibaba Cloud's signature method V3 (``ACS3-HMAC-SHA256``), as the
provider documents it ("Request syntax and signature method V3"):

1. canonical request = method, URI, canonical query string, canonical headers, signed header
   names and the hex SHA-256 of the body, joined by line feeds; the query string is sorted by
   name with names and values percent-encoded per RFC 3986 (space as ``%20``); the headers are
   ``host``, ``content-type`` if present and every ``x-acs-*``, lower-case, sorted, each as
   ``name:value`` ending in a line feed;
2. string to sign = ``ACS3-HMAC-SHA256`` + line feed + hex SHA-256 of the canonical request;
3. signature = hex HMAC-SHA256 of the string to sign under the AccessKey secret, sent as
   ``Authorization: ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<names>,Signature=<hex>``.

SMS in mainland China is sent from templates approved in advance: each notice kind maps to a
template code (``WEIQUAN_SMS_ALIYUN_TEMPLATES``), with ``default`` for the kinds not listed. The
notice id goes out as ``OutId`` so delivery receipts and deduplication can refer to it. The
provider's error codes are mapped to retry or give up (:data:`GIVE_UP`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from weiquan.domain.notifications import DeliveryFailure
from weiquan.services.notify_ports import OutgoingMessage

ALGORITHM = "ACS3-HMAC-SHA256"
ACTION, VERSION = "SendSms", "2017-05-25"

# Codes no retry can fix: the number, the template or the request is wrong. Everything else
# (isp.SYSTEM_ERROR, isv.BUSINESS_LIMIT_CONTROL throttling, an unpaid balance, codes we do not
# know) is retried with backoff until the give-up horizon.
GIVE_UP = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.INVALID_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.SMS_SIGN_ILLEGAL",
        "isv.EXTEND_CODE_ERROR",
        "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
        "isv.DENY_IP_RANGE",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId.NotFound",
    }
)


def percent_encode(value: str) -> str:
    """RFC 3986: everything but ``A–Z a–z 0–9 - _ . ~`` as UTF-8 %XX (space is %20)."""
    return quote(value, safe="-_.~")


def canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def sign(
    *,
    method: str,
    path: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
    secret: str,
) -> tuple[str, str]:
    """(signed header names, signature) for a request; ``headers`` must hold ``host`` and the
    ``x-acs-*`` headers, including ``x-acs-content-sha256``."""
    signed = {
        k.lower(): v.strip()
        for k, v in headers.items()
        if k.lower() in ("host", "content-type") or k.lower().startswith("x-acs-")
    }
    names = sorted(signed)
    canonical_headers = "".join(f"{name}:{signed[name]}\n" for name in names)
    signed_headers = ";".join(names)
    canonical_request = "\n".join(
        [
            method,
            path,
            canonical_query(params),
            canonical_headers,
            signed_headers,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical_request.encode()).hexdigest()}"
    signature = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return signed_headers, signature


def mainland_number(phone: str) -> str:
    """'+86 139-1234-5678' → '13912345678' (the form SendSms takes for mainland numbers)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


@dataclass(frozen=True)
class AliyunSmsChannel:
    access_key_id: str
    access_key_secret: str
    sign_name: str  # the approved 签名, e.g. "维权平台"
    templates: Mapping[str, str] = field(default_factory=dict)  # notice kind → template code
    endpoint: str = "https://dysmsapi.aliyuncs.com"
    timeout: float = 10.0

    def deliver(self, message: OutgoingMessage) -> None:
        template = self.templates.get(message.template) or self.templates.get("default")
        if not template:
            raise DeliveryFailure("no_sms_template", retry=False)
        params = {
            "PhoneNumbers": mainland_number(message.to),
            "SignName": self.sign_name,
            "TemplateCode": template,
            "TemplateParam": json.dumps(message.template_params, ensure_ascii=False),
            "OutId": message.notice_id,
        }
        try:
            response = httpx.post(
                f"{self.endpoint.rstrip('/')}/?{canonical_query(params)}",
                headers=self.signed_headers(params),
                content=b"",
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise DeliveryFailure(f"sms_{type(exc).__name__}", retry=True) from None
        self._check(response)

    def signed_headers(
        self, params: Mapping[str, str], *, now: datetime | None = None
    ) -> dict[str, str]:
        host = httpx.URL(self.endpoint).netloc.decode()
        headers = {
            "host": host,
            "x-acs-action": ACTION,
            "x-acs-version": VERSION,
            "x-acs-date": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "x-acs-signature-nonce": secrets.token_hex(16),
            "x-acs-content-sha256": hashlib.sha256(b"").hexdigest(),
        }
        names, signature = sign(
            method="POST",
            path="/",
            params=params,
            headers=headers,
            body=b"",
            secret=self.access_key_secret,
        )
        headers["Authorization"] = (
            f"{ALGORITHM} Credential={self.access_key_id},SignedHeaders={names},"
            f"Signature={signature}"
        )
        return headers

    @staticmethod
    def _check(response: httpx.Response) -> None:
        try:
            code = str(response.json().get("Code", ""))
        except ValueError:
            code = ""
        if response.status_code == 200 and code == "OK":
            return
        if not code:
            code = f"http_{response.status_code}"
            raise DeliveryFailure(
                code, retry=response.status_code >= 500 or response.status_code == 429
            )
        raise DeliveryFailure(code, retry=code not in GIVE_UP)
