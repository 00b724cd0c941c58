"""Adapters: the only code that talks to databases, files, clocks and libraries of the outside."""
