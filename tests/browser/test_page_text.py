"""The page wording without a browser: the English catalogue is complete, deadlines read right."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from weiquan.web.i18n import LOCALE_DIR, set_locale
from weiquan.web.pages.common import deadline_text

WEB = Path(__file__).resolve().parents[2] / "src/weiquan/web"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "n_": None}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _messages_in_source() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(WEB), METHODS, keywords=KEYWORDS, options_map=OPTIONS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_message_in_the_pages_and_their_code_has_an_english_translation() -> None:
    with (LOCALE_DIR / "en/LC_MESSAGES/messages.po").open("rb") as po:
        catalogue = read_po(BytesIO(po.read()), locale="en")
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id)
        for m in catalogue
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(_messages_in_source() - translated)
    assert missing == []


@pytest.fixture
def english() -> object:
    set_locale("en")
    yield
    set_locale("zh_CN")


NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # 10:00 on 27 November in Beijing
# A period that ends on 30 November ends at 24:00 Beijing time, i.e. 16:00 UTC that day.
DUE = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)


def test_a_deadline_reads_as_its_own_day_at_24_00_beijing_time_with_the_days_left() -> None:
    set_locale("zh_CN")
    assert deadline_text(DUE, NOW) == "11月30日 24:00 截止（还剩 4 天）"


def test_a_deadline_under_a_day_away_counts_hours_and_a_passed_one_says_how_late() -> None:
    set_locale("zh_CN")
    assert deadline_text(DUE, datetime(2026, 11, 30, 10, 30, tzinfo=UTC)).endswith(
        "（还剩 6 小时）"
    )
    assert deadline_text(DUE, datetime(2026, 12, 3, 17, 0, tzinfo=UTC)).endswith("（已逾期 3 天）")


@pytest.mark.usefixtures("english")
def test_a_deadline_reads_in_english_when_the_page_is_english() -> None:
    assert deadline_text(DUE, NOW) == "Due 30 Nov 24:00 (4 days left)"
