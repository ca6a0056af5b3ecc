"""Validate a large graph by partition: pySHACL on batches of focus nodes in worker processes, one merged report.

pySHACL's time grows faster than the graph (see bench/RESULTS.md). SHACL evaluates each (shape, focus node)
pair on its own, and every result names its focus node, so validating the focus nodes batch by batch (each
worker sees the whole graph, inherited by `fork`, and evaluates the shapes' targets that fall in its batch)
and taking the union of the results gives the report of one run over the whole graph. Partitioning applies
when every focus node is an IRI; otherwise one plain run is made. tests/validate/test_partition.py checks the
equivalence on the real data and on synthetic data with injected violations.

pySHACL evaluates a node shape's property shapes once per focus node, building their constraint components each
time; a property shape that has targets of its own is evaluated once for all its focus nodes. `hoist` rewrites
the shapes graph that way (same targets, copies of the property shapes) and the report names the original shapes
again, so the result is the same report for much less work (see bench/RESULTS.md).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path

import pyshacl
from pyshacl.graph_abstraction import DataGraph
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from ptce.forked import Forked
from ptce.rdf.namespaces import SH
from ptce.validate import sparql_constraints, valueshapes
from ptce.validate.report import (
    PYSHACL_OPTIONS,
    ValidationReport,
    known_prefixes_only,
    plain_validation,
    readable_report,
)

BATCH_SIZE = 8_000
IDLE_NICENESS = 19  # the lowest priority: a worker that only takes the CPU time others leave

# What a forked worker validates: graphs, targets by shape, hoisted copies (set by the parent before it forks).
_SHARED: dict = {}


def targets(data: Graph, shapes: Graph, within: set | None = None) -> dict:
    """The focus nodes of each shape's targets, by shape node (computed once, before the workers fork).

    With `within`, only those focus nodes, found in the part of `data` that decides the core targets for them
    (their own triples, the triples naming them as object, the rdfs:subClassOf axioms): the same sets as over
    the whole graph, cut to `within`, for the cost of that part. Shapes with other targets (sh:target) are
    evaluated over the whole graph."""
    scope = data
    if within is not None and (None, SH.target, None) not in shapes:
        scope = Graph()
        for node in within:
            scope += data.triples((node, None, None))
            scope += data.triples((None, None, node))
        scope += data.triples((None, RDFS.subClassOf, None))
    graph = DataGraph.from_rdflib(scope)
    found = {shape.node: frozenset(shape.focus_nodes(graph)) for shape in pyshacl.ShapesGraph(shapes).shapes}
    if within is None:
        return found
    return {shape: nodes & within for shape, nodes in found.items()}


TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


def hoist(shapes: Graph) -> tuple[Graph, dict]:
    """The shapes with property shapes moved up to their node shapes' targets, and the copies' original names.

    For each node shape S that has core targets only, is not deactivated and is not referenced by any triple
    (so no sh:node, sh:or, ... evaluates it on other value nodes), each `S sh:property P` is replaced by a copy
    P' of P's own triples carrying S's targets. P itself is left as it is for the shapes that still use it.
    Validating a focus node of S then gives the same results, with sh:sourceShape P' where it was P."""
    out = Graph()
    for triple in shapes:
        out.add(triple)
    originals: dict = {}
    referenced = set(shapes.objects())
    for node_shape in sorted(set(shapes.subjects(SH.property, None)), key=str):
        own = [(p, o) for p, o in shapes.predicate_objects(node_shape) if p in TARGETS]
        other = {p for p, _ in shapes.predicate_objects(node_shape) if str(p).startswith(str(SH) + "target")}
        if (
            not own
            or other - set(TARGETS)
            or node_shape in referenced
            or (node_shape, SH.deactivated, Literal(True)) in shapes
            or (node_shape, RDF.type, RDFS.Class) in shapes
        ):
            continue
        for n, prop in enumerate(sorted(shapes.objects(node_shape, SH.property), key=str)):
            copy = BNode() if isinstance(prop, BNode) else URIRef(f"{prop}--hoisted-{len(originals)}-{n}")
            originals[copy] = prop
            out.remove((node_shape, SH.property, prop))
            for p, o in shapes.predicate_objects(prop):
                out.add((copy, p, o))
            for p, o in own:
                out.add((copy, p, o))
    return out, originals


