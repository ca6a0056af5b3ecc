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

Since a qualified value shape's results are thrown away, they are not written either: while one is evaluated on a
value node, each result (and each result of the shapes it nests) is a stub that holds only what pySHACL reads of
it before throwing it away, its severity (with `allow_warnings`, a failure of an allowed severity conforms). At
1M triples every passage's two selectors are checked against both selector classes: 92,000 failures, each with
its message text written node by node, were a third of shape:Passage's time.

The report is the one pySHACL gives without this: tests/validate/test_partition.py compares them, violations
through both kinds of value shape included.
"""

from __future__ import annotations

import pyshacl
from pyshacl.constraints.constraint_component import ConstraintComponent
from pyshacl.shape import Shape
from rdflib import BNode
from rdflib.term import Node

from ptce.rdf.namespaces import SH

# (shape node, value node, evaluation path depth) -> (conforms, results) of the run under way
_REMEMBERED: dict[tuple, tuple] = {}
_QUALIFIED_ONLY: set = set()
_FULL_RESULT = ConstraintComponent.make_v_result
# how many evaluations of a qualified value shape are under way (nested ones included): results are stubs then
_DISCARDING = [0]


def _result_or_stub(self, datagraph, focus_node, *args, **kwargs):
    """pySHACL's result, or while a qualified value shape is evaluated a stub: (text, node, triples) with only
    the result's severity, which is all its caller reads before throwing it away."""
    if _DISCARDING[0]:
        node = BNode()
        return "", node, [(node, SH.resultSeverity, self.shape.severity)]
    return _FULL_RESULT(self, datagraph, focus_node, *args, **kwargs)


class RememberingShape(Shape):
    """A pySHACL shape that evaluates a value node once per run (see the module)."""

    __slots__ = ()

    def validate(self, executor, target_graph, focus=None, _evaluation_path=None):
        if not isinstance(focus, Node):  # the shape's own targets: a list of focus nodes
            return super().validate(executor, target_graph, focus=focus, _evaluation_path=_evaluation_path)
        key = (self.node, focus, len(_evaluation_path or ()))
        found = _REMEMBERED.get(key)
        if found is None:
            discarded = self.node in _QUALIFIED_ONLY
            _DISCARDING[0] += discarded
            try:
                found = super().validate(executor, target_graph, focus=focus, _evaluation_path=_evaluation_path)
            finally:
                _DISCARDING[0] -= discarded
            conforms, results = found
            if (conforms and not results) or self.node in _QUALIFIED_ONLY:
                _REMEMBERED[key] = found
        return found


def remembering(shapes: pyshacl.ShapesGraph) -> None:
    """Make the shapes of `shapes` remember their outcomes on value nodes, and the results of qualified value
    shapes stubs, from now to `forget()`."""
    graph = shapes.graph
    _QUALIFIED_ONLY.clear()
    ConstraintComponent.make_v_result = _result_or_stub
    for shape in shapes.shapes:
        referring = {p for _, p in graph.subject_predicates(shape.node)}
        if referring == {SH.qualifiedValueShape}:
            _QUALIFIED_ONLY.add(shape.node)
        shape.__class__ = RememberingShape


def forget() -> None:
    """End of a run: the outcomes remembered so far are dropped, results are pySHACL's again."""
    ConstraintComponent.make_v_result = _FULL_RESULT
    _DISCARDING[0] = 0
    _REMEMBERED.clear()
    _QUALIFIED_ONLY.clear()
