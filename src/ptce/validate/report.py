"""SHACL reports in terms a maintainer can act on, and the one plain pySHACL run every strategy falls back on."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pyshacl
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from ptce.rdf.namespaces import SH, preferred_text

PYSHACL_OPTIONS = {"inference": "none", "allow_warnings": True}


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
        violations.append(
            Violation(
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                focus=str(focus),
                focus_label=preferred_text(data, focus, SKOS.prefLabel, "fr"),
                path=_short(data, path) if isinstance(path, URIRef) else (str(path) if path else None),
                field=preferred_text(shapes, source_shape, SH.name, "en") if source_shape else None,
                value=_short(data, value),
                message=preferred_text(shapes, source_shape, SH.message, "fr") or fallback,
                message_en=preferred_text(shapes, source_shape, SH.message, "en") or fallback,
                shape=str(source_shape) if isinstance(source_shape, URIRef) else None,
            )
        )
    violations.sort(key=lambda v: (v.focus, v.path or "", v.message_en))
    return ValidationReport(conforms, violations, report)


def plain_validation(data: Graph, shapes: Graph) -> ValidationReport:
    """One pySHACL run over the whole graph (no inference: the data graph carries the ontology's subclass axioms)."""
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, **PYSHACL_OPTIONS)
    return readable_report(bool(conforms), report, data, shapes)
