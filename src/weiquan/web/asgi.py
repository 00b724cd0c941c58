"""ASGI entry for uvicorn: `uvicorn weiquan.web.asgi:app`."""

from weiquan.web.app import create_app

app = create_app()
