"""A build's DCAT catalog against SEMIC's DCAT-AP SHACL shapes, installed apart from ptce (`ptce build --dcat-ap DIR`).

The shapes are SEMIC's to publish and are not shipped with ptce: `DIR` holds the release's `shapes.ttl` (what a
catalog must satisfy: a violation fails the build) and, optionally, `shapes_recommended.ttl` (what it should: the
build reports these as warnings). They are loaded as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyshacl
from rdflib import Graph
from rdflib.namespace import SH

from ptce.errors import PtceError

MANDATORY = "shapes.ttl"
RECOMMENDED = "shapes_recommended.ttl"


@dataclass(frozen=True, order=True)
class Finding:
    """One result of the shapes: severity ("Violation", "Warning", …), the node, the property, the shapes' words."""

    severity: str
    focus: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: <{self.focus}> {self.path or '(the node itself)'}: {self.message}"


class CatalogRefused(PtceError):
    """The catalog violates the DCAT-AP shapes; the previous build (if any) is left untouched."""

    def __init__(self, findings: list[Finding], shapes_dir: Path):
        self.findings = findings
        lines = "\n".join(f"  {f}" for f in findings)
        super().__init__(
            f"the DCAT catalog violates {len(findings)} rule(s) of the DCAT-AP shapes in {shapes_dir}:\n{lines}"
        )


def check_shapes_dir(shapes_dir: Path) -> None:
    """A PtceError saying what is missing when `shapes_dir` does not hold the DCAT-AP shapes."""
    if not (Path(shapes_dir) / MANDATORY).is_file():
        raise PtceError(f"{shapes_dir} has no {MANDATORY}: give the folder of a DCAT-AP release's SHACL shapes")


def findings(catalog: Graph, shapes_dir: Path) -> list[Finding]:
    """Every result of the mandatory shapes and, when present, the recommended ones, sorted."""
    check_shapes_dir(shapes_dir)
    found: set[Finding] = set()
    for name in (MANDATORY, RECOMMENDED):
        path = Path(shapes_dir) / name
        if not path.is_file():
            continue
        _, report, _ = pyshacl.validate(catalog, shacl_graph=Graph().parse(path), allow_warnings=True)
        for result in report.subjects(SH.resultSeverity, None):
            severity = str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1]
            found.add(
                Finding(
                    severity,
                    str(report.value(result, SH.focusNode)),
                    str(report.value(result, SH.resultPath) or ""),
                    str(report.value(result, SH.resultMessage) or ""),
                )
            )
    return sorted(found)


def check_catalog(catalog_file: Path, shapes_dir: Path) -> list[Finding]:
    """The catalog's findings below violations (warnings, notes); CatalogRefused when any is a violation."""
    found = findings(Graph().parse(catalog_file, format="turtle"), shapes_dir)
    violations = [f for f in found if f.severity == "Violation"]
    if violations:
        raise CatalogRefused(violations, shapes_dir)
    return found
