"""`weiquan trust grade` and `weiquan trust recount`: the credit grade from the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console

from weiquan.cli.common import load_context
from weiquan.domain.errors import DomainError
from weiquan.services import trust_grades

trust_app = typer.Typer(help="信用评级 / merchant credit grades.")
console = Console()


@trust_app.command("grade")
def grade(
    merchant_id: str,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Show a merchant's score, grade and the line-by-line reasons."""
    try:
        view = trust_grades.merchant_grade(load_context().services, merchant_id)
    except DomainError as exc:
        console.print(f"[red]{exc.code}:[/red] {exc.message}")
        raise typer.Exit(exc.exit_code) from exc
    result = view.grade
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "merchant_id": merchant_id,
                    "score": result.score,
                    "grade": result.grade.value,
                    "grade_label": result.label_zh,
                    "closed_cases": result.cases,
                    "why": result.why(),
                },
                ensure_ascii=False,
            )
        )
        return
    console.print(f"{result.score:.1f}  {result.label_zh}  （已结案件 {result.cases} 件）")
    for line in result.why():
        console.print(f"  · {line}")


@trust_app.command("recount")
def recount() -> None:
    """Grade closed cases not yet counted (the worker does this on every sweep)."""
    counted = trust_grades.count_uncounted(load_context().services, now=datetime.now(UTC))
    console.print(f"counted {counted} closed case(s)")
