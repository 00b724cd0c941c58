"""Append to a log as fast as possible, reporting each acknowledged batch and each checkpoint
on stdout, until killed.  Started by test_tlog_crash.py as a separate process."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from weiquan.adapters.tlog import open_transparency_log


def entry(index: int) -> bytes:
    return json.dumps({"kind": "crash-test", "n": index}, separators=(",", ":")).encode()


def main(log_directory: str, key_directory: str, origin: str) -> None:
    log, _ = open_transparency_log(Path(log_directory), Path(key_directory), origin=origin)
    size = log.size
    batch = 1
    while True:
        indices = log.append_many([entry(index) for index in range(size, size + batch)])
        size = indices[-1] + 1
        sys.stdout.write(json.dumps({"acknowledged": indices[-1]}) + "\n")
        sys.stdout.write(json.dumps({"checkpoint": log.checkpoint()}) + "\n")
        sys.stdout.flush()
        batch = batch % 500 + 37  # varied batch sizes: kills land in different places


if __name__ == "__main__":
    main(*sys.argv[1:4])
