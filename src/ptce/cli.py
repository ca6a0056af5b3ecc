"""The `ptce` command: a thin layer over the library, one command per pipeline stage."""

from __future__ import annotations

import csv
import errno
import io
import json
import sys
from functools import partial
from pathlib import Path
from typing import NoReturn

import click

from ptce import __version__
from ptce.assets import DATA_DIR
from ptce.build_folder import DCAT_AP_REPORT
from ptce.errors import PtceError
from ptce.rdf.formats import NETWORK_FORMATS
from ptce.rdf.namespaces import DEFAULT_BASE_IRI, Iris, prefix_map
from ptce.sources.loader import SourceError

data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DATA_DIR,
    show_default="the bundled data/",
    help="Folder of YAML source files.",
)
DEFAULT_BUILD_DIR = Path("dist")


def resolve_build(build_dir: Path | None) -> Path:
    """The build a command reads: --build, else ./dist, else the bundled data's build (made once, cached)."""
    from ptce.build.bundled import bundled_build
    from ptce.build_folder import BUILD_INFO

    if build_dir is not None:
        return build_dir
    if (DEFAULT_BUILD_DIR / BUILD_INFO).is_file():
        return DEFAULT_BUILD_DIR
    click.echo(f"No build in {DEFAULT_BUILD_DIR}/: using the bundled data's build.", err=True)
    folder, made = build_or_fail(bundled_build)
    click.echo(f"{'Made' if made else 'Found'} it in the cache: {folder}/", err=True)
    return folder


build_option = click.option(
    "--build",
    "build_dir",
    type=click.Path(file_okay=False, path_type=Path),
    callback=lambda _ctx, _param, value: resolve_build(value),
    help=f"Folder of a published build.  [default: {DEFAULT_BUILD_DIR}/ if it holds one, else the bundled data's "
    "build, made once and cached]",
)
base_option = click.option(
    "--base-iri", default=DEFAULT_BASE_IRI, show_default=True, help="Base IRI of the dataset's identifiers."
)


def check_store_spec(spec: str) -> str:
    """A click check of a `sparql:URL` store option."""
    from ptce.store.remote import store_url

    try:
        store_url(spec)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return spec


class CommandFailed(click.ClickException):
    """A command's failure: its message on standard error as it is (no "Error:" prefix), and its exit code."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.exit_code = code

    def show(self, file=None) -> None:
        click.echo(self.format_message(), err=True)


def fail(message: str, code: int = 1) -> NoReturn:
    raise CommandFailed(message, code)


class Commands(click.Group):
    """The command group: a `PtceError` no command handled itself is its message, never a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except PtceError as exc:
            raise CommandFailed(str(exc)) from None


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ptce")
def main() -> None:
    """Build, validate, query and serve the linked data of the PTCEs of Hauts-de-France."""


@main.command()
@data_option
@base_option
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_BUILD_DIR,
    show_default=True,
    help="Output folder, replaced atomically on success.",
)
@click.option(
    "--store-on-disk/--store-in-memory",
    "on_disk",
    default=None,
    help="Write the on-disk Oxigraph store (store/) that servers open read-only. Default: from 50,000 triples.",
)
@click.option(
    "--dcat-ap",
    "dcat_ap",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    envvar="PTCE_DCAT_AP",
    help="A folder of SEMIC's DCAT-AP SHACL shapes (shapes.ttl, and shapes_recommended.ttl for warnings): the "
    "build fails if its catalog violates them. [env: PTCE_DCAT_AP]",
)
def build(data_dir: Path, base_iri: str, out: Path, on_disk: bool | None, dcat_ap: Path | None) -> None:
    """Build the graph from the sources, validate it with SHACL and publish the dumps.

    The output folder is replaced only when the graph conforms (and, with --dcat-ap, its
    catalog meets DCAT-AP's mandatory rules); otherwise it is left as it was, the problems
    are printed and the exit code is 1.

    \b
    Examples:
      ptce build --out dist/
      ptce build --dcat-ap ~/dcat-ap-3.0.1/
    """
    from ptce.build.pipeline import publish_build

    info = build_or_fail(partial(publish_build, on_disk=on_disk, dcat_ap=dcat_ap), out, data_dir, Iris(base_iri))
    click.echo(f"Built {info.triples} triples (version {info.version}) into {out}/")
    for key, name in info.dumps.items():
        click.echo(f"  {key:7} {out / name}")
    if dcat_ap is not None:
        report = (out / DCAT_AP_REPORT).read_text(encoding="utf-8").splitlines()[1:]
        shown = [line for line in report if line.startswith(("Warning", "Info"))]
        click.echo(f"DCAT-AP: no violation, {len(shown)} recommendation(s) not met (see {out / DCAT_AP_REPORT})")


