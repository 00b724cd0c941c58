"""The worked-case table (cases.yaml), loaded as JSON-like facts and expectations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

TABLE = Path(__file__).with_name("cases.yaml")


@dataclass(frozen=True)
class WorkedCase:
    name: str
    tests: str
    facts: dict[str, Any]
    expect: dict[str, dict[str, Any]]
    warnings: tuple[str, ...]


def _as_json(value: Any) -> Any:
    """YAML reads 2026-03-02 as a date; the engine's input is JSON, where dates are strings."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    return value


def load_cases() -> list[WorkedCase]:
    rows = yaml.safe_load(TABLE.read_text(encoding="utf-8"))
    return [
        WorkedCase(
            name=row["name"],
            tests=row["tests"],
            facts=_as_json(row["facts"]),
            expect=_as_json(row["expect"]),
            warnings=tuple(row.get("warnings", ())),
        )
        for row in rows
    ]
