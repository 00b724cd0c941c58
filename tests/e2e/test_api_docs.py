"""The interactive API documentation works without the internet."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_the_api_docs_page_loads_swagger_ui_only_from_our_own_static_files(
    client: TestClient,
) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    addresses = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert addresses, page.text
    assert all(a.startswith("/static/") for a in addresses), addresses
    assert "cdn" not in page.text.lower()
    for address in addresses:
        asset = client.get(address)
        assert asset.status_code == 200, address
        assert asset.content, address