def build_or_fail(builder, *args):
    """Run a build function; on bad sources or a non-conforming graph print the report and exit 1."""
    from ptce.build.pipeline import BuildFailed
    from ptce.validate.dcat_ap import CatalogRefused

    try:
        return builder(*args)
    except SourceError as exc:
        fail(f"The source data has {len(exc.problems)} problem(s); nothing was published:\n{exc}")
    except BuildFailed as exc:
        fail(f"The graph does not conform to the shapes; nothing was published.\n{exc.report.as_text()}")
    except CatalogRefused as exc:
        fail(f"The catalog does not meet DCAT-AP; nothing was published: {exc}")
    except OSError as exc:  # a full disk, a read-only or missing output folder
        where = f" ({exc.filename})" if exc.filename else ""
        fail(
            f"Cannot write the build: {exc.strerror or exc}{where}. Nothing was published; the last build is untouched."
        )


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@base_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def validate(paths: tuple[Path, ...], base_iri: str, fmt: str) -> None:
    """Validate the source data (default), a data folder, or RDF files against the SHACL shapes.

    Prints which resource, which field and what was expected; exit code 1 on any violation.

    \b
    Examples:
      ptce validate
      ptce validate dist/ptce.ttl --format json
    """
    from rdflib import Graph

    from ptce.build.pipeline import compile_graph
    from ptce.validate.shacl import load_shapes, validate_graph

    iris = Iris(base_iri)
    try:
        if not paths or (len(paths) == 1 and paths[0].is_dir()):
            _, report = compile_graph(paths[0] if paths else DATA_DIR, iris)
        else:
            graph = Graph()
            for path in paths:
                try:
                    graph.parse(path)
                except Exception as exc:  # rdflib's parsers raise many kinds of errors
                    fail(f"Cannot read RDF from {path}: {exc}")
            report = validate_graph(graph, load_shapes(iris))
    except SourceError as exc:
        if fmt == "json":
            click.echo(
                json.dumps(
                    {"conforms": False, "source_problems": [p.__dict__ for p in exc.problems]},
                    indent=2,
                    ensure_ascii=False,
                )
            )
            sys.exit(1)
        fail(f"The source data has {len(exc.problems)} problem(s):\n{exc}")
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.as_text())
    sys.exit(0 if report.conforms else 1)


def store_or_fail(build_dir: Path):
    """The embedded store loaded from a published build, or exit with a clear message."""
    from ptce.store.engine import open_build

    try:
        return open_build(build_dir)
    except FileNotFoundError as exc:
        fail(f"No build found in {build_dir}/ ({exc}). Run `ptce build` first.")


def seconds_option(flag: str, default: float, help_text: str):
    """A duration option, in seconds (at least 0.1)."""
    return click.option(flag, type=click.FloatRange(min=0.1), default=default, show_default=True, help=help_text)


