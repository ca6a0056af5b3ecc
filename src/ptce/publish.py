"""Build the published dataset: sources -> graph -> SHACL -> dumps, replacing the output folder atomically."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from . import __version__
from .formats import GRAPH_FORMATS, Format
from .graph import build_graph
from .namespaces import PREFIXES, Iris
from .paths import DATA_DIR, SHAPES_DIR
from .places import OUTLINES_FILE
from .sources import load_sources
from .validate import ValidationReport, load_shapes, validate_graph

DUMP_NAME = "ptce"
BUILD_INFO = "build.json"
REPORT_TEXT = "validation-report.txt"
REPORT_TTL = "validation-report.ttl"
OUTLINES = "hauts-de-france.geojson"  # the region and department outlines, copied from data/geo/ for the map
NETWORK_DUMP = "network.nq"  # the co-theme links, in the named graph Iris.network_graph


class BuildFailed(Exception):
    """The graph does not conform; the previous build (if any) is left untouched."""

    def __init__(self, report: ValidationReport):
        self.report = report
        super().__init__(report.as_text())


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


def graph_version(graph: Graph) -> str:
    """A content hash of the graph: identical triples give the same version (the ETag of a build)."""
    lines = sorted(graph.serialize(format="nt").splitlines())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def jsonld_context(iris: Iris) -> dict:
    return {"@context": {**{p: str(ns) for p, ns in PREFIXES.items()}, "ptce": str(iris.vocab)}}


def compile_graph(data_dir: Path = DATA_DIR, iris: Iris | None = None, shapes_dir: Path = SHAPES_DIR):
    """Sources -> graph -> validation; returns (graph, report). Raises SourceError on bad input."""
    iris = iris or Iris()
    graph = build_graph(load_sources(data_dir), iris)
    return graph, validate_graph(graph, load_shapes(iris, shapes_dir))


def serialize_graph(graph: Graph, fmt: Format, iris: Iris, destination: Path | None = None) -> bytes | None:
    """The graph in one format (bytes, or written to `destination`); JSON-LD is compacted with the context."""
    options = {"context": jsonld_context(iris)["@context"], "auto_compact": True} if fmt.key == "jsonld" else {}
    data = graph.serialize(destination=destination, format=fmt.rdflib, encoding="utf-8", **options)
    return None if destination else data


def gzip_name(name: str) -> str:
    """File name of the gzip variant of a dump."""
    return f"{name}.gz"


def write_dumps(graph: Graph, folder: Path, iris: Iris) -> dict[str, str]:
    """Serialise the graph in every format, each with a gzip variant; returns {format key: file name}."""
    (folder / "context.jsonld").write_text(json.dumps(jsonld_context(iris), indent=2), encoding="utf-8")
    dumps = {}
    for fmt in GRAPH_FORMATS:
        name = f"{DUMP_NAME}.{fmt.suffix}"
        serialize_graph(graph, fmt, iris, folder / name)
        with open(folder / name, "rb") as src, gzip.GzipFile(folder / gzip_name(name), "wb", mtime=0) as dst:
            shutil.copyfileobj(src, dst)
        dumps[fmt.key] = name
    return dumps


def publish_network(graph: Graph, folder: Path, info: BuildInfo, shapes_dir: Path = SHAPES_DIR) -> None:
    """Compute the co-theme network from the written dump, check it with SHACL, write NETWORK_DUMP."""
    from .network_rdf import published_network, write_network_dump

    iris = Iris(info.base_iri)
    links = published_network(folder / info.dumps["nt"], iris, info.version, info.built_at)
    report = validate_graph(graph + links, load_shapes(iris, shapes_dir))
    if not report.conforms:
        raise BuildFailed(report)
    write_network_dump(links, folder / NETWORK_DUMP, iris)


def replace_dir(new: Path, target: Path) -> None:
    """Put `new` in place of `target`: the old folder is moved aside, then deleted."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    os.replace(new, target)
    if old:
        shutil.rmtree(old, ignore_errors=True)


def publish_build(
    out_dir: Path, data_dir: Path = DATA_DIR, iris: Iris | None = None, shapes_dir: Path = SHAPES_DIR
) -> BuildInfo:
    """Build, validate, publish to `out_dir`; on SourceError or BuildFailed `out_dir` is left as it was."""
    iris = iris or Iris()
    graph, report = compile_graph(data_dir, iris, shapes_dir)
    if not report.conforms:
        raise BuildFailed(report)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        dumps = write_dumps(graph, tmp, iris)
        shutil.copyfile(Path(data_dir) / OUTLINES_FILE, tmp / OUTLINES)
        (tmp / REPORT_TEXT).write_text(report.as_text() + "\n", encoding="utf-8")
        report.report_graph.serialize(destination=tmp / REPORT_TTL, format="turtle")
        info = BuildInfo(
            version=graph_version(graph),
            triples=len(graph),
            base_iri=iris.base,
            built_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            software_version=__version__,
            dumps=dumps,
        )
        publish_network(graph, tmp, info, shapes_dir)
        (tmp / BUILD_INFO).write_text(json.dumps(info.__dict__, indent=2) + "\n", encoding="utf-8")
        from .metadata import write_metadata

        write_metadata(tmp, info, load_sources(data_dir).dataset)
        tmp.chmod(0o755)
        replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return info
