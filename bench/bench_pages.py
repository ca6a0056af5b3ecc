"""The site's pages at national size: every kind of page of a large build, through `ptce serve`, evaluated afresh.

Two servers hold the same build, both with their caches of answers off (the front's and the workers'), so that
every request renders its page:
- `ptce serve, cold`: the embedded store (each gunicorn worker opens the on-disk Oxigraph store read-only);
- `ptce serve --store, cold`: the same app with `--store sparql:VIRTUOSO/sparql`, every query of a page asked of
  a private Virtuoso (tests/virtuoso.py) loaded with `ptce.build.gsp.publish_to`: the peer for the ratios.

Pages: the home page (French, English), the theme scheme, the ontology, the map, the network page and its JSON, the
catalog, a search, and for each kind of resource (PTCE, organisation, department, territory, theme, initiative,
role, passage, and the Turtle of PTCEs) `--per-kind` resources drawn with `--seed`. Each URL is asked once
(its first request in a worker: "first") and then `--reps` times (median over every URL of the kind); a page that
does not answer 200 is reported, not timed. One client, servers interleaved URL by URL.

    python -m ptce synth --orgs 14700 --seed 1 --out data-1m
    python -m ptce build --data data-1m --out dist-1m
    python bench/bench_pages.py --build dist-1m --write bench/RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT), str(ROOT / "bench")]

from bench_endpoint import machine, versions, write_section  # noqa: E402
from bench_serving import Server, start_ptce_cold, wait_for  # noqa: E402
from tests import virtuoso  # noqa: E402

from ptce.build.gsp import publish_to  # noqa: E402
from ptce.build_folder import BuildInfo  # noqa: E402
from ptce.rdf.namespaces import Iris  # noqa: E402
from ptce.store.engine import open_build  # noqa: E402

HEADING = "Pages at 1M triples: ptce serve over its embedded store and over Virtuoso"
EMBEDDED = "ptce serve, cold"
PEER = "ptce serve --store, cold"
# Resources of each kind, by their class (every page kind the site renders from a description).
KINDS = {
    "PTCE": "ptce:PTCE",
    "organisation": "org:Organization",
    "department": "igeo:Departement",
    "territory": "ptce:Territory",
    "theme": "skos:Concept",
    "initiative": "ptce:Initiative",
    "role": "org:Membership",
    "passage": "oa:SpecificResource",
}
FIXED = {
    "home": "/",
    "home, English": "/?lang=en",
    "theme scheme": "/page/theme",
    "ontology": "/ontology",
    "map": "/map",
    "network": "/network",
    "network.json": "/network.json",
    "catalog": "/catalog",
    "search": "/search?q=solidaire",
}


def get(server: Server, path: str, timeout: float) -> tuple[int | str, float, int]:
    """(status, seconds, bytes) of one GET of `path`, asking for HTML; the status is "timeout" past `timeout`."""
    request = urllib.request.Request(server.base() + path, headers={"Accept": "text/html"})
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            return response.status, time.perf_counter() - t, len(body)
    except urllib.error.HTTPError as exc:
        return exc.code, time.perf_counter() - t, 0
    except TimeoutError:
        return "timeout", time.perf_counter() - t, 0


def pages(build: Path, per_kind: int, seed: int) -> dict[str, list[str]]:
    """The URLs of each kind: the fixed pages, and `per_kind` resources of each class drawn with `seed`."""
    store = open_build(build)
    iris = store.iris
    things = iris.base + "id/"
    out = {kind: [path] for kind, path in FIXED.items()}
    rng = random.Random(seed)
    for kind, cls in KINDS.items():
        query = f"SELECT ?x WHERE {{ ?x a {cls} FILTER(STRSTARTS(STR(?x), {json.dumps(things)})) }}"
        found = sorted(row["x"] for row in store.select(query))
        chosen = rng.sample(found, min(per_kind, len(found)))
        out[kind] = [f"/page/{iri.removeprefix(things)}" for iri in chosen]
        if kind == "PTCE":
            out["PTCE, Turtle"] = [f"/data/{iri.removeprefix(things)}.ttl" for iri in chosen]
    return out


def measure(servers: list[Server], urls: dict[str, list[str]], reps: int, timeout: float) -> dict:
    """Per kind and server: the first request of each URL, then `reps` more; statuses other than 200 kept."""
    results: dict = {}
    for kind, paths in urls.items():
        per = {s.name: {"first": [], "times": [], "bytes": [], "errors": []} for s in servers}
        for path in paths:
            for server in servers:
                status, seconds, size = get(server, path, timeout)
                entry = per[server.name]
                if status != 200:
                    entry["errors"].append(f"{path}: {status}")
                    continue
                entry["first"].append(seconds)
                entry["bytes"].append(size)
                for _ in range(reps):
                    status, seconds, _size = get(server, path, timeout)
                    if status == 200:
                        entry["times"].append(seconds)
        results[kind] = per
        shown = {n: _ms(statistics.median(e["times"])) if e["times"] else e["errors"] for n, e in per.items()}
        print(kind, shown, file=sys.stderr)
    return results


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}" if seconds < 10 else f"{seconds * 1000:,.0f}"


def report(results: dict) -> str:
    """The RESULTS.md section."""
    lines = [
        f"## {results['heading']}",
        "",
        f"Command: `{results['command']}`",
        "",
        f"{results['triples']:,} triples; {results['info']['machine']}; {results['info']['versions']}.",
        f"Both servers with their caches of answers off; {results['reps']} timed requests per URL after its first.",
        "",
        "| page | URLs | KB | ptce serve median ms | first, worst ms | over Virtuoso median ms | first, worst ms "
        "| ratio of medians |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, per in results["pages"].items():
        cells = []
        medians = {}
        for name in (EMBEDDED, PEER):
            entry = per.get(name)
            if entry is None or not entry["times"]:
                errors = "; ".join(entry["errors"]) if entry else "not run"
                cells += [errors, ""]
                continue
            medians[name] = statistics.median(entry["times"])
            cells += [_ms(medians[name]), _ms(max(entry["first"]))]
        sizes = per[EMBEDDED]["bytes"] or [0]
        ratio = f"{medians[EMBEDDED] / medians[PEER]:.2f}×" if len(medians) == 2 else ""
        lines.append(
            f"| {kind} | {len(per[EMBEDDED]['first']) or len(per[EMBEDDED]['errors'])} "
            f"| {statistics.median(sizes) / 1024:,.0f} | {' | '.join(cells)} | {ratio} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=Path, required=True, help="A large build (see the usage).")
    parser.add_argument("--per-kind", type=int, default=5, help="Resources of each kind.")
    parser.add_argument("--reps", type=int, default=5, help="Timed requests per URL after its first.")
    parser.add_argument("--seed", type=int, default=1, help="Seed of the resources drawn.")
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="ptce serve --timeout, and the client's timeout of one request, seconds.",
    )
    parser.add_argument("--row-limit", type=int, default=10_000, help="ptce serve --row-limit.")
    parser.add_argument("--workers", type=int, help="ptce serve processes (default: its own, 2 per CPU).")
    parser.add_argument("--no-virtuoso", action="store_true", help="Only the embedded store.")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "pages.json")
    parser.add_argument("--write", type=Path, help="Update this RESULTS.md.")
    parser.add_argument("--heading", default=HEADING, help="The section of RESULTS.md to write.")
    args = parser.parse_args()
    shown = [Path(a).name if os.path.isabs(a) else a for a in sys.argv[1:]]
    build = args.build.resolve()
    info = BuildInfo.read(build)
    machine_info = {"machine": machine(), "versions": versions()}  # the load average before the run
    urls = pages(build, args.per_kind, args.seed)
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="ptce-bench-pages-") as work:
        work = Path(work)
        peer = None
        try:
            if not args.no_virtuoso:
                peer = virtuoso.start(work / "virtuoso", memory_gb=4)
                publish_to(peer.gsp_url, build, str(Iris(info.base_iri).dataset), peer.auth, update_url=peer.update_url)
            servers.append(start_ptce_cold(build, work, args, name=EMBEDDED))
            if peer is not None:
                servers.append(start_ptce_cold(build, work, args, store=peer.sparql_url, name=PEER))
            for server in servers:
                wait_for(server, 900)
            results = measure(servers, urls, args.reps, args.timeout)
        finally:
            for server in servers:
                server.stop()
            if peer is not None:
                peer.stop()
    out = {
        "heading": args.heading,
        "command": "python bench/bench_pages.py " + shlex.join(shown),
        "triples": info.triples,
        "info": machine_info,
        "reps": args.reps,
        "pages": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2))
    section = report(out)
    print(section)
    if args.write:
        write_section(args.write, section, args.heading)


if __name__ == "__main__":
    main()