def batches(nodes: list, by_shape: dict, shapes: Graph, batch_size: int, workers: int = 1) -> list[list]:
    """`nodes` in batches, in order, after a first batch of those targeted by a shape with a SPARQL-based
    constraint (sh:sparql), if any: such a constraint queries the whole graph (shape:QuotedDocument, 12 s at 1M
    triples for its one node), and workers take batches in order, so the others are shared out while it runs
    instead of after it. Batches hold `batch_size` nodes at most, fewer when there are not that many per worker
    (the links of a build), so that every worker gets a share."""
    querying = set(shapes.subjects(SH.sparql, None))
    first = {n for shape in querying for n in by_shape.get(shape, ())} & set(nodes)
    rest = [n for n in nodes if n not in first]
    size = max(1, min(batch_size, -(-len(rest) // workers)))
    out = [sorted(first)] if first else []
    out += [rest[i : i + size] for i in range(0, len(rest), size)]
    return out or [[]]


def _validate_batch(batch: list[URIRef]) -> tuple[bool, list[tuple]]:
    """Validate the focus nodes of one batch against the shared graphs; the report's triples (picklable).

    The loop of pySHACL's `Validator.run`, with each shape's targets cut down to the batch (pySHACL's own
    `focus_nodes` option also filters the value nodes of nested shapes, which would hide their results), the
    value shapes evaluated once per value node (`valueshapes`) and the SPARQL-based constraints that allow it
    answered by Oxigraph (`sparql_constraints`)."""
    options = {**PYSHACL_OPTIONS, "inplace": True}
    validator = pyshacl.Validator(
        DataGraph.from_rdflib(_SHARED["data"]), shacl_graph=_SHARED["shapes"], options=options
    )
    executor = validator.make_executor()
    graph = validator.data_graph
    conforms, results = True, []
    valueshapes.remembering(validator.shacl_graph)
    try:
        with sparql_constraints.exact_queries():
            for shape in validator.shacl_graph.shapes:
                targeted = _SHARED["targets"].get(shape.node, frozenset())
                focus = [n for n in batch if n in targeted]
                if focus:
                    ok, found = shape.validate(executor, graph, focus=focus)
                    conforms = conforms and ok
                    results.extend(found)
    finally:
        valueshapes.forget()
    report, _ = validator.create_validation_report(validator.shacl_graph, conforms, results)
    return conforms, _unhoisted(report)


def _unhoisted(report: Graph) -> list[tuple]:
    """The report's triples with the hoisted copies named as the original shapes again.

    pySHACL copies a blank-node source shape into the report: the targets `hoist` gave a copy are left out
    (unless the original shape has them too)."""
    originals, shapes = _SHARED["originals"], _SHARED["original_shapes"]
    out = []
    for s, p, o in report:
        if s in originals and p in TARGETS and (originals[s], p, o) not in shapes:
            continue
        out.append((originals.get(s, s), p, originals.get(o, o)))
    return out


def merge_reports(parts: list[tuple[bool, list[tuple]]], shapes: Graph) -> tuple[bool, Graph]:
    """One SHACL validation report from the reports of the batches.

    Blank nodes of the shapes graph keep their identity; the others (reports, results) are renamed per batch,
    since forked workers draw the same blank node labels."""
    shape_bnodes = {t for triple in shapes for t in triple if isinstance(t, BNode)}
    merged = Graph()
    report = BNode()
    merged.add((report, RDF.type, SH.ValidationReport))
    conforms = all(ok for ok, _ in parts)
    merged.add((report, SH.conforms, Literal(conforms)))
    for _, triples in parts:
        renamed: dict[BNode, BNode] = {}

        def rename(term, renamed=renamed):
            if isinstance(term, BNode) and term not in shape_bnodes:
                return renamed.setdefault(term, BNode())
            return term

        reports = {s for s, p, o in triples if p == RDF.type and o == SH.ValidationReport}
        for s, p, o in triples:
            if s in reports:
                if p == SH.result:
                    merged.add((report, SH.result, rename(o)))
                continue
            merged.add((rename(s), p, rename(o)))
    return conforms, merged


def validate_partitioned(
    data: Graph, shapes: Graph, batch_size: int = BATCH_SIZE, workers: int | None = None, only: set | None = None
) -> ValidationReport:
    """Validate `data` in batches of focus nodes, on `workers` processes (default: the CPU count).

    With `only`, just those focus nodes are validated (against the whole of `data`): the report of a full run
    restricted to them, for a part added to a graph already validated. When a focus node is not an IRI, one
    plain run validates everything."""
    return start_partitioned(data, shapes, batch_size, workers, only).result()


class Validation:
    """A validation by partition, done or under way in forked worker processes; `result()` gives its report.

    Each worker (`ptce.forked.Forked`) takes batch numbers from one queue until it is empty, so the batches are
    shared out as they finish, and answers with its reports; it has its copy of the graphs from the fork, so the
    caller may go on changing `data` meanwhile."""

    def __init__(self, data: Graph, shapes: Graph, report: ValidationReport | None = None):
        self.data, self.shapes = data, shapes
        self._report = report
        self._links: ValidationReport | None = None
        self._workers: list[Forked] = []

    def add_links(self, links: Graph) -> None:
        """Add triples about new subjects (the co-theme links) to the data graph and validate those subjects in
        it: what a full run would report on them, without validating the data twice (`links_report()`)."""
        self.data += links
        self._links = validate_partitioned(self.data, self.shapes, only=set(links.subjects()))

    def links_report(self) -> ValidationReport | None:
        """The report on the subjects `add_links` added (None if it was not called)."""
        return self._links

    def _start(self, planned: list[list], workers: int, idle: int) -> None:
        tasks = multiprocessing.get_context("fork").SimpleQueue()
        niceness = [0] * workers + [IDLE_NICENESS] * idle
        self._workers = [Forked(_work, planned, tasks, n) for n in niceness]
        # after the workers start: a pipe holds 64 KiB, and nobody would read a longer queue put before them
        for number in [*range(len(planned)), *[None] * len(niceness)]:
            tasks.put(number)

    @property
    def ready(self) -> bool:
        """Whether the report is there without waiting (a small graph, validated in this process)."""
        return self._report is not None

    def result(self) -> ValidationReport:
        """The report, waiting for the workers; a worker's error is raised here."""
        if self._report is None:
            parts: dict[int, tuple] = {}
            try:
                for worker in self._workers:
                    parts.update(worker.wait())
            finally:
                self.close()
            with known_prefixes_only(self.data):
                self._report = _report_of([parts[n] for n in sorted(parts)], self.data, self.shapes)
        return self._report

    def close(self) -> None:
        """Stop the workers that are left (a build that fails elsewhere does not wait for them)."""
        for worker in self._workers:
            worker.close()
        self._workers = []


class Beside(Validation):
    """A validation of triples in a forked process that makes their rdflib graph itself, then validates it as
    `start_partitioned(..., beside=True)` does (its own workers); the caller keeps no graph.

    `add_links` hands the links' triples to it, in a file (a pipe would block the caller until that process reads
    them, once the data is validated): it then adds them to its graph and validates their subjects there;
    `result()` brings both reports back. That process waits for the links on a pipe whose only writer is the
    caller: if the caller dies before it sends them (killed by a signal, its `finally` clauses never run), the
    pipe closes and the process ends instead of waiting forever with the graph in memory."""

    def __init__(self, make_graph: Callable[[], Graph], shapes: Graph, workers: int):
        super().__init__(Graph(), shapes)
        self._links_file: str | None = None
        receiver, self._links_sender = multiprocessing.get_context("fork").Pipe(duplex=False)
        self._process = Forked(_beside, make_graph, shapes, workers, receiver, self._links_sender, forks=True)
        receiver.close()  # the child's end

    def add_links(self, links: Graph) -> None:
        with tempfile.NamedTemporaryFile("wb", prefix="ptce-links-", suffix=".pickle", delete=False) as f:
            self._links_file = f.name
            pickle.dump(list(links), f, protocol=pickle.HIGHEST_PROTOCOL)
        self._send(f.name)

    def _send(self, path: str | None) -> None:
        if self._links_sender.closed:
            raise RuntimeError("the links were sent already")
        with self._links_sender:
            self._links_sender.send(path)

    def result(self) -> ValidationReport:
        if self._report is None:
            if not self._links_sender.closed:
                self._send(None)
            try:
                self._report, self._links = self._process.wait()
            finally:
                self.close()
        return self._report

    def links_report(self) -> ValidationReport | None:
        self.result()
        return self._links

    def close(self) -> None:
        self._process.close()
        self._links_sender.close()
        if self._links_file is not None:
            Path(self._links_file).unlink(missing_ok=True)


def _beside(make_graph: Callable[[], Graph], shapes: Graph, workers: int, links, sender) -> tuple:
    """The forked process of `Beside`: (the data's report, the links' report or None). `close` kills its process
    group, its workers with it; a SIGTERM from elsewhere stops its own workers too; the caller's end closed before
    it sends the links (it died) ends it."""
    sender.close()  # its copy of the caller's end: the caller's, closed, must close the pipe
    signal.signal(signal.SIGTERM, _stopped)
    data = make_graph()
    validation = start_partitioned(data, shapes, workers=workers, beside=True)
    try:
        report = validation.result()
    finally:
        validation.close()
    try:
        path = links.recv()
    except EOFError:
        raise SystemExit("the build ended without sending the links or asking for the report") from None
    if path is None:
        return report, None
    with open(path, "rb") as f:
        found = pickle.load(f)
    validation = Validation(data, shapes, report)
    graph = Graph()
    graph += found
    validation.add_links(graph)
    return report, validation.links_report()


def _stopped(signum, frame):
    raise SystemExit(128 + signum)


def _report_of(parts: list[tuple[bool, list[tuple]]], data: Graph, shapes: Graph) -> ValidationReport:
    """The readable report of the batches' reports, in batch order."""
    conforms, report = merge_reports(parts, shapes)
    return readable_report(conforms, report, data, shapes)


def _work(planned: list[list], tasks, niceness: int = 0) -> dict[int, tuple]:
    """A worker: validate the batches whose numbers come from `tasks` until None; their reports by number."""
    if niceness:
        os.nice(niceness)
    done = {}
    while (number := tasks.get()) is not None:
        done[number] = _validate_batch(planned[number])
    return done


def start_partitioned(
    data: Graph,
    shapes: Graph,
    batch_size: int = BATCH_SIZE,
    workers: int | None = None,
    only: set | None = None,
    beside: bool = False,
) -> Validation:
    """`validate_partitioned` under way: the batches are validated by forked processes while the caller goes on,
    or in this process with one worker (done on return, as a plain run is).

    `beside`: the caller has work of its own meanwhile, on one core: even one worker is a forked process, and
    one more, at the lowest priority, takes batches with the CPU time the caller leaves (it waits on disk, or
    has finished); on 2 cores, with `workers=1`, a 1M-triple build took 60.7 s, against 63.6 s without it and
    67.8 s with two workers of equal priority (each step slowed by the third process)."""
    with known_prefixes_only(data):
        hoisted, originals = hoist(shapes)
        by_shape = targets(data, hoisted, None if only is None else set(only))
        nodes = set().union(*by_shape.values())
        if not all(isinstance(n, URIRef) for n in nodes):
            return Validation(data, shapes, plain_validation(data, shapes))
        nodes = sorted(nodes)
        workers = workers or os.cpu_count() or 1
        planned = batches(nodes, by_shape, hoisted, batch_size, workers)
        idle = 1 if beside and len(planned) > workers else 0
        workers = max(1, min(workers, len(planned)))
        _SHARED.update(data=data, shapes=hoisted, targets=by_shape, originals=originals, original_shapes=shapes)
        try:
            if workers == 1 and not beside:
                return Validation(data, shapes, _report_of([_validate_batch(b) for b in planned], data, shapes))
            validation = Validation(data, shapes)
            validation._start(planned, workers, idle)
            return validation
        finally:
            _SHARED.clear()
