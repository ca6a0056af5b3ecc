"""Build the published dataset: sources -> graph -> SHACL -> dumps, replacing the output folder atomically."""

from __future__ import annotations

import atexit
import gzip
import json
import os
import shutil
import tempfile
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rdflib import Graph

from ptce import __version__, build_folder
from ptce.assets import DATA_DIR, SHAPES_DIR
from ptce.build_folder import (
    BUILD_INFO,
    CATALOG_FILE,
    CONTEXT,
    DCAT_AP_REPORT,
    DUMP_NAME,
    NETWORK_DUMP,
    NETWORK_SHAPE,
    OUTLINES,
    REPORT_TEXT,
    REPORT_TTL,
    SHAPES_FILE,
    SORT_KEYS,
    STORE_DIR,
    BuildInfo,
    gzip_name,
    staged_dir,
    utc_now,
)
from ptce.errors import PtceError
from ptce.graph import build_graph, graph_of, graph_triples
from ptce.rdf.formats import GRAPH_FORMATS, JSONLD
from ptce.rdf.namespaces import Iris
from ptce.rdf.serialize import jsonld_context, serialize_graph
from ptce.sources.loader import load_sources
from ptce.sources.places import OUTLINES_FILE
from ptce.store import bulk
from ptce.store.engine import OxigraphStore, load_dumps
from ptce.store.sort_keys import write_sort_keys
from ptce.validate.dcat_ap import check_catalog, check_shapes_dir
from ptce.validate.partition import Validation
from ptce.validate.report import ValidationReport
from ptce.validate.shacl import load_shapes, start_validation, start_validation_beside, validate_graph

if TYPE_CHECKING:
    from ptce.network.cotheme import Network


class BuildFailed(PtceError):
    """The graph does not conform; the previous build (if any) is left untouched."""

    def __init__(self, report: ValidationReport):
        self.report = report
        super().__init__(report.as_text())


def write_context(folder: Path, iris: Iris) -> None:
    """The dumps' JSON-LD context, beside them."""
    (folder / CONTEXT).write_text(json.dumps(jsonld_context(iris), indent=2), encoding="utf-8")


def compile_graph(data_dir: Path = DATA_DIR, iris: Iris | None = None, shapes_dir: Path = SHAPES_DIR):
    """Sources -> graph -> validation; returns (graph, report). Raises SourceError on bad input."""
    iris = iris or Iris()
    with bulk.gc_paused():
        graph = build_graph(load_sources(data_dir), iris)
        return graph, validate_graph(graph, load_shapes(iris, shapes_dir))


def _compile(data_dir: Path, iris: Iris, shapes_dir: Path) -> tuple[list, Graph | None, Validation, Any]:
    """(the graph's triples, its rdflib graph, its validation, started, the dataset's description).

    A large graph's rdflib graph is made by the validation's own process (`start_validation_beside`) and this
    one has none (None): its dumps are written from the triples."""
    with bulk.gc_paused():
        sources = load_sources(data_dir)
        triples = graph_triples(sources, iris)
        shapes = load_shapes(iris, shapes_dir)
        if len(triples) >= build_folder.LARGE_GRAPH:
            return triples, None, start_validation_beside(triples, iris, shapes), sources.dataset
        graph = graph_of(triples, iris)
        return triples, graph, start_validation(graph, shapes), sources.dataset


def conforming(validation: Validation) -> ValidationReport:
    """The validation's report; BuildFailed unless the graph conforms, and the links added to it."""
    report = validation.result()
    for found in (report, validation.links_report()):
        if found is not None and not found.conforms:
            raise BuildFailed(found)
    return report


def write_dumps(graph: Graph, folder: Path, iris: Iris) -> dict[str, str]:
    """Serialise a graph of ordinary size in every format, each with a gzip variant; returns {format key: file name}.

    Oxigraph's writers, in subject order, for all but JSON-LD, which rdflib compacts with the dumps' context."""
    write_context(folder, iris)
    dumps = bulk.stream_dumps(graph, folder, iris, DUMP_NAME, skip=frozenset({JSONLD.key}), sort=True)
    dumps[JSONLD.key] = f"{DUMP_NAME}.{JSONLD.suffix}"
    serialize_graph(graph, JSONLD, iris, folder / dumps[JSONLD.key])
    for name in dumps.values():
        with open(folder / name, "rb") as src, gzip.GzipFile(folder / gzip_name(name), "wb", mtime=0) as dst:
            shutil.copyfileobj(src, dst)
    return {fmt.key: dumps[fmt.key] for fmt in GRAPH_FORMATS}


def publish_network(validation: Validation, folder: Path, info: BuildInfo, store: OxigraphStore) -> Network:
    """Compute the co-theme network from `store` (the build's data), write NETWORK_DUMP, and have the links
    checked with SHACL in the data graph (`Validation.add_links`: only the links' subjects are validated, what a
    full run would report on them, without validating the data twice; `conforming` says if they fail). Returns
    the network (not analysed)."""
    from ptce.network.rdf import network_triples, published_network, write_network_dump

    net = published_network(store, info.version, info.built_at)
    links = network_triples(net, store.iris)
    validation.add_links(links)
    write_network_dump(links, folder / NETWORK_DUMP, Iris(info.base_iri))
    return net


