"""Tests of users' queries."""
