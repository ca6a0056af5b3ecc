"""Linked open data for the PTCEs of Hauts-de-France."""

__version__ = "0.1.0"
