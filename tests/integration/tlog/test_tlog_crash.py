"""Kill the writer (SIGKILL) in the middle of a burst of appends, several times over: every
acknowledged entry survives, and the log stays consistent with what it published."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration.tlog.crash_writer import entry
from weiquan.adapters.tlog import open_transparency_log
from weiquan.domain.tlog import open_checkpoint, verify_checkpoints_consistent

ORIGIN = "weiquan.example/crash-log"
WRITER = Path(__file__).with_name("crash_writer.py")


def run_until_killed(log_dir: Path, key_dir: Path, *, seconds: float) -> tuple[int, str]:
    """Start the writer, SIGKILL it after ``seconds``; return the last acknowledged index and
    the last checkpoint it published."""
    process = subprocess.Popen(
        [sys.executable, str(WRITER), str(log_dir), str(key_dir), ORIGIN],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    acknowledged, checkpoint = -1, ""
    deadline = time.monotonic() + seconds
    try:
        for line in process.stdout:
            report = json.loads(line)
            acknowledged = report.get("acknowledged", acknowledged)
            checkpoint = report.get("checkpoint", checkpoint)
            if time.monotonic() >= deadline and acknowledged > 0 and checkpoint:
                process.send_signal(signal.SIGKILL)
                break
    finally:
        process.kill()
        process.wait()
    for line in process.stdout:  # reports written before the kill landed still count
        report = json.loads(line) if line.endswith("\n") else {}
        acknowledged = report.get("acknowledged", acknowledged)
        checkpoint = report.get("checkpoint", checkpoint)
    process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    return acknowledged, checkpoint


@pytest.mark.slow
def test_acknowledged_entries_survive_sigkill_and_checkpoints_stay_consistent(
    tmp_path: Path,
) -> None:
    log_dir, key_dir = tmp_path / "log", tmp_path / "keys"
    rounds = random.Random(20261125)  # noqa: S311 - kill timing, not secrets
    for _ in range(4):
        acknowledged, published = run_until_killed(
            log_dir, key_dir, seconds=rounds.uniform(0.4, 1.2)
        )
        log, keys = open_transparency_log(log_dir, key_dir, origin=ORIGIN)
        try:
            assert log.size > acknowledged
            for index in range(acknowledged + 1):
                assert log.read_entry(index) == entry(index)
            before = open_checkpoint(published, keys.verifiers())
            after = open_checkpoint(log.checkpoint(), keys.verifiers())
            proof = log.consistency_proof(before.size) if before.size else []
            verify_checkpoints_consistent(before, after, proof)
            log.verify_integrity()
        finally:
            log.close()