@main.command()
@click.argument("sparql")
@build_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@seconds_option("--timeout", 60.0, "Seconds it may run.")
def query(sparql: str, build_dir: Path, fmt: str, timeout: float) -> None:
    """Run a SPARQL query over the built graph. Use '-' to read the query from standard input.

    The usual prefixes (rdfs, skos, dcterms, org, schema, igeo, ptce, ...) are predeclared. The query goes
    through the endpoint's guard (no update, no SERVICE) and runs as the endpoint's do, rewritten by the query
    planner, in a query process with no network access (see the README's Safety section).

    \b
    Example:
      ptce query "SELECT ?name WHERE { ?p a ptce:PTCE ; skos:prefLabel ?name }"
    """
    from ptce.build_folder import BuildInfo
    from ptce.query.guard import QueryRefused, analyse, refusal
    from ptce.query.planner import Statistics, WouldNotFinish, run_planned
    from ptce.query.runner import ProcessRunner, QueryCrashed, QueryJob, QueryOutOfMemory, QueryRejected, QueryTimeout
    from ptce.store.engine import json_term_value

    try:
        info = BuildInfo.read(build_dir)
    except FileNotFoundError as exc:
        fail(f"No build found in {build_dir}/ ({exc}). Run `ptce build` first.")
    text = sys.stdin.read() if sparql == "-" else sparql
    iris = Iris(info.base_iri)
    prefixes = prefix_map(iris)
    try:
        analysis = analyse(text, prefixes)
    except QueryRefused as exc:
        fail(f"Refused query: {exc}", 2)
    refused = refusal(analysis)
    if refused:
        fail(f"Refused query: {refused}", 2)
    stats = Statistics.of_build(build_dir, iris.dataset)
    pool = ProcessRunner(build_dir, size=1)
    try:
        output = run_planned(lambda job: pool.run(job, timeout), QueryJob(analysis.text, "json", "ttl"),
                             prefixes, stats, timeout)  # fmt: skip
    except QueryRejected as exc:
        fail(f"Malformed query: {analysis.locate(str(exc))}", 2)
    except QueryTimeout:
        fail(f"Query timed out after {timeout:g} s.")
    except WouldNotFinish as exc:
        fail(str(exc))
    except (QueryCrashed, QueryOutOfMemory, OSError) as exc:
        fail(f"Query failed: {exc or type(exc).__name__}")
    finally:
        pool.close()
    data = json.loads(output.body) if output.kind != "graph" else None
    if data is None:
        click.echo(output.body.decode())
        return
    if "boolean" in data:
        click.echo("true" if data["boolean"] else "false")
        return
    names = data["head"]["vars"]
    rows = [[json_term_value(b.get(n)) for n in names] for b in data["results"]["bindings"]]
    if fmt == "json":
        click.echo(json.dumps([dict(zip(names, r, strict=True)) for r in rows], indent=2, ensure_ascii=False))
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(names)
        writer.writerows(["" if v is None else v for v in r] for r in rows)
        click.echo(buf.getvalue(), nl=False)
    else:
        click.echo(format_table(names, rows))


def format_table(names: list[str], rows: list[list]) -> str:
    cells = [[("" if v is None else str(v)) for v in r] for r in rows]
    widths = [max([len(n)] + [min(len(r[i]), 60) for r in cells]) for i, n in enumerate(names)]
    fmt_row = " | ".join(f"{{:{w}.{w}}}" for w in widths)
    lines = [fmt_row.format(*names), "-+-".join("-" * w for w in widths)]
    lines += [fmt_row.format(*r) for r in cells]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


@main.command()
@build_option
def stats(build_dir: Path) -> None:
    """Counts of the built graph: triples, PTCEs per department, themes, organisations.

    \b
    Example:
      ptce stats --build dist/
    """
    from ptce.linkeddata.stats import graph_stats

    store = store_or_fail(build_dir)
    for label, value in graph_stats(store):
        click.echo(f"{label:32} {value}")


