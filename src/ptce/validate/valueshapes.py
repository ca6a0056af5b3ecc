"""Shapes evaluated on value nodes (sh:node, sh:qualifiedValueShape) once per value node in a run.

pySHACL evaluates the shape a sh:node or sh:qualifiedValueShape names on each value node of each focus node, anew
every time, and builds a full result (message text included) whenever the value does not conform, even where the
caller throws it away. At 1M triples every resource names the source document with prov:wasDerivedFrom: shape
:provenance and shape:passage evaluate it against their value shapes 200,000 times each, with the same outcome.

A shape's outcome on one value node depends on the data graph only, which does not change during a run (no
inference, no rules), so it is remembered, per (shape, value node, depth of the evaluation path), for the rest of
the run:

- an outcome with no results (the value conforms) is used again wherever the shape is evaluated;
- a shape named only by sh:qualifiedValueShape has its failures remembered too: that constraint counts the
  values that conform and ignores the results of those that do not. A sh:node failure is never reused, since its
  results are nested (sh:detail) under each result of the caller, each time new.

The report is the one pySHACL gives without this: tests/validate/test_partition.py compares them, violations
through both kinds of value shape included.
"""

from __future__ import annotations

import pyshacl
from pyshacl.shape import Shape
from rdflib.term import Node

from ptce.rdf.namespaces import SH

# (shape node, value node, evaluation path depth) -> (conforms, results) of the run under way
_REMEMBERED: dict[tuple, tuple] = {}
_QUALIFIED_ONLY: set = set()


class RememberingShape(Shape):
    """A pySHACL shape that evaluates a value node once per run (see the module)."""

    __slots__ = ()

    def validate(self, executor, target_graph, focus=None, _evaluation_path=None):
        if not isinstance(focus, Node):  # the shape's own targets: a list of focus nodes
            return super().validate(executor, target_graph, focus=focus, _evaluation_path=_evaluation_path)
        key = (self.node, focus, len(_evaluation_path or ()))
        found = _REMEMBERED.get(key)
        if found is None:
            found = super().validate(executor, target_graph, focus=focus, _evaluation_path=_evaluation_path)
            conforms, results = found
            if (conforms and not results) or self.node in _QUALIFIED_ONLY:
                _REMEMBERED[key] = found
        return found


def remembering(shapes: pyshacl.ShapesGraph) -> None:
    """Make the shapes of `shapes` remember their outcomes on value nodes, from now to `forget()`."""
    graph = shapes.graph
    _QUALIFIED_ONLY.clear()
    for shape in shapes.shapes:
        referring = {p for _, p in graph.subject_predicates(shape.node)}
        if referring == {SH.qualifiedValueShape}:
            _QUALIFIED_ONLY.add(shape.node)
        shape.__class__ = RememberingShape


def forget() -> None:
    """End of a run: the outcomes remembered so far are dropped."""
    _REMEMBERED.clear()
    _QUALIFIED_ONLY.clear()
