"""`weiquan assess FACTS.json` and `weiquan law search QUERY`: the rules engine and the law guide.

Both are plain Typer command bodies; ``assess_app`` and ``law_app`` carry them for mounting.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from weiquan.adapters.holiday_calendar import load_calendar
from weiquan.adapters.statutes import StatuteArticle, statute_book
from weiquan.domain.calendar import WorkdayCalendar
from weiquan.domain.errors import DomainError, ValidationFailed
from weiquan.services.rules import assess_facts

_USAGE_EXIT = ValidationFailed.exit_code


def _fail(message: str, *, exit_code: int) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(exit_code)


def _calendar(extra_year_files: list[Path]) -> WorkdayCalendar:
    """The packaged working-day calendar, plus any year files given on the command line."""
    try:
        return load_calendar(extra_year_files)
    except DomainError as exc:
        raise _fail(f"{exc.code}: {exc.message}", exit_code=exc.exit_code) from exc


def _read_facts(facts_file: Path) -> object:
    try:
        text = facts_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(
            f"无法读取事实文件 / cannot read the facts file {facts_file}: {exc}",
            exit_code=_USAGE_EXIT,
        ) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(
            f"事实文件不是有效的 JSON / {facts_file} is not valid JSON: {exc}",
            exit_code=_USAGE_EXIT,
        ) from exc


def assess_command(
    facts_file: Annotated[
        Path, typer.Argument(help="JSON file with the facts (see docs/rules.md)")
    ],
    holiday_file: Annotated[
        list[Path] | None,
        typer.Option(help="Extra holiday-cn year file for a year the calendar lacks; repeatable"),
    ] = None,
) -> None:
    """Print the findings for the facts in FACTS_FILE as JSON."""
    facts = _read_facts(facts_file)
    try:
        result = assess_facts(facts, calendar=_calendar(holiday_file or []))
    except DomainError as exc:
        where = f" (field: {exc.field})" if exc.field else ""
        raise _fail(f"{exc.code}: {exc.message}{where}", exit_code=exc.exit_code) from exc
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))


def _line(article: StatuteArticle) -> str:
    flag = " [UNVERIFIED 未核实]" if article.unverified else ""
    heading = f"{article.law}/{article.article}  《{article.law_short_zh}》{article.article}{flag}"
    return f"{heading}\n    {article.summary_zh}\n    {article.summary_en}"


def law_search_command(
    query: Annotated[str, typer.Argument(help="Words to look for; Simplified or Traditional")],
    limit: Annotated[int, typer.Option(min=1, max=200, help="At most this many articles")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text")] = False,
) -> None:
    """Search the statute knowledge base."""
    found = statute_book().search(query, limit=limit)
    if as_json:
        typer.echo(json.dumps([a.to_dict() for a in found], ensure_ascii=False, indent=2))
        return
    if not found:
        typer.echo("没有找到相关条文 / no matching article", err=True)
        raise typer.Exit(1)
    typer.echo("\n".join(_line(article) for article in found))


assess_app = typer.Typer(help="Assess a purchase against the law.", add_completion=False)
assess_app.command("assess")(assess_command)
law_app = typer.Typer(help="The law guide.", no_args_is_help=True, add_completion=False)
law_app.command("search")(law_search_command)


@law_app.callback()
def law() -> None:
    """The statute knowledge base (法律指南)."""
