"""The package's layout: imports point one way along the pipeline, and nothing imports in a circle.

sources → graph → validate → build (dumps, VoID/DCAT) → store (embedded, remote) ← query ← web. Every import
counts, those inside functions too (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

import ptce

PACKAGE = Path(ptce.__file__).parent
# What the read side (the web app, the query processes, the pages) must never import: the build's write side.
WRITE_SIDE = ("ptce.build", "ptce.sources", "ptce.graph", "ptce.validate", "ptce.importer", "ptce.synth", "ptce.cli")
READ_SIDE = ("ptce.web", "ptce.query", "ptce.linkeddata", "ptce.store", "ptce.geo")
WEB_FRAMEWORK = ("flask", "werkzeug", "jinja2", "markupsafe", "gunicorn")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports (absolute names; `from package import module` counts the module)."""
    own = module_name(path)
    package = own if path.name == "__init__.py" else own.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            found.add(target)
            found |= {f"{target}.{alias.name}" for alias in node.names}
    return found


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    g = nx.DiGraph()
    for name, path in modules.items():
        g.add_node(name, external=set())
        for target in imports_of(path):
            if target in modules and target != name:
                g.add_edge(name, target)
            elif not target.startswith("ptce"):
                g.nodes[name]["external"].add(target.split(".")[0])
    return g


def is_in(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_the_package_has_its_pipeline_layout(graph):
    for package in ("rdf", "sources", "validate", "build", "store", "query", "linkeddata", "network", "geo", "web"):
        assert f"ptce.{package}" in graph, package
    assert len([n for n in graph if n.count(".") == 1]) <= 21  # top level: packages and a few modules, not 45


def test_no_module_imports_in_a_circle(graph):
    assert list(nx.simple_cycles(graph)) == []


def test_the_read_side_never_imports_the_write_side(graph):
    arrows = [(a, b) for a, b in graph.edges if is_in(a, READ_SIDE) and is_in(b, WRITE_SIDE)]
    assert arrows == []


def test_only_the_web_package_imports_the_web_framework(graph):
    found = {n: sorted(graph.nodes[n]["external"] & set(WEB_FRAMEWORK)) for n in graph if not is_in(n, ("ptce.web",))}
    assert {n: f for n, f in found.items() if f} == {}


def test_only_the_store_knows_the_engine(graph):
    assert sorted(n for n in graph if "pyoxigraph" in graph.nodes[n]["external"]) == [
        "ptce.store.bulk",
        "ptce.store.engine",
        "ptce.store.exact_copy",
        "ptce.store.sort_keys",
    ]


def test_the_checker_sees_what_it_checks(graph):
    """The rules above would pass on an empty graph: show that a cycle and a forbidden arrow are found."""
    g = graph.copy()
    g.add_edge("ptce.build.pipeline", "ptce.web.site")
    g.add_edge("ptce.web.site", "ptce.build.pipeline")
    assert list(nx.simple_cycles(g))
    assert [(a, b) for a, b in g.edges if is_in(a, READ_SIDE) and is_in(b, WRITE_SIDE)]
    assert "flask" in graph.nodes["ptce.web.site"]["external"]
    assert ("ptce.web.sparql", "ptce.query.guard") in graph.edges  # an import inside a package is an edge
