"""The published RFC 6962 / RFC 9162 vectors in tests/data (see tests/data/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

VECTORS_PATH = Path(__file__).resolve().parents[2] / "data" / "rfc6962-merkle.json"
VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text("utf-8"))

REFERENCE_LEAVES = [bytes.fromhex(text) for text in VECTORS["reference_tree"]["leaf_inputs_hex"]]


def unhex(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(value) for value in values]
