"""Tests of `ptce import`."""
