"""The `ptce` command: a thin layer over the library, one command per pipeline stage."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import click

from . import __version__
from .namespaces import DEFAULT_BASE_IRI, Iris
from .paths import DATA_DIR, DEFAULT_BUILD_DIR
from .sources import SourceError

data_option = click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DATA_DIR,
    show_default="the bundled data/",
    help="Folder of YAML source files.",
)
build_option = click.option(
    "--build",
    "build_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_BUILD_DIR,
    show_default=True,
    help="Folder of a published build.",
)
base_option = click.option(
    "--base-iri", default=DEFAULT_BASE_IRI, show_default=True, help="Base IRI of the dataset's identifiers."
)


def fail(message: str, code: int = 1) -> None:
    click.echo(message, err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
def build(data_dir: Path, base_iri: str, out: Path, on_disk: bool | None) -> None:
    """Build the graph from the sources, validate it with SHACL and publish the dumps.

    The output folder is replaced only when the graph conforms; otherwise it is left as it
    was, the problems are printed and the exit code is 1.

    Example: ptce build --out dist/
    """
    from .publish import BuildFailed, publish_build

    try:
        info = publish_build(out, data_dir, Iris(base_iri), on_disk=on_disk)
    except SourceError as exc:
        fail(f"The source data has {len(exc.problems)} problem(s); nothing was published:\n{exc}")
    except BuildFailed as exc:
        fail(f"The graph does not conform to the shapes; nothing was published.\n{exc.report.as_text()}")
    click.echo(f"Built {info.triples} triples (version {info.version}) into {out}/")
    for key, name in info.dumps.items():
        click.echo(f"  {key:7} {out / name}")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@base_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def validate(paths: tuple[Path, ...], base_iri: str, fmt: str) -> None:
    """Validate the source data (default), a data folder, or RDF files against the SHACL shapes.

    Prints which resource, which field and what was expected; exit code 1 on any violation.

    Examples: ptce validate            ptce validate dist/ptce.ttl --format json
    """
    from rdflib import Graph

    from .publish import compile_graph
    from .validate import load_shapes, validate_graph

    iris = Iris(base_iri)
    try:
        if not paths or (len(paths) == 1 and paths[0].is_dir()):
            _, report = compile_graph(paths[0] if paths else DATA_DIR, iris)
        else:
            graph = Graph()
            for path in paths:
                graph.parse(path)
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
    except Exception as exc:  # a file rdflib cannot parse
        fail(f"Cannot read RDF: {exc}")
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.as_text())
    sys.exit(0 if report.conforms else 1)


def open_store(build_dir: Path):
    """The embedded store loaded from a published build, or exit with a clear message."""
    from .store import open_build

    try:
        return open_build(build_dir)
    except FileNotFoundError as exc:
        fail(f"No build found in {build_dir}/ ({exc}). Run `ptce build` first.")


@main.command()
@click.argument("sparql")
@build_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def query(sparql: str, build_dir: Path, fmt: str) -> None:
    """Run a SPARQL query over the built graph. Use '-' to read the query from standard input.

    The usual prefixes (rdfs, skos, dcterms, org, schema, igeo, ptce, ...) are predeclared.

    Example: ptce query "SELECT ?name WHERE { ?p a ptce:PTCE ; skos:prefLabel ?name }"
    """
    store = open_store(build_dir)
    text = sys.stdin.read() if sparql == "-" else sparql
    try:
        result = store.query(text)
    except SyntaxError as exc:
        fail(f"Malformed query: {exc}", 2)
    if isinstance(result, bool) or type(result).__name__ == "QueryBoolean":
        click.echo("true" if bool(result) else "false")
        return
    if type(result).__name__ == "QueryTriples":
        click.echo(store.serialize(result, "ttl").decode())
        return
    names = [v.value for v in result.variables]
    from .store import term_value

    rows = [[term_value(r[n]) for n in names] for r in result]
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

    Example: ptce stats --build dist/
    """
    from .stats import graph_stats

    store = open_store(build_dir)
    for label, value in graph_stats(store):
        click.echo(f"{label:32} {value}")


@main.command()
@click.option("--orgs", type=click.IntRange(min=1), required=True, help="Number of member organisations.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed: same seed, same files.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Data folder to write.")
def synth(orgs: int, seed: int, out: Path) -> None:
    """Write a synthetic national directory of PTCEs in the YAML source format (test data for scale).

    101 departments, up to 1,200 territories, one PTCE per 25 organisations, themes from the real scheme
    with skewed popularity. About 17 triples per organisation: --orgs 60000 builds about 1M triples.
    The folder is replaced whole, and only if it is new, empty or an earlier synthetic folder.

    Example: ptce synth --orgs 6000 --seed 1 --out synth/ && ptce build --data synth/ --out synth-dist/
    """
    from .synth import generate

    try:
        summary = generate(out, orgs, seed)
    except FileExistsError as exc:
        fail(str(exc))
    counts = ", ".join(f"{v} {k}" for k, v in summary.__dict__.items())
    click.echo(f"Wrote {out}/: {counts}")


@main.command()
@build_option
@click.option("--to", "url", required=True, help="Graph Store Protocol endpoint of the SPARQL server.")
@click.option("--graph", default=None, help="Graph to replace.  [default: the dataset IRI, {base}id/dataset]")
@click.option("--auth", default=None, metavar="USER:PASSWORD", help="Credentials (HTTP Basic or Digest).")
def publish(build_dir: Path, url: str, graph: str | None, auth: str | None) -> None:
    """Load a published build into an existing SPARQL server, replacing the dataset's graph in one request.

    Uses the SPARQL 1.1 Graph Store Protocol (HTTP PUT). GSP endpoints: Virtuoso /sparql-graph-crud-auth
    (digest authentication), Fuseki /DATASET/data, QLever / (with its access token).

    Example: ptce publish --build dist/ --to http://127.0.0.1:8890/sparql-graph-crud-auth --auth dba:dba
    """
    from .publish import BuildInfo
    from .remote import RemoteStoreError, publish_to

    try:
        BuildInfo.read(build_dir)
        triples = publish_to(url, build_dir, graph, auth)
    except FileNotFoundError as exc:
        fail(f"No build found in {build_dir}/ ({exc}). Run `ptce build` first.")
    except RemoteStoreError as exc:
        fail(f"Publishing failed: {exc}")
    click.echo(f"Published {triples} triples from {build_dir}/ to {url}")
