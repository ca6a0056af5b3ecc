"""The source checkout the tests run in (its top-level folders, README, bench/)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
