"""Region codes read as names, from the GB/T 2260 table shipped with the package."""

from __future__ import annotations

import pytest

from weiquan.bootstrap import known_regions, region_label


@pytest.mark.parametrize(
    ("code", "label"),
    [
        ("510104", "四川省 成都市 锦江区 (510104)"),
        ("110108", "北京市 海淀区 (110108)"),  # a municipality: no "市辖区" in the middle
        ("510100", "四川省 成都市 (510100)"),
        ("330000", "浙江省 (330000)"),
    ],
)
def test_a_region_code_reads_as_its_three_levels(code: str, label: str) -> None:
    assert region_label(code) == label


def test_an_unknown_code_is_shown_as_it_is() -> None:
    assert region_label("999999") == "999999"


def test_the_shipped_table_covers_every_level() -> None:
    regions = known_regions()
    assert len(regions) > 3_000
    assert {"110000", "510100", "510104"} <= regions
