"""Message catalogues for the pages (Babel .po files; compiled in memory at start-up)."""
