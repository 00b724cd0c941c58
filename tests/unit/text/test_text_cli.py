"""`weiquan text civility` and `weiquan text dedup` through Typer's test runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from weiquan.cli.text_commands import text_app

runner = CliRunner()
STATEMENTS = [
    {"id": "s1", "text": "你们这些奸商，收钱不发货！"},
    {"id": "s2", "text": "请在7个工作日内退款，否则我将向市场监管部门投诉。"},
    {
        "id": "s3",
        "text": "我于11月3日在某旗舰店购买的电饭煲至今未发货，客服一直说马上发，要求全额退款。",
    },
    {
        "id": "s4",
        "text": "我於11月3日在某旗艦店購買的電飯煲至今未發貨，客服一直說馬上發，要求全額退款！",
    },
]


def as_lines(records: list[dict[str, str]]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def outputs(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_civility_adds_score_flag_and_hint_to_each_line_keeping_other_fields() -> None:
    result = runner.invoke(text_app, ["civility"], input=as_lines(STATEMENTS))
    assert result.exit_code == 0, result.output
    rows = outputs(result.stdout)
    assert [row["id"] for row in rows] == ["s1", "s2", "s3", "s4"]
    assert rows[0]["flag"] is True
    assert rows[0]["categories"] == ["insult"]
    assert "商家" in str(rows[0]["hint"])
    assert rows[1]["flag"] is False
    assert rows[1]["hint"] is None
    assert 0.0 <= float(str(rows[1]["score"])) < 0.5


def test_civility_writes_chinese_as_characters_not_escapes() -> None:
    result = runner.invoke(text_app, ["civility"], input=as_lines(STATEMENTS[:1]))
    assert "奸商" in result.stdout


def test_dedup_groups_the_traditional_copy_with_its_simplified_original(tmp_path: Path) -> None:
    source = tmp_path / "statements.jsonl"
    source.write_text(as_lines(STATEMENTS), encoding="utf-8")
    result = runner.invoke(text_app, ["dedup", str(source)])
    assert result.exit_code == 0, result.output
    rows = outputs(result.stdout)
    assert [row["group"] for row in rows] == [None, None, 0, 0]
    assert rows[2]["group_size"] == 2
    assert rows[2]["similar"] == [{"line": 4, "similarity": 1.0}]


def test_dedup_can_print_one_line_per_group() -> None:
    result = runner.invoke(text_app, ["dedup", "--groups"], input=as_lines(STATEMENTS))
    assert result.exit_code == 0, result.output
    assert outputs(result.stdout) == [{"group": 0, "size": 2, "lines": [3, 4], "ids": ["s3", "s4"]}]


def test_an_invalid_line_is_reported_by_number_with_exit_code_2_and_no_output() -> None:
    bad = as_lines(STATEMENTS[:2]) + "{not json\n"
    result = runner.invoke(text_app, ["civility"], input=bad)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "line 3" in result.stderr


def test_a_line_without_a_text_string_is_refused() -> None:
    result = runner.invoke(text_app, ["dedup"], input='{"text": 5}\n')
    assert result.exit_code == 2
    assert 'line 1: expected an object with a "text" string' in result.stderr


def test_blank_lines_are_skipped_and_numbering_follows_the_file() -> None:
    result = runner.invoke(text_app, ["dedup"], input="\n" + as_lines(STATEMENTS[2:]))
    assert [row["line"] for row in outputs(result.stdout)] == [2, 3]


def test_a_missing_file_is_a_clear_error() -> None:
    result = runner.invoke(text_app, ["civility", "/nonexistent/statements.jsonl"])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr
