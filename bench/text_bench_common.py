"""Shared by the text-signal benchmarks: where the evaluation sets are, and the usual figures.

The sets are read from ``$WEIQUAN_SHARED_DATA`` (default ``../shared/data`` beside the repository)
at run time and never copied into the project: several have no licence that allows it.
"""

from __future__ import annotations

import csv
import os
import platform
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    configured = os.environ.get("WEIQUAN_SHARED_DATA")
    return Path(configured) if configured else (REPO_ROOT / ".." / "shared" / "data").resolve()


def require_file(relative: str) -> Path:
    """The path of a shared data file, or a clean exit (status 0) saying what is missing."""
    path = shared_data_dir() / relative
    if not path.is_file():
        print(f"skipped: {path} is not there (set WEIQUAN_SHARED_DATA to the shared data folder)")
        sys.exit(0)
    return path


def read_csv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


@dataclass(frozen=True)
class Scores:
    true_positive: int
    false_positive: int
    false_negative: int

    @property
    def precision(self) -> float:
        predicted = self.true_positive + self.false_positive
        return self.true_positive / predicted if predicted else 0.0

    @property
    def recall(self) -> float:
        actual = self.true_positive + self.false_negative
        return self.true_positive / actual if actual else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def line(self, label: str) -> str:
        return (
            f"{label:<34} P {self.precision:.3f}  R {self.recall:.3f}  F1 {self.f1:.3f}"
            f"  (tp {self.true_positive}, fp {self.false_positive}, fn {self.false_negative})"
        )


def score_labels(predicted: list[bool], actual: list[bool]) -> Scores:
    tp = sum(1 for p, a in zip(predicted, actual, strict=True) if p and a)
    fp = sum(1 for p, a in zip(predicted, actual, strict=True) if p and not a)
    fn = sum(1 for p, a in zip(predicted, actual, strict=True) if a and not p)
    return Scores(tp, fp, fn)


def score_pairs(predicted: set[tuple[int, int]], actual: set[tuple[int, int]]) -> Scores:
    tp = len(predicted & actual)
    return Scores(tp, len(predicted) - tp, len(actual) - tp)


def machine_line() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores"
