"""The source checkout the tests run in (its top-level folders, README, bench/)."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Public standards material the tests load as it is (W3C vocabularies and test manifests, the DCAT-AP shapes):
# a folder kept beside the checkout, or wherever PTCE_STANDARDS says. Tests that need it skip, saying so, without it.
STANDARDS = Path(os.environ.get("PTCE_STANDARDS") or ROOT.parent / "shared" / "standards")
