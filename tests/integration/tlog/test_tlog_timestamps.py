"""RFC 3161 timestamps of checkpoints, against a local `openssl ts` time-stamping authority
reached over HTTP, and checked both by our verifier and by `openssl ts -verify`."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from weiquan.adapters.tlog import (
    HttpTimestampAuthority,
    TimestampAuthorityError,
    open_transparency_log,
    verify_timestamp,
)
from weiquan.domain.errors import IntegrityViolation


def openssl_has_ts() -> bool:
    if shutil.which("openssl") is None:
        return False
    probe = subprocess.run(["openssl", "ts", "-help"], capture_output=True, text=True, check=False)
    return "Usage: ts" in probe.stdout + probe.stderr


pytestmark = pytest.mark.skipif(
    not openssl_has_ts(), reason="needs the openssl command with the 'ts' subcommand"
)


@dataclass(frozen=True)
class LocalTsa:
    url: str
    root: x509.Certificate
    tsa: x509.Certificate
    folder: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificates(folder: Path) -> tuple[x509.Certificate, x509.Certificate]:
    now = dt.datetime.now(dt.UTC)
    root_key, tsa_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("Weiquan test root"))
        .issuer_name(_name("Weiquan test root"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(root_key, hashes.SHA256())
    )
    tsa = (
        x509.CertificateBuilder()
        .subject_name(_name("Weiquan test TSA"))
        .issuer_name(root.subject)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    key_pem = tsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (folder / "tsa.key").write_bytes(key_pem)
    (folder / "tsa.crt").write_bytes(tsa.public_bytes(serialization.Encoding.PEM))
    (folder / "root.crt").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    return root, tsa


def _config(folder: Path) -> Path:
    # Only the signer's certificate goes into replies: rfc3161-client's strict DER parser
    # rejects OpenSSL's ordering of a certificate set that also holds the root.
    config = folder / "tsa.cnf"
    config.write_text(
        "[ tsa ]\n"
        "default_tsa = tsa_config1\n"
        "[ tsa_config1 ]\n"
        f"serial = {folder}/serial\n"
        f"signer_cert = {folder}/tsa.crt\n"
        f"signer_key = {folder}/tsa.key\n"
        "signer_digest = sha256\n"
        "default_policy = 1.2.3.4.1\n"
        "digests = sha256, sha384, sha512\n"
        "accuracy = secs:1\n"
        "ordering = yes\n"
        "ess_cert_id_alg = sha256\n"
    )
    (folder / "serial").write_text("01\n")
    return config


def _handler(config: Path, folder: Path) -> type[BaseHTTPRequestHandler]:
    class OpensslTsaHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers["Content-Length"]))
            with tempfile.TemporaryDirectory(dir=folder) as scratch:
                request, reply = Path(scratch) / "q.tsq", Path(scratch) / "r.tsr"
                request.write_bytes(query)
                subprocess.run(
                    ["openssl", "ts", "-reply", "-config", str(config),
                     "-queryfile", str(request), "-out", str(reply)],
                    check=True, capture_output=True,
                )  # fmt: skip
                body = reply.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:  # keep test output quiet
            return

    return OpensslTsaHandler


@pytest.fixture
def local_tsa(tmp_path: Path) -> Iterator[LocalTsa]:
    folder = tmp_path / "tsa"
    folder.mkdir()
    root, tsa = _certificates(folder)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(_config(folder), folder))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LocalTsa(f"http://127.0.0.1:{server.server_address[1]}/tsa", root, tsa, folder)
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_checkpoint_timestamped_by_a_tsa_verifies_and_is_kept(
    local_tsa: LocalTsa, tmp_path: Path
) -> None:
    log, _ = open_transparency_log(
        tmp_path / "log", tmp_path / "keys", origin="weiquan.example/log"
    )
    try:
        log.append_many([b"first entry", b"second entry"])
        stamped = log.timestamp_checkpoint(HttpTimestampAuthority(local_tsa.url))
    finally:
        log.close()
    kept = tmp_path / "log" / "timestamps"
    assert (kept / "2.checkpoint").read_text() == stamped.note
    assert (kept / "2.tsr").read_bytes() == stamped.token
    when = verify_timestamp(
        stamped.token, stamped.note.encode(), roots=[local_tsa.root], tsa_certificate=local_tsa.tsa
    )
    assert abs(when - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)

    independent = subprocess.run(
        ["openssl", "ts", "-verify", "-data", str(kept / "2.checkpoint"),
         "-in", str(kept / "2.tsr"), "-CAfile", str(local_tsa.folder / "root.crt"),
         "-untrusted", str(local_tsa.folder / "tsa.crt")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "Verification: OK" in independent.stdout


def test_a_timestamp_does_not_verify_for_another_checkpoint(
    local_tsa: LocalTsa, tmp_path: Path
) -> None:
    token = HttpTimestampAuthority(local_tsa.url).timestamp(b"checkpoint A\n")
    with pytest.raises(IntegrityViolation, match="does not verify"):
        verify_timestamp(token, b"checkpoint B\n", roots=[local_tsa.root])


def test_a_timestamp_from_an_untrusted_root_does_not_verify(
    local_tsa: LocalTsa, tmp_path: Path
) -> None:
    token = HttpTimestampAuthority(local_tsa.url).timestamp(b"checkpoint A\n")
    other_root, _ = _certificates(tmp_path)
    with pytest.raises(IntegrityViolation):
        verify_timestamp(token, b"checkpoint A\n", roots=[other_root])


def test_an_unreachable_tsa_is_reported_as_such(tmp_path: Path) -> None:
    with pytest.raises(TimestampAuthorityError):
        HttpTimestampAuthority("http://127.0.0.1:9/tsa").timestamp(b"checkpoint\n")


def test_the_worker_has_each_new_checkpoint_timestamped_when_a_tsa_is_configured(
    local_tsa: LocalTsa, tmp_path: Path
) -> None:
    from weiquan.bootstrap import App, timestamp_if_configured  # noqa: PLC0415
    from weiquan.config import Environment, Settings  # noqa: PLC0415

    settings = Settings(env=Environment.TEST, data_dir=tmp_path, tsa_url=local_tsa.url)
    context = App(settings, engine=None, services=None)  # type: ignore[arg-type]
    log, _ = open_transparency_log(
        tmp_path / "log", tmp_path / "keys", origin="weiquan.example/log"
    )
    try:
        log.append_many([b"an entry"])
        timestamp_if_configured(context, log)
    finally:
        log.close()
    assert (tmp_path / "log" / "timestamps" / "1.tsr").is_file()


def test_an_unreachable_configured_tsa_does_not_stop_the_log(tmp_path: Path) -> None:
    from weiquan.bootstrap import App, timestamp_if_configured  # noqa: PLC0415
    from weiquan.config import Environment, Settings  # noqa: PLC0415

    settings = Settings(env=Environment.TEST, data_dir=tmp_path, tsa_url="http://127.0.0.1:9/tsa")
    context = App(settings, engine=None, services=None)  # type: ignore[arg-type]
    log, _ = open_transparency_log(
        tmp_path / "log", tmp_path / "keys", origin="weiquan.example/log"
    )
    try:
        log.append_many([b"an entry"])
        timestamp_if_configured(context, log)
        assert log.size == 1
    finally:
        log.close()
    assert not (tmp_path / "log" / "timestamps" / "1.tsr").exists()
