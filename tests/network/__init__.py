"""Tests of the co-theme network."""
