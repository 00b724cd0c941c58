"""Use cases: one function per command; each owns its transaction."""
