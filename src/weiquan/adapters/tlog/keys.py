"""Ed25519 note keys and the directory that keeps them, outside the database.

Key directory layout (created 0700 with the first key, which only a fresh, empty log makes):

``ed25519-<key ID>.key``   the signing key, mode 0600, in the Go ``note`` signer format
                           ``PRIVATE+KEY+<name>+<key ID>+<base64(0x01 ‖ seed)>``
``ed25519-<key ID>.vkey``  the public verifier key ``<name>+<key ID>+<base64(0x01 ‖ pub)>``
``active``                 the key ID that signs new checkpoints

Rotation writes a new key, switches ``active`` atomically and deletes the old signing key; the
old ``.vkey`` stays so checkpoints signed before the rotation still verify.

A missing directory or key is an error (:class:`SigningKeyMissing`), never a reason to make a new
key: a new key over an existing log would let a restored or lost key directory pass unnoticed.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from weiquan.adapters.tlog.files import write_atomically
from weiquan.domain.errors import IntegrityViolation, SigningKeyMissing, ValidationFailed
from weiquan.domain.tlog.notes import (
    SIGNATURE_TYPE_ED25519,
    VerifierKey,
    check_key_name,
    compute_key_id,
    parse_verifier_key,
)

_PRIVATE_PREFIX = "PRIVATE+KEY+"


class Ed25519NoteVerifier:
    def __init__(self, name: str, public_key: bytes) -> None:
        self._key = Ed25519PublicKey.from_public_bytes(public_key)
        self._name = name
        self._key_id = compute_key_id(name, SIGNATURE_TYPE_ED25519, public_key)
        self._public = public_key

    @classmethod
    def from_verifier_key(cls, text: str) -> Ed25519NoteVerifier:
        key = parse_verifier_key(text)
        if key.signature_type != SIGNATURE_TYPE_ED25519:
            raise ValidationFailed(f"not an Ed25519 verifier key: {text!r}", field="key")
        return cls(key.name, key.public_key)

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._key_id

    def verifier_key(self) -> str:
        return VerifierKey(self._name, self._key_id, SIGNATURE_TYPE_ED25519, self._public).text()

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            self._key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


class Ed25519NoteSigner:
    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        check_key_name(name)
        self._name = name
        self._key = private_key
        self._public = private_key.public_key().public_bytes_raw()
        self._key_id = compute_key_id(name, SIGNATURE_TYPE_ED25519, self._public)

    @classmethod
    def generate(cls, name: str) -> Ed25519NoteSigner:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_private_key_text(cls, text: str) -> Ed25519NoteSigner:
        fields = text.strip().removeprefix(_PRIVATE_PREFIX).split("+", 2)
        if not text.startswith(_PRIVATE_PREFIX) or len(fields) != 3:
            raise ValidationFailed("not a note signing key", field="key")
        name, key_id_text, encoded = fields
        try:
            payload = base64.b64decode(encoded, validate=True)
        except binascii.Error as error:
            raise ValidationFailed("not a note signing key", field="key") from error
        if len(payload) != 33 or payload[0] != SIGNATURE_TYPE_ED25519:
            raise ValidationFailed("not an Ed25519 note signing key", field="key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(payload[1:]))
        if f"{signer.key_id:08x}" != key_id_text.lower():
            raise IntegrityViolation("the signing key does not match its key ID")
        return signer

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_id(self) -> int:
        return self._key_id

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def verifier(self) -> Ed25519NoteVerifier:
        return Ed25519NoteVerifier(self._name, self._public)

    def verifier_key(self) -> str:
        return self.verifier().verifier_key()

    def private_key_text(self) -> str:
        seed = self._key.private_bytes_raw()
        encoded = base64.b64encode(bytes([SIGNATURE_TYPE_ED25519]) + seed).decode()
        return f"{_PRIVATE_PREFIX}{self._name}+{self._key_id:08x}+{encoded}\n"


@dataclass(frozen=True, slots=True)
class PublishedKey:
    """A public key the log signs or signed checkpoints with, as the platform publishes it."""

    text: str  # the verifier key, ``<name>+<key ID>+<base64>``
    key_id: str
    active: bool
    since: datetime  # when this key was made (its public file's time)


def published_keys(directory: Path) -> list[PublishedKey]:
    """Every public key of the log, the active one first, then the retired ones newest first.
    Read from the public files alone: a web process never touches a signing key."""
    if not directory.is_dir():
        return []
    active_file = directory / "active"
    active = active_file.read_text().strip().lower() if active_file.exists() else ""
    found = []
    for path in directory.glob("ed25519-*.vkey"):
        key_id = path.stem.removeprefix("ed25519-").lower()
        since = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        found.append(PublishedKey(path.read_text().strip(), key_id, key_id == active, since))
    return sorted(found, key=lambda k: (not k.active, -k.since.timestamp()))


def key_texts_in(text: str) -> list[str]:
    """The keys in a key file: one per line (the published history), blank lines and ``#``
    comments ignored; a file of one key is the common case."""
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


class KeyStore:
    """The log's signing keys for one key name (the log's origin)."""

    def __init__(self, directory: Path, *, name: str) -> None:
        check_key_name(name)
        self._directory = directory
        self._name = name

    @property
    def directory(self) -> Path:
        return self._directory

    def has_active_key(self) -> bool:
        return (self._directory / "active").exists()

    def active_key_id(self) -> int:
        """The ID of the key that signs, read from ``active`` (cheap: the worker polls it)."""
        active = self._directory / "active"
        try:
            text = active.read_text().strip()
        except FileNotFoundError as error:
            raise SigningKeyMissing(self._missing(f"{active} does not exist")) from error
        try:
            return int(text, 16)
        except ValueError as error:
            raise IntegrityViolation(f"{active} names no key") from error

    def active_signer(self) -> Ed25519NoteSigner:
        """The signing key; an error when there is none (see :meth:`create_first_key`)."""
        return self._load(self.active_key_id())

    def create_first_key(self) -> Ed25519NoteSigner:
        """The first key of a fresh, empty log. Callers check that the log is fresh."""
        if self.has_active_key():
            raise IntegrityViolation(f"{self._directory} already holds the log's signing key")
        return self._install(Ed25519NoteSigner.generate(self._name))

    def rotate(self) -> Ed25519NoteSigner:
        """Switch to a fresh key; keep the old public key, delete the old signing key."""
        old = self.active_signer()
        new = self._install(Ed25519NoteSigner.generate(self._name))
        self._private_path(old.key_id).unlink(missing_ok=True)
        return new

    def replace_lost_key(self, previous_verifier_keys: list[str]) -> Ed25519NoteSigner:
        """After the signing key is lost: a new active key, with the earlier public keys
        (which the caller has from published packages) kept so old checkpoints still verify."""
        for text in previous_verifier_keys:
            verifier = Ed25519NoteVerifier.from_verifier_key(text)
            if verifier.name != self._name:
                raise ValidationFailed(
                    f"the key {text!r} is for {verifier.name!r}, not {self._name!r}", field="key"
                )
            self._ensure_directory()
            path = self._private_path(verifier.key_id).with_suffix(".vkey")
            write_atomically(path, (verifier.verifier_key() + "\n").encode())
        return self._install(Ed25519NoteSigner.generate(self._name))

    def verifier_keys(self) -> list[str]:
        """Every public key this store has had, the active one first. Reads only public
        files, so web processes never touch (or create) the signing key."""
        keys = sorted(path.read_text().strip() for path in self._directory.glob("ed25519-*.vkey"))
        if not self.has_active_key():
            return keys
        active_id = f"{self.active_key_id():08x}"
        first = [key for key in keys if key.split("+")[1] == active_id]
        return first + [key for key in keys if key not in first]

    def verifiers(self) -> list[Ed25519NoteVerifier]:
        return [Ed25519NoteVerifier.from_verifier_key(key) for key in self.verifier_keys()]

    def _private_path(self, key_id: int) -> Path:
        return self._directory / f"ed25519-{key_id:08x}.key"

    def _ensure_directory(self) -> None:
        if not self._directory.exists():
            self._directory.mkdir(parents=True, mode=0o700)
            self._directory.chmod(0o700)  # mkdir's mode is filtered by the umask

    def _install(self, signer: Ed25519NoteSigner) -> Ed25519NoteSigner:
        self._ensure_directory()
        private_path = self._private_path(signer.key_id)
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(signer.private_key_text())
            handle.flush()
            os.fsync(handle.fileno())
        public_path = private_path.with_suffix(".vkey")
        write_atomically(public_path, (signer.verifier_key() + "\n").encode())
        write_atomically(self._directory / "active", f"{signer.key_id:08x}\n".encode())
        return signer

    def _missing(self, what: str) -> str:
        return (
            f"the log's signing key is missing ({what}). A new key is never made over an "
            "existing log: restore the key directory from the backup (`weiquan restore`), or, "
            "if the key is lost for good, run `weiquan keys replace-lost-log-key` "
            "(docs/operations.md, 'Lost signing key')"
        )

    def _load(self, key_id: int) -> Ed25519NoteSigner:
        path = self._private_path(key_id)
        if not path.exists():
            raise SigningKeyMissing(self._missing(f"{path} does not exist"))
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            raise IntegrityViolation(f"{path} is readable by other users; chmod 600 it")
        signer = Ed25519NoteSigner.from_private_key_text(path.read_text())
        if signer.name != self._name:
            raise ValidationFailed(
                f"{path} signs for {signer.name!r}, not {self._name!r}", field="origin"
            )
        return signer
