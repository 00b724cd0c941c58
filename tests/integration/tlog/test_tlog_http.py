"""The log served as C2SP tlog-tiles over HTTP, and `weiquan log …` checking it from outside."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from weiquan.adapters.tlog import KeyStore, TransparencyLog, open_transparency_log
from weiquan.cli.log_commands import log_app
from weiquan.domain.tlog import leaf_hash, open_checkpoint
from weiquan.web.tlog_routes import build_tlog_router

ORIGIN = "weiquan.example/log"


def entry(index: int) -> bytes:
    return f'{{"kind":"test","n":{index}}}'.encode()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TransparencyLog, KeyStore, TestClient]]:
    log, keys = open_transparency_log(tmp_path / "log", tmp_path / "keys", origin=ORIGIN)
    log.append_many([entry(index) for index in range(600)])
    app = FastAPI()
    app.include_router(build_tlog_router(lambda: log))
    with TestClient(app) as client:
        yield log, keys, client
    log.close()


def test_checkpoint_is_served_as_plain_text_that_verifies(
    served: tuple[TransparencyLog, KeyStore, TestClient],
) -> None:
    _, keys, client = served
    reply = client.get("/log/checkpoint")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"
    assert reply.headers["cache-control"] == "no-cache"
    assert open_checkpoint(reply.text, keys.verifiers()).size == 600


def test_full_tiles_are_immutable_and_partial_tiles_are_cached_briefly(
    served: tuple[TransparencyLog, KeyStore, TestClient],
) -> None:
    log, _, client = served
    full = client.get("/log/tile/0/001")
    assert full.status_code == 200
    assert full.headers["content-type"] == "application/octet-stream"
    assert "immutable" in full.headers["cache-control"]
    assert full.content == log.read_tile(0, 1)
    partial = client.get("/log/tile/0/002.p/88")
    assert partial.content[:32] == leaf_hash(entry(512))
    assert partial.headers["cache-control"] == "public, max-age=60"
    bundle = client.get("/log/tile/entries/002.p/88")
    assert bundle.content == log.read_entry_bundle(2, 88)


@pytest.mark.parametrize(
    "path",
    [
        "/log/tile/0/002",
        "/log/tile/0/002.p/89",
        "/log/tile/0/003.p/1",
        "/log/tile/1/000",
        "/log/tile/entries/002",
        "/log/tile/0/2",
        "/log/tile/0/x000/001",
        "/log/tile/banana",
    ],
)
def test_anything_beyond_the_tree_or_malformed_is_not_found(
    served: tuple[TransparencyLog, KeyStore, TestClient], path: str
) -> None:
    _, _, client = served
    assert client.get(path).status_code == 404


# -- the command line against a live server ------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def live(tmp_path: Path) -> Iterator[tuple[TransparencyLog, KeyStore, str]]:
    log, keys = open_transparency_log(tmp_path / "log", tmp_path / "keys", origin=ORIGIN)
    app = FastAPI()
    app.include_router(build_tlog_router(lambda: log))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield log, keys, f"http://127.0.0.1:{port}/log"
    server.should_exit = True
    thread.join(timeout=10)
    log.close()


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(log_app, list(arguments))
    return result.exit_code, result.output


def test_proof_for_a_logged_entry_verifies_and_a_changed_entry_does_not(tmp_path: Path) -> None:
    log, keys = open_transparency_log(tmp_path / "log", tmp_path / "keys", origin=ORIGIN)
    log.append_many([entry(index) for index in range(50)])
    (tmp_path / "entry-17.json").write_bytes(entry(17))
    (tmp_path / "entry-17.tlog-proof").write_text(log.tlog_proof(17))
    (tmp_path / "log.vkey").write_text(keys.verifier_keys()[0])
    log.close()
    proof, key = str(tmp_path / "entry-17.tlog-proof"), str(tmp_path / "log.vkey")

    code, output = run(
        "verify-proof", proof, "--key", key, "--entry", str(tmp_path / "entry-17.json")
    )
    assert (code, "OK: entry 17") == (0, output[:12])

    (tmp_path / "edited.json").write_bytes(entry(17).replace(b"17", b"71"))
    code, output = run(
        "verify-proof", proof, "--key", key, "--entry", str(tmp_path / "edited.json")
    )
    assert code == 1
    assert "FAILED: the inclusion path for leaf 17 does not lead" in output

    stranger = KeyStore(tmp_path / "stranger", name=ORIGIN).create_first_key().verifier_key()
    code, output = run(
        "verify-proof", proof, "--key", stranger, "--leaf", leaf_hash(entry(17)).hex()
    )
    assert (code, "no signature on the note is from a trusted key" in output) == (1, True)


def test_newer_checkpoint_extends_older_one_via_tiles_and_via_a_proof_file(
    live: tuple[TransparencyLog, KeyStore, str], tmp_path: Path
) -> None:
    log, keys, url = live
    log.append_many([entry(index) for index in range(300)])
    (tmp_path / "old").write_text(log.checkpoint())
    log.append_many([entry(index) for index in range(300, 70_000)])
    (tmp_path / "new").write_text(log.checkpoint())
    key = keys.verifier_keys()[0]
    old, new = str(tmp_path / "old"), str(tmp_path / "new")

    code, output = run("verify-consistency", old, new, "--key", key, "--log-url", url)
    assert (code, output.strip()) == (0, f"OK: {ORIGIN} at size 70000 extends size 300")

    proof_file = str(tmp_path / "300-70000.proof")
    code, _ = run(
        "prove-consistency", old, new, "--key", key, "--log-url", url, "--out", proof_file
    )
    assert code == 0
    code, output = run("verify-consistency", old, new, "--key", key, "--proof", proof_file)
    assert code == 0

    code, output = run("verify-consistency", new, old, "--key", key, "--proof", proof_file)
    assert code == 1
    assert "FAILED" in output


def test_a_forged_newer_checkpoint_is_caught(
    live: tuple[TransparencyLog, KeyStore, str], tmp_path: Path
) -> None:
    log, keys, url = live
    log.append_many([entry(index) for index in range(10)])
    (tmp_path / "old").write_text(log.checkpoint())
    log.append_many([entry(index) for index in range(10, 20)])
    forged = log.checkpoint().replace("\n20\n", "\n21\n")
    (tmp_path / "new").write_text(forged)
    key = keys.verifier_keys()[0]
    code, output = run(
        "verify-consistency",
        str(tmp_path / "old"),
        str(tmp_path / "new"),
        "--key",
        key,
        "--log-url",
        url,
    )
    assert code == 1
    assert "does not verify" in output


def test_an_auditor_rebuilds_the_signed_root_from_the_served_tiles(
    live: tuple[TransparencyLog, KeyStore, str], tmp_path: Path
) -> None:
    log, keys, url = live
    log.append_many([entry(index) for index in range(1000)])
    saved = tmp_path / "audited.checkpoint"
    code, output = run(
        "audit", "--log-url", url, "--key", keys.verifier_keys()[0], "--save-checkpoint", str(saved)
    )
    assert (code, output.strip()) == (0, f"OK: {ORIGIN} holds 1000 entries matching its checkpoint")
    assert open_checkpoint(saved.read_text(), keys.verifiers()).size == 1000
