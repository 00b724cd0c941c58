"""Weiquan (维权): e-commerce rights protection and online dispute resolution."""

__version__ = "0.1.0"