@main.command("import")
@click.argument("document", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("imported"),
    show_default=True,
    help="Data folder to write into; files already there are never overwritten.",
)
@click.option("--region", default="32", show_default=True, help="INSEE code of the region the document maps.")
@data_option
@click.option("--diff", is_flag=True, help="Write nothing; show how the document differs from the --data folder.")
def import_map(document: Path, out: Path, region: str, data_dir: Path, diff: bool) -> None:
    """Import a regional map of PTCEs (plain text) as YAML sources, with theme suggestions.

    Each PTCE becomes ptce/<slug>.yaml: department (from the heading's code, via the --data
    folder's geography.yaml), name, description, objectives or axes, the document lines each comes
    from, and themes suggested from its text, which you review before filling in `themes`.
    What the importer cannot place is reported, never guessed.

    \b
    Example:
      ptce import carte.txt --out imported/ && ptce validate imported/
    """
    from ptce.importer.output import diff_document, import_summary, write_data_folder
    from ptce.importer.reader import DocumentError, read_document
    from ptce.sources.loader import load_sources

    try:
        sources = load_sources(data_dir)
        doc = read_document(document, sources, region)
        if diff:
            click.echo(diff_document(doc, sources))
            return
        written = write_data_folder(doc, out, data_dir)
    except DocumentError as exc:
        fail(f"Cannot import {document}: {len(exc.problems)} problem(s); nothing was written.\n{exc}")
    except SourceError as exc:
        fail(f"The data folder {data_dir} has {len(exc.problems)} problem(s):\n{exc}")
    click.echo(import_summary(doc, written, out))


@main.command("map")
@build_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["png", "svg"]),
    default=None,
    help="Image format [default: from --out, else png].",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Image file to write.")
def map_command(build_dir: Path, fmt: str | None, out: Path) -> None:
    """Draw the regional map for reports: department outlines, the PTCEs numbered and coloured by department, a key.

    \b
    Example:
      ptce map --format svg --out carte-ptce.svg
    """
    from ptce.geo.staticmap import write_map

    store = store_or_fail(build_dir)
    fmt = fmt or ("svg" if out.suffix.lower() == ".svg" else "png")
    try:
        count = write_map(store, build_dir, out, fmt)
    except FileNotFoundError as exc:
        fail(f"The build in {build_dir}/ has no department outlines ({exc}). Run `ptce build` again.")
    except OSError as exc:
        fail(f"Cannot write {out}: {exc}")
    click.echo(f"Wrote {out} ({fmt}, {count} PTCEs)")


@main.command()
@click.option("--orgs", type=click.IntRange(min=1), required=True, help="Number of member organisations.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: same seed, same files.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Data folder to write.")
def synth(orgs: int, seed: int, out: Path) -> None:
    """Write a synthetic national directory of PTCEs in the YAML source format (test data for scale).

    101 departments, up to 1,200 territories, one PTCE per 25 organisations, themes from the real scheme
    with skewed popularity. About 70 triples per organisation (each fact with its passage): --orgs 14700 builds
    about 1M triples.
    The folder is replaced whole, and only if it is new, empty or an earlier synthetic folder.

    \b
    Example:
      ptce synth --orgs 6000 --seed 1 --out synth/ && ptce build --data synth/ --out synth-dist/
    """
    from ptce.synth import generate

    try:
        summary = generate(out, orgs, seed)
    except FileExistsError as exc:
        fail(str(exc))
    counts = ", ".join(f"{v} {k}" for k, v in summary.__dict__.items())
    click.echo(f"Wrote {out}/: {counts}")


@main.command()
@build_option
@click.option("--project", type=click.Choice(["ptce", "theme"]), default="ptce", show_default=True,
              help="Project onto PTCEs (linked by shared themes) or onto themes (linked by shared PTCEs).")  # fmt: skip
@click.option("--weight", type=click.Choice(["shared", "jaccard", "newman"]), default="shared", show_default=True,
              help="Edge weight: shared count, Jaccard index, or Newman's (rare themes count more).")  # fmt: skip
@click.option("--min-weight", type=float, default=0.0, show_default=True, help="Leave out edges below this weight.")
@click.option("--top-k", type=click.IntRange(min=1), default=None,
              help="Keep each node's k strongest links. Default: all up to 100 nodes, the 10 strongest beyond.",
              )  # fmt: skip
@click.option("--broader", is_flag=True, help="Roll themes up to their broader (top) concept first.")
@click.option("--method", type=click.Choice(["louvain", "greedy"]), default="louvain", show_default=True,
              help="Community detection method.")  # fmt: skip
