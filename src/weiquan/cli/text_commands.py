"""`weiquan text civility` and `weiquan text dedup`: quality signals over JSON lines.

Both read JSON lines (``{"text": "...", ...}``, other fields kept) from a file or standard input
and write JSON lines to standard output. Input is checked in full before anything is written, so
a bad line never leaves half an output behind: it is reported by line number with exit code 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress

from weiquan.adapters.text.civility import (
    DEFAULT_FLAG_THRESHOLD,
    CivilityChecker,
    default_checker,
)
from weiquan.adapters.text.near_duplicates import DEFAULT_THRESHOLD, NearDuplicateIndex
from weiquan.domain.errors import ValidationFailed

text_app = typer.Typer(help="文本质量信号 / text quality signals: civility hints, near-duplicates.")

PROGRESS_FROM_LINES = 1_000  # shorter inputs finish before a bar would be worth drawing

SourceArgument = Annotated[
    Path | None,
    typer.Argument(help="JSON lines file; standard input when omitted or '-'", show_default=False),
]


def _fail(error: ValidationFailed) -> typer.Exit:
    typer.echo(f"error: {error.message}", err=True)
    return typer.Exit(error.exit_code)


def _read_lines(source: Path | None) -> list[str]:
    if source is None or str(source) == "-":
        return sys.stdin.read().splitlines()
    try:
        return source.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"cannot read {source}: {exc}", field="source") from exc


def parse_records(lines: Sequence[str]) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; each must be an object with a text."""
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"line {number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise ValidationFailed(f'line {number}: expected an object with a "text" string')
        records.append((number, record))
    return records


def _load(source: Path | None) -> list[tuple[int, dict[str, Any]]]:
    try:
        return parse_records(_read_lines(source))
    except ValidationFailed as error:
        raise _fail(error) from error


def _with_progress(items: Sequence[Any], description: str) -> Iterator[Any]:
    console = Console(stderr=True)
    quiet = len(items) < PROGRESS_FROM_LINES or not console.is_terminal
    with Progress(console=console, transient=True, disable=quiet) as progress:
        yield from progress.track(items, description=description)


def _emit(record: dict[str, Any]) -> None:
    typer.echo(json.dumps(record, ensure_ascii=False))


@text_app.command("civility")
def civility_command(
    source: SourceArgument = None,
    threshold: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Flag at or above this score")
    ] = DEFAULT_FLAG_THRESHOLD,
) -> None:
    """Score each statement's wording; add score, flag, matched terms and a rewording hint."""
    records = _load(source)
    shipped = default_checker()
    checker = CivilityChecker(
        lexicon=shipped.lexicon,
        model=shipped.model,
        threshold=threshold,
        model_threshold=shipped.model_threshold,
    )
    for _, record in _with_progress(records, "措辞检查 civility"):
        result = checker.assess(record["text"])
        record |= {
            "score": result.score,
            "flag": result.flagged,
            "categories": [category.value for category in result.categories()],
            "terms": [{"term": m.term, "category": m.category.value} for m in result.matches],
            "hint": result.hint,
        }
        _emit(record)


@text_app.command("dedup")
def dedup_command(
    source: SourceArgument = None,
    threshold: Annotated[
        float, typer.Option(min=0.05, max=1.0, help="Estimated Jaccard similarity to group at")
    ] = DEFAULT_THRESHOLD,
    groups_only: Annotated[
        bool, typer.Option("--groups", help="One line per group instead of one per input line")
    ] = False,
) -> None:
    """Group near-duplicate lines; add group, group_size and the most similar other lines."""
    records = _load(source)
    index = NearDuplicateIndex(threshold=threshold)
    index.add_many(
        (str(number), record["text"])
        for number, record in _with_progress(records, "建立索引 indexing")
    )
    groups = index.groups()
    if groups_only:
        by_line = dict(records)
        for group_number, group in enumerate(groups):
            lines = [int(key) for key in group]
            ids = [by_line[line].get("id", line) for line in lines]
            _emit({"group": group_number, "size": len(group), "lines": lines, "ids": ids})
        return
    group_of = {key: number for number, group in enumerate(groups) for key in group}
    for number, record in records:
        key = str(number)
        similar = index.similar_to_key(key)[:5] if key in index else []
        record |= {
            "line": number,
            "group": group_of.get(key),
            "group_size": len(groups[group_of[key]]) if key in group_of else 1,
            "similar": [{"line": int(m.key), "similarity": m.similarity} for m in similar],
        }
        _emit(record)
