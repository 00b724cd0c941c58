"""The `weiquan` command line: the same services as the web entrypoints."""