@click.option("--resolution", type=float, default=1.0, show_default=True, help="Modularity resolution.")
@click.option("--seed", type=int, default=42, show_default=True, help="Seed of Louvain and of the layout.")
@click.option("--format", "fmt", type=click.Choice([f.key for f in NETWORK_FORMATS]), default="report",
              show_default=True)  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file (required for png).")
def network(build_dir: Path, fmt: str, out: Path | None, **options) -> None:
    """The co-theme network of the PTCEs, from the built graph: a report, or an export for Gephi or Python.

    Every output states its parameters, the build version and the date.

    \b
    Example:
      ptce network --weight jaccard --format gexf --out ptce.gexf
    """
    from ptce.build_folder import NETWORK_SHAPE, BuildInfo
    from ptce.network.cotheme import NetworkParams, build_network, read_shape
    from ptce.network.export import export

    store = store_or_fail(build_dir)
    try:
        params = NetworkParams(**options)
    except ValueError as exc:
        fail(f"Invalid option: {exc}", 2)
    if fmt == "png" and out is None:
        fail("PNG is binary: give --out FILE.", 2)
    version, saved = BuildInfo.read(build_dir).version, read_shape(build_dir / NETWORK_SHAPE)
    data = export(build_network(store, params, build_version=version, saved=saved), fmt)
    if out is None:
        click.echo(data.decode("utf-8"), nl=False)
    else:
        out.write_bytes(data)
        click.echo(f"Wrote {out} ({fmt}, {len(data):,} bytes)", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option("--workers", type=click.IntRange(1), help="Server processes.  [default: 2 per CPU]")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Build this folder of YAML sources and serve it.  [default: the bundled data/]",
)
@click.option(
    "--build",
    "build_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Serve this published build folder (see `ptce build`) instead of building.",
)
@base_option
@seconds_option("--timeout", 10.0, "Seconds a query may run (503 beyond).")
@click.option(
    "--row-limit", type=click.IntRange(1), default=10_000, show_default=True, help="Most rows a SELECT returns."
)
@click.option(
    "--max-request-bytes",
    type=click.IntRange(1024),
    default=65536,
    show_default=True,
    help="Largest query or body (413 beyond).",
)
@click.option(
    "--store",
    "store_spec",
    metavar="sparql:URL",
    default=None,
    callback=lambda _ctx, _param, value: value and check_store_spec(value),
    help="Query an existing SPARQL 1.1 server holding the build (see `ptce publish`) instead of the embedded store.",
)
@click.option(
    "--federation-allow",
    "federation",
    multiple=True,
    metavar="URL",
    help="A SPARQL endpoint SERVICE may call (repeatable). Off by default: no outbound request at all.",
)
@click.option(
    "--public-url",
    metavar="URL",
    help="Where users reach the site, e.g. https://ptce.example.org/ (for the absolute URLs it writes; never taken "
    "from the Host header).  [default: the address served]",
)
@seconds_option("--header-timeout", 10.0, "Seconds a client may take to send a request's head (408 beyond).")
@seconds_option("--body-timeout", 30.0, "Seconds a client may take to send a request's body (408 beyond).")
@click.option(
    "--trust-proxy",
    multiple=True,
    metavar="ADDRESS",
    help="A reverse proxy whose X-Forwarded-For names the client, for the fair share (repeatable).",
)
@click.option(
    "--max-query-memory",
    type=click.IntRange(16),
    default=1024,
    show_default=True,
    metavar="MIB",
    help="Memory one query may take, in MiB (507 beyond); see the README for the server's total.",
)
def serve(
    host,
    port,
    workers,
    data_dir,
    build_dir,
    base_iri,
    timeout,
    row_limit,
    max_request_bytes,
    store_spec,
    federation,
    public_url,
    header_timeout,
    body_timeout,
    trust_proxy,
    max_query_memory,
) -> None:
    """Serve the SPARQL endpoint and the web app over the validated graph.

    Serves the build --build names; or builds --data first (into a temporary folder); or, with neither,
    ./dist if it holds a build, else the bundled data's build (made once per data version and cached). A
    build that fails its checks is never served (exit code 1).

    With --store sparql:URL, everything (endpoint, pages, map, network) is answered by that server; the
    build folder still provides the dumps and metadata.

    \b
    Example:
      ptce serve --port 8000 --timeout 5
    """
    from ptce.build.pipeline import build_to_temp
    from ptce.web.server import serve as run_server

    if data_dir and build_dir:
        fail("Give --data or --build, not both.", 2)
    if data_dir is not None:
        build_dir = build_or_fail(build_to_temp, data_dir, Iris(base_iri))
    elif build_dir is None:
        build_dir = resolve_build(None) if base_iri == DEFAULT_BASE_IRI else None
        build_dir = build_dir or build_or_fail(build_to_temp, DATA_DIR, Iris(base_iri))
    config = {
        "BUILD_DIR": str(build_dir),
        "QUERY_TIMEOUT": timeout,
        "ROW_LIMIT": row_limit,
        "MAX_CONTENT_LENGTH": max_request_bytes,
        "FEDERATION_ALLOWLIST": tuple(federation),
        "STORE": store_spec,
        "MAX_QUERY_MEMORY": max_query_memory * 1024**2,
        "PUBLIC_URL": public_url,
    }

    def ready(urls: list[str]) -> None:
        click.echo(f"Serving {build_dir}/ (Ctrl+C to stop)")
        for url in urls:
            click.echo(f"  {url}")
        sys.stdout.flush()  # now, even when stdout is a file or a pipe

    front = {"header_timeout": header_timeout, "body_timeout": body_timeout, "trusted_proxies": frozenset(trust_proxy)}
    try:
        status = run_server(config, host, port, workers, on_ready=ready, front_options=front)
    except FileNotFoundError as exc:
        fail(f"No build found in {build_dir}/ ({exc}). Run `ptce build` first.")
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            fail(f"Port {port} on {host} is already in use: stop what uses it, or choose another with --port.")
        fail(f"Cannot listen on {host}:{port}: {exc.strerror or exc}")
    sys.exit(status)


