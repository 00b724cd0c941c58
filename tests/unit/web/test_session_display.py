"""How a session is shown on the account page: device from the User-Agent, address masked."""

from __future__ import annotations

import pytest

from weiquan.web.sessions import device_label, mask_address

SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("203.0.113.57", "203.0.113.*"),
        ("2001:db8:85a3::8a2e:370:7334", "2001:0db8:85a3:*"),
        ("not an address", "—"),
        (None, "—"),
    ],
)
def test_an_address_is_shown_with_its_host_part_hidden(address: str | None, shown: str) -> None:
    assert mask_address(address) == shown


def test_the_device_is_named_by_browser_and_system() -> None:
    assert device_label(CHROME_WINDOWS) == "Chrome 120 · Windows 10"
    assert device_label(SAFARI_IPHONE) == "Mobile Safari 17 · iOS 17"


def test_an_unknown_user_agent_gives_no_label_and_a_program_its_name() -> None:
    assert device_label("") == ""
    assert device_label("curl/8.5.0") == "curl 8"
