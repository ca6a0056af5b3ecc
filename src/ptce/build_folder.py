"""The build-folder contract: the files a published build holds, `build.json`, and how a folder is replaced.

The writer (`build.pipeline`) and every reader (the store, the web, the metadata) agree through this module alone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ptce.rdf.formats import GRAPH_FORMATS, TABLE_FORMATS, Format

DUMP_NAME = "ptce"
BUILD_INFO = "build.json"
REPORT_TEXT = "validation-report.txt"
REPORT_TTL = "validation-report.ttl"
DCAT_AP_REPORT = "dcat-ap-report.txt"  # what the DCAT-AP shapes said of the catalog (`ptce build --dcat-ap DIR`)
OUTLINES = "hauts-de-france.geojson"  # the region and department outlines, copied from data/geo/ for the map
NETWORK_DUMP = "network.nq"  # the co-theme links, in the named graph Iris.network_graph
NETWORK_SHAPE = "network-shape.json"  # the default network's communities, measures and layout (`network.cotheme`)
SORT_KEYS = "sort-keys.nq"  # each subject's rank, in the graph Iris.sort_keys_graph (`store.sort_keys`); not served
STORE_DIR = "store"  # the on-disk Oxigraph store of a large build, opened read-only by servers
CONTEXT = "context.jsonld"  # the JSON-LD context of the dumps
VOID_FILE = "void.ttl"  # the VoID description
CATALOG_FILE = "catalog.ttl"  # the DCAT catalog
SHAPES_FILE = "shapes.ttl"  # the SHACL shapes the build was validated against (as loaded for its base IRI)
TABLE_CSV = "ptce.csv"  # the directory as spreadsheets, one row per PTCE (`build.spreadsheet`), served at /<name>
TABLE_XLSX = "ptce.xlsx"
TABLE_SCHEMA = "ptce.schema.json"  # their Table Schema
TABLE_FILES = dict(zip((TABLE_CSV, TABLE_XLSX), TABLE_FORMATS, strict=True))  # spreadsheet file: its format
SEARCH_INDEX = "search.sqlite"  # the site's search index (SQLite FTS5, `build.search_index`)
GZIP = "application/gzip"
# From this many triples a build is large: `ptce build` writes the on-disk store with Oxigraph's writers, and
# SHACL validation runs by partition (see README).
LARGE_GRAPH = 50_000


def utc_now() -> str:
    """The time now, to the second, in UTC, as ISO 8601 (when a build, or a network report, was made)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class BuildInfo:
    """What `build.json` says about a published build."""

    version: str
    triples: int
    base_iri: str
    built_at: str
    software_version: str
    dumps: dict[str, str]

    @classmethod
    def read(cls, build_dir: Path) -> BuildInfo:
        return cls(**json.loads((Path(build_dir) / BUILD_INFO).read_text(encoding="utf-8")))


def gzip_name(name: str) -> str:
    """File name of the gzip variant of a dump."""
    return f"{name}.gz"


def replace_dir(new: Path, target: Path) -> None:
    """Put `new` in place of `target`: the old folder is moved aside, then deleted."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    os.replace(new, target)
    if old:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def staged_dir(target: Path) -> Iterator[Path]:
    """A new folder beside `target` that replaces it when the block succeeds, and is deleted when it fails."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        yield tmp
        tmp.chmod(0o755)
        replace_dir(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@contextmanager
def staged_copy(target: Path) -> Iterator[Path]:
    """Like `staged_dir`, the new folder starting as a copy of `target` (hard links: files are added, never edited)."""
    with staged_dir(target) as tmp:
        if target.is_dir():
            shutil.copytree(target, tmp, symlinks=True, copy_function=_link_or_copy, dirs_exist_ok=True)
        yield tmp


@dataclass(frozen=True)
class Download:
    """One downloadable file of the dataset, as the catalog lists it."""

    name: str
    fmt: Format
    compressed: bool
    size: int

    @property
    def media_type(self) -> str:
        return GZIP if self.compressed else self.fmt.media_type


def downloads(folder: Path, info: BuildInfo) -> list[Download]:
    """The dumps of a build and their gzip variants, in the order of the format table."""
    found = []
    for fmt in GRAPH_FORMATS:
        name = info.dumps.get(fmt.key)
        for file, compressed in ((name, False), (name and gzip_name(name), True)):
            if file and (Path(folder) / file).is_file():
                found.append(Download(file, fmt, compressed, (Path(folder) / file).stat().st_size))
    return found
