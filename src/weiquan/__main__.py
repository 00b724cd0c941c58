"""``python -m weiquan``: the same command line as ``weiquan``."""

from weiquan.cli.main import app

app(prog_name="weiquan")
