"""ASGI entry for uvicorn: `uvicorn weiquan.web.asgi:app`."""

from weiquan.bootstrap import build, refuse_unsafe_production
from weiquan.config import Settings
from weiquan.web.app import create_app

_context = build(Settings())
refuse_unsafe_production(_context)  # `weiquan serve` says why before uvicorn starts
app = create_app(_context)