@main.command()
@build_option
@click.option("--to", "url", required=True, help="Graph Store Protocol endpoint of the SPARQL server.")
@click.option("--graph", default=None, help="Graph to replace.  [default: the dataset IRI, {base}id/dataset]")
@click.option("--auth", default=None, metavar="USER:PASSWORD", help="Credentials (HTTP Basic or Digest).")
@click.option("--update", "update_url", default=None, metavar="URL",
              help="SPARQL Update endpoint of the same server: large builds are switched into place atomically.",
              )  # fmt: skip
def publish(build_dir: Path, url: str, graph: str | None, auth: str | None, update_url: str | None) -> None:
    """Load a published build into an existing SPARQL server, replacing the dataset's graph.

    Uses the SPARQL 1.1 Graph Store Protocol: one HTTP PUT for a build of up to 50,000 triples, which the
    server applies as a whole. A larger build goes in pieces: with --update, into a staging graph switched
    into place by one SPARQL Update MOVE (readers never see part of it); without, straight into the graph.
    GSP endpoints: Virtuoso /sparql-graph-crud-auth (digest authentication; updates: /sparql-auth), Fuseki
    /DATASET/data (updates: /DATASET/update), QLever / (with its access token, for both).

    \b
    Example:
      ptce publish --build dist/ --to http://127.0.0.1:8890/sparql-graph-crud-auth
    --update http://127.0.0.1:8890/sparql-auth --auth dba:dba
    """
    from ptce.build.gsp import publish_to
    from ptce.build_folder import BuildInfo
    from ptce.store.remote import RemoteStoreError

    try:
        BuildInfo.read(build_dir)
        triples = publish_to(url, build_dir, graph, auth, update_url=update_url)
    except FileNotFoundError as exc:
        fail(f"No build found in {build_dir}/ ({exc}). Run `ptce build` first.")
    except RemoteStoreError as exc:
        fail(f"Publishing failed: {exc}")
    click.echo(f"Published {triples} triples from {build_dir}/ to {url}")
