"""SHACL reports in terms a maintainer can act on, and the one plain pySHACL run every strategy falls back on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import pyshacl
from rdflib import Graph, URIRef, Variable
from rdflib.namespace import RDF, SKOS, NamespaceManager, split_uri

from ptce.rdf.namespaces import SH, preferred_text

PYSHACL_OPTIONS = {"inference": "none", "allow_warnings": True}


class _KnownPrefixesOnly(NamespaceManager):
    """rdflib's `normalizeUri`, which pySHACL calls to write each node of a result's message, without its side
    effect: rdflib records every namespace it meets in a trie whose insertion scans the trie, so that a graph whose
    IRIs have namespaces of their own (each passage's `…/passage/12-34#quote`) costs time in the square of their
    number (shape:Passage at 400,000 synthetic triples: 78 s, of which 74 s in that trie). An IRI with no bound
    prefix is written `<iri>` without being recorded; everything else as rdflib writes it: the same text."""

    def normalizeUri(self, rdfTerm: str) -> str:
        if not isinstance(rdfTerm, Variable):
            try:
                namespace = split_uri(rdfTerm)[0]
            except ValueError:
                namespace = None
            if namespace is None or self.store.prefix(URIRef(str(namespace))) is None:
                return f"<{rdfTerm}>"
        return super().normalizeUri(rdfTerm)


@contextmanager
def known_prefixes_only(graph: Graph) -> Iterator[Graph]:
    """`graph` with a namespace manager that writes IRIs as rdflib does but remembers no new namespace (see
    `_KnownPrefixesOnly`), for as long as SHACL runs over it; its own manager back afterwards."""
    own = graph.namespace_manager
    quiet = _KnownPrefixesOnly(graph, bind_namespaces="none")
    for prefix, namespace in own.namespaces():
        quiet.bind(prefix, namespace, override=True, replace=True)
    graph.namespace_manager = quiet
    try:
        yield graph
    finally:
        graph.namespace_manager = own


@dataclass(frozen=True)
class Violation:
    """One SHACL result, in readable form."""

    severity: str
    focus: str
    focus_label: str | None
    path: str | None
    field: str | None
    value: str | None
    message: str
    message_en: str
    shape: str | None

    def __str__(self) -> str:
        who = f"{self.focus_label} <{self.focus}>" if self.focus_label else f"<{self.focus}>"
        what = f" — {self.field} ({self.path})" if self.field else (f" — {self.path}" if self.path else "")
        value = f" — value: {self.value}" if self.value is not None else ""
        return f"[{self.severity}] {who}{what}: {self.message_en}{value}"


@dataclass
class ValidationReport:
    """The outcome of validating a graph; `report_graph` is the raw SHACL report."""

    conforms: bool
    violations: list[Violation] = field(default_factory=list)
    report_graph: Graph | None = None

    def as_dict(self) -> dict:
        return {"conforms": self.conforms, "violations": [asdict(v) for v in self.violations]}

    def as_text(self) -> str:
        if self.conforms:
            return "Conforms: the graph satisfies every shape."
        lines = [f"Does not conform: {len(self.violations)} problem(s)."]
        lines += [f"  {v}" for v in self.violations]
        return "\n".join(lines)


def _short(g: Graph, node) -> str | None:
    if node is None:
        return None
    if isinstance(node, URIRef):
        try:
            return g.namespace_manager.normalizeUri(node)
        except ValueError:
            return str(node)
    return str(node)


_TEMPLATE = re.compile(r"\{[?$](\w+)\}")
_IRI = re.compile(r"https?://\S+$")


def _filled(template: str | None, bindings: dict[str, str], filled: list[str], data: Graph) -> str | None:
    """A SPARQL constraint's message with its {?name} / {$name} put in.

    pySHACL puts them in but drops the message's language; the variables are read back from its text, and
    IRIs written short."""
    if template is None:
        return None
    names = _TEMPLATE.findall(template)
    parts = _TEMPLATE.split(template)[::2]  # the text between the variables
    pattern = re.compile("(.*?)".join(map(re.escape, parts)) + "$", re.S)
    values = dict(bindings)
    for text in filled:
        if match := pattern.match(text):
            found = zip(names, match.groups(), strict=True)
            read = {name: _short(data, URIRef(v)) if _IRI.match(v) else v for name, v in found}
            values = {**read, **bindings}
            break
    return _TEMPLATE.sub(lambda m: values.get(m.group(1), m.group()), template)


def readable_report(conforms: bool, report: Graph, data: Graph, shapes: Graph) -> ValidationReport:
    """A `ValidationReport` from pySHACL's report graph, with labels from the data and messages from the shapes."""
    violations = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        path = report.value(result, SH.resultPath)
        source_shape = report.value(result, SH.sourceShape)
        value = report.value(result, SH.value)
        severity = report.value(result, SH.resultSeverity)
        fallback = preferred_text(report, result, SH.resultMessage, "en") or "constraint not satisfied"
        constraint = report.value(result, SH.sourceConstraint)
        said = (shapes, constraint if constraint is not None else source_shape, SH.message)
        bindings = {"this": _short(data, focus), "path": _short(data, path), "value": _short(data, value)}
        filled = [str(m) for m in report.objects(result, SH.resultMessage)] if constraint is not None else []
        violations.append(
            Violation(
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                focus=str(focus),
                focus_label=preferred_text(data, focus, SKOS.prefLabel, "fr"),
                path=_short(data, path) if isinstance(path, URIRef) else (str(path) if path else None),
                field=preferred_text(shapes, source_shape, SH.name, "en") if source_shape else None,
                value=_short(data, value),
                message=_filled(preferred_text(*said, "fr"), bindings, filled, data) or fallback,
                message_en=_filled(preferred_text(*said, "en"), bindings, filled, data) or fallback,
                shape=str(source_shape) if isinstance(source_shape, URIRef) else None,
            )
        )
    violations.sort(key=lambda v: (v.focus, v.path or "", v.message_en))
    return ValidationReport(conforms, violations, report)


def plain_validation(data: Graph, shapes: Graph) -> ValidationReport:
    """One pySHACL run over the whole graph (no inference: the data graph carries the ontology's subclass axioms)."""
    with known_prefixes_only(data):
        conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, **PYSHACL_OPTIONS)
        return readable_report(bool(conforms), report, data, shapes)
