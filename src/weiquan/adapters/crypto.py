"""Personal data encryption at rest, password hashing and identifiers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import string
import uuid
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from weiquan.domain.errors import IntegrityViolation, ValidationFailed

_VERSION = "v1"


@dataclass(frozen=True)
class FieldCipher:
    """AES-256-GCM per field: ``v1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>``.

    Several keys may be configured; the first encrypts and any decrypts, so keys can be rotated
    without rewriting every row at once.
    """

    keys: dict[str, bytes]
    current: str

    @classmethod
    def from_secret_list(cls, secrets_csv: str) -> FieldCipher:
        """``"k2:<base64 key>,k1:<base64 key>"`` — the first entry is the current key."""
        keys: dict[str, bytes] = {}
        for entry in filter(None, (p.strip() for p in secrets_csv.split(","))):
            key_id, _, encoded = entry.partition(":")
            try:
                raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            except ValueError as exc:
                raise ValidationFailed(f"加密密钥 {key_id} 不是有效的 base64") from exc
            if len(raw) != 32 or not key_id:
                raise ValidationFailed(f"加密密钥 {key_id!r} 须为 32 字节 (AES-256)")
            keys[key_id] = raw
        if not keys:
            raise ValidationFailed("未配置个人信息加密密钥 (WEIQUAN_PII_KEYS)")
        return cls(keys, next(iter(keys)))

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[self.current]).encrypt(
            nonce, plaintext.encode(), _VERSION.encode()
        )
        return f"{_VERSION}:{self.current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str) -> str:
        try:
            version, key_id, encoded = token.split(":", 2)
            raw = base64.urlsafe_b64decode(encoded)
            key = self.keys[key_id]
            return AESGCM(key).decrypt(raw[:12], raw[12:], version.encode()).decode()
        except KeyError as exc:
            raise IntegrityViolation("个人信息密文使用了未配置的密钥") from exc
        except Exception as exc:
            raise IntegrityViolation("个人信息密文校验失败") from exc


@dataclass(frozen=True)
class KeyedHash:
    """HMAC-SHA256 under the deployment's lookup key (``WEIQUAN_LOOKUP_KEY``): a stable value
    to find a record by a personal datum (a phone number) without storing the datum or a plain
    hash of it, which for phone numbers is enumerable in hours. ``purpose`` separates the uses,
    so one digest cannot stand in for another."""

    key: bytes

    @classmethod
    def from_secret(cls, secret: str) -> KeyedHash:
        if len(secret) < 32:
            raise ValidationFailed("查找密钥 (WEIQUAN_LOOKUP_KEY) 至少 32 个字符")
        return cls(secret.encode())

    def digest(self, purpose: str, value: str) -> str:
        message = f"{purpose}\x00{value}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()


def new_key_entry(key_id: str) -> str:
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip('=')}"


class Argon2Passwords:
    """argon2id; defaults are the library's recommended parameters (RFC 9106 low-memory profile).

    Tests pass smaller costs: still real argon2id, just cheaper to run hundreds of times.
    """

    def __init__(self, *, time_cost: int = 3, memory_cost: int = 65536) -> None:
        self._hasher = _Argon2(time_cost=time_cost, memory_cost=memory_cost)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def token_digest(token: str) -> str:
    """API tokens are random, high-entropy strings: a SHA-256 lookup key is enough (no argon2)."""
    return hashlib.sha256(token.encode()).hexdigest()


_CASE_SUFFIX = 6
_CASE_ALPHABET = "".join(ch for ch in string.digits + string.ascii_uppercase if ch not in "01OIL")


class RandomIds:
    """UUID4 ids, human-friendly case numbers (WQ-20261125-7K3F9Q), bearer tokens."""

    def new_id(self) -> str:
        return str(uuid.uuid4())

    def case_number(self, at: datetime) -> str:
        # One draw from the system's randomness, written in base 31 (six draws cost six calls).
        value = secrets.randbelow(len(_CASE_ALPHABET) ** _CASE_SUFFIX)
        suffix = []
        for _ in range(_CASE_SUFFIX):
            value, digit = divmod(value, len(_CASE_ALPHABET))
            suffix.append(_CASE_ALPHABET[digit])
        return f"WQ-{at:%Y%m%d}-{''.join(suffix)}"

    def token(self) -> str:
        return "wq_" + secrets.token_urlsafe(32)