def publish_build(
    out_dir: Path,
    data_dir: Path = DATA_DIR,
    iris: Iris | None = None,
    shapes_dir: Path = SHAPES_DIR,
    on_disk: bool | None = None,
    dcat_ap: Path | None = None,
) -> BuildInfo:
    """Build, validate, publish to `out_dir`; on SourceError, BuildFailed or CatalogRefused `out_dir` is left as it
    was.

    `on_disk` also writes the on-disk store (`store/`) and the dumps with Oxigraph's writers; by default
    it is chosen for graphs of `build_folder.LARGE_GRAPH` triples or more. `dcat_ap`, a folder of SEMIC's DCAT-AP
    shapes, checks the catalog against them (`ptce.validate.dcat_ap`): a violation fails the build, the rest is
    written to DCAT_AP_REPORT.
    """
    iris = iris or Iris()
    if dcat_ap is not None:
        check_shapes_dir(dcat_ap)
    triples, graph, validation, dataset = _compile(data_dir, iris, shapes_dir)
    try:
        if validation.ready:  # a small graph: a failing one stops the build before anything is written
            conforming(validation)
        with staged_dir(Path(out_dir)) as tmp:
            try:
                info = _publish(triples, graph, validation, tmp, data_dir, iris, shapes_dir, on_disk, dcat_ap, dataset)
            except Exception as exc:
                # A large graph's SHACL runs beside the other steps: its faults are the build's first error.
                if not isinstance(exc, BuildFailed):
                    conforming(validation)
                raise
    finally:
        validation.close()
    return info


def _publish(triples, graph, validation, tmp, data_dir, iris, shapes_dir, on_disk, dcat_ap, dataset) -> BuildInfo:
    """The steps of `publish_build` into the staged folder `tmp`, while `validation` may still run; `graph` is
    None for a large graph, whose validation makes its own (`_compile`). `triples` is emptied once the N-Triples
    dump is written: at 6M triples this process held them through the store's bulk load and the links."""
    from ptce.build.metadata import write_metadata
    from ptce.build.search_index import write_search_index
    from ptce.build.spreadsheet import write_spreadsheets
    from ptce.network.cotheme import write_shape

    if on_disk is None:
        on_disk = len(triples) >= build_folder.LARGE_GRAPH
    if on_disk:  # the other formats are written from the N-Triples dump meanwhile, on the other core
        dumps_written = bulk.dumps_streaming(triples, tmp, iris, DUMP_NAME)
        write_context(tmp, iris)
    else:
        dumps_written = nullcontext(write_dumps(graph if graph is not None else graph_of(triples, iris), tmp, iris))
    count = len(triples)
    with dumps_written as dumps:
        triples.clear()
        version = bulk.ntriples_version(tmp / dumps["nt"])
        shutil.copyfile(Path(data_dir) / OUTLINES_FILE, tmp / OUTLINES)
        load_shapes(iris, shapes_dir).serialize(destination=tmp / SHAPES_FILE, format="turtle")
        info = BuildInfo(
            version=version,
            triples=count,
            base_iri=iris.base,
            built_at=utc_now(),
            software_version=__version__,
            dumps=dumps,
        )
        # One store of the data for the links and the VoID statistics: the on-disk store of a large build (the
        # links are added to it afterwards), or an in-memory one.
        store = bulk.loaded_store(tmp / STORE_DIR if on_disk else None, tmp / dumps["nt"])
        data = OxigraphStore(store, iris)
        network = publish_network(validation, tmp, info, data)
        (tmp / BUILD_INFO).write_text(json.dumps(info.__dict__, indent=2) + "\n", encoding="utf-8")
        write_spreadsheets(tmp, data, info, dataset.title.get("fr", ""), dataset.license)
        write_search_index(tmp, data, iris)
    write_metadata(tmp, info, dataset, data)
    # the default graph's subjects ranked for the planner's sorts, while the large graph's SHACL may still run
    if write_sort_keys(store, tmp / SORT_KEYS, iris) is not None and on_disk:
        load_dumps(store, tmp / SORT_KEYS)
    if dcat_ap is not None:
        found = check_catalog(tmp / CATALOG_FILE, dcat_ap)
        lines = [str(f) for f in found] or ["The catalog meets every rule of the shapes."]
        (tmp / DCAT_AP_REPORT).write_text(f"DCAT-AP shapes: {dcat_ap}\n" + "\n".join(lines) + "\n", "utf-8")
    # the default network's analysis, which servers would otherwise each compute on their first visit of /network
    write_shape(network, tmp / NETWORK_SHAPE)
    report = conforming(validation)
    (tmp / REPORT_TEXT).write_text(report.as_text() + "\n", encoding="utf-8")
    report.report_graph.serialize(destination=tmp / REPORT_TTL, format="turtle")
    if on_disk:
        bulk.finish_store(store, tmp / NETWORK_DUMP)
    del data, store
    return info


def build_to_temp(data_dir: Path, iris: Iris) -> Path:
    """Build and validate a data folder into a fresh temporary folder, removed when this process exits.

    Raises `SourceError` or `BuildFailed` (nothing is served then).
    """
    parent = Path(tempfile.mkdtemp(prefix="ptce-serve-"))
    owner = os.getpid()
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(parent, ignore_errors=True))
    out = parent / "dist"
    publish_build(out, data_dir, iris)
    return out
