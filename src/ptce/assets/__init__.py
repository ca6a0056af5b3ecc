"""The files the package ships, read through `importlib.resources`: ontology, SHACL shapes, bundled data, queries.

In a checkout they are the repository's top-level `ontology/`, `shapes/`, `data/` and `queries/` (this folder links
to them); a wheel carries copies here. Either way the code below finds them the same way.
"""

from __future__ import annotations

import atexit
import contextlib
from importlib.resources import as_file, files
from pathlib import Path

_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


def asset(name: str) -> Path:
    """A shipped folder or file as a real path (extracted for the process's lifetime if the package is zipped)."""
    return _extracted.enter_context(as_file(files(__name__).joinpath(name)))


DATA_DIR = asset("data")
ONTOLOGY_FILE = asset("ontology") / "ptce.ttl"
SHAPES_DIR = asset("shapes")
QUERIES_DIR = asset("queries")
