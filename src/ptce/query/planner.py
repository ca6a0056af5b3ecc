"""Rewrite a query so that the embedded engine evaluates it well, from what the build knows about its data.

Oxigraph 0.5 orders a basic graph pattern without statistics and runs it as nested loops, one index lookup per row
of the patterns before. A published build is immutable, and its VoID description counts exactly what it holds
(`ptce.build.metadata`): instances per class, triples per property, and triples per property whose subject is an
instance of each class. Rewrites follow from those counts and from the order of its IRIs; each gives the
same solutions on the data they describe, in the same order but for rows the query's ORDER BY leaves tied (SPARQL
leaves their order, and which of them a LIMIT keeps, to the engine):

1. **Implied types.** `?x a C` is dropped from a basic graph pattern that also holds `?x P ?y`, when every subject
   of P is an instance of C (C's partition of P holds all of P's triples). `organisation-types` at 1M triples:
   the join of 15,000 organisations with their types, 93 ms, becomes one pattern, 5 ms.
2. **Hash joins.** A basic graph pattern whose parts (its stars: the patterns on one subject) all give many rows,
   in numbers of the same order, is written as a join of sub-SELECTs, one per part, each projecting all its
   variables: Oxigraph evaluates that as a hash join, reading each part once, where its nested loops would look
   up every row of one part in the other (the join rows of `co-theme-pairs`: 4.3 s become 78 ms). Not inside
   OPTIONAL or MINUS, nor where a filter or VALUES binds variables to a few values: those are looked up faster.
3. **Sort keys.** Where a query orders by IRIs (`ORDER BY ?x`) or compares their texts (`STR(?a) < STR(?b)`),
   and the build ranks them (`ptce.store.sort_keys`: every subject of the default graph, in code-point order),
   it orders and compares their ranks, integers (compared ones only when read in the parts of a hash join, before
   the join; ordered ones after the block that binds them). The engine reads an IRI's
   text back from the store at every comparison: `co-theme-pairs` at 1M triples, 15 s as written, takes 0.8 s.
   Only for variables every solution binds to a subject (see `_sort_keys`); the rewritten text runs with the
   keys' graph in its dataset, which no other query gets.
4. **Groups first.** A grouped query whose patterns split into a side that binds every aggregated variable and
   an other side made of group keys only (labels of the groups, say) groups the first side in a sub-SELECT
   before it is joined (`_groups_first`): `themes-by-popularity` looks labels up for 32 groups instead of 2,945
   rows.

The same counts give an early verdict (`check_finishes`): a query whose WHERE group is only a join of patterns
sharing no variable, and that must go through all its rows (an aggregate, GROUP BY, ORDER BY), more than the
engine could within its time limit, is refused before it runs.

Only what the planner reads is rewritten: the triples blocks of the query's groups (OPTIONAL, MINUS, UNION,
sub-SELECTs), made of variables, absolute IRIs, prefixed names and literals. A block with a blank node, a
collection or a property path, anything inside GRAPH, SERVICE or EXISTS, a query with relative IRIs or BASE (the
engine resolves them by RFC 3986, which the planner does not repeat), one longer than MAX_TOKENS, and one with a
dataset of its own (FROM, FROM NAMED, the protocol's graphs: the counts describe the default graph) are left as
written. The rewrite never changes
where a user's error is reported: the endpoint runs the text as written when the rewritten one is refused.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, VOID

from ptce.build_folder import SORT_KEYS, VOID_FILE, BuildInfo
from ptce.errors import PtceError
from ptce.query.guard import Token, expand_name, is_absolute, prologue, tokenize
from ptce.query.runner import QueryJob, QueryOutput, QueryRejected
from ptce.rdf.namespaces import Iris

RDF_TYPE = str(RDF.type)
# Parts smaller than this are looked up faster than they are read whole; parts of more differing sizes, too (the
# small part's rows looked up in the large one cost less than reading the large one). In bench/bench_join_forms.py
# a lookup costs about 10 times what reading a row does (`organisation-types`: 93 ms for 15,000 lookups, 18 ms to
# read its two patterns' 30,000 rows).
MIN_HASH_ROWS = 1000
MAX_HASH_RATIO = 3.0
_MANY = 1e18  # an estimate past any store's size
# What an IRI token holding a piece of an expression has, and the IRIs of queries do not: the tokenizer reads
# `<` as an IRI's start wherever an IRI may end before a space, where the engine reads a comparison after an
# operand, so the variables and operators between a `<` and a `>` would escape the planner's reading.
_EXPRESSION_IN_IRI = re.compile(r"[?$()&|=!,+*]")
# Longest query the planner reads, in tokens: real queries are far shorter, and the planner's time and memory stay
# bounded on whatever the endpoint is sent (a request holds at most 64 KiB). Longer ones run as written.
MAX_TOKENS = 4000


@dataclass(frozen=True, eq=False)
class Statistics:
    """What a build's VoID description counts: `entities` per class, `triples` per property, `class_triples` per
    (class, property): the property's triples whose subject is an instance of the class, and the `total`. Equal
    only to itself (and hashed so): the plans of `run_planned` are kept per statistics."""

    entities: dict[str, int] = field(default_factory=dict)
    triples: dict[str, int] = field(default_factory=dict)
    class_triples: dict[tuple[str, str], int] = field(default_factory=dict)
    total: int = 0  # the triples of the default graph
    # (graph, property) of the build's sort keys, which rank every subject of the default graph (None: it has none)
    sort_keys: tuple[str, str] | None = None

    @classmethod
    def from_void(cls, void: Graph, dataset: URIRef) -> Statistics:
        """The counts of `dataset`'s class and property partitions in a VoID graph."""
        entities, triples, class_triples = {}, {}, {}
        for part in void.objects(dataset, VOID.classPartition):
            klass = str(void.value(part, VOID["class"]))
            entities[klass] = int(void.value(part, VOID.entities))
            for nested in void.objects(part, VOID.propertyPartition):
                class_triples[klass, str(void.value(nested, VOID.property))] = int(void.value(nested, VOID.triples))
        for part in void.objects(dataset, VOID.propertyPartition):
            triples[str(void.value(part, VOID.property))] = int(void.value(part, VOID.triples))
        return cls(entities, triples, class_triples, int(void.value(dataset, VOID.triples, default=0)))

    @classmethod
    def of_build(cls, folder: Path, dataset: URIRef) -> Statistics | None:
        """The statistics of a build folder's VoID description (None when it has none), and its sort keys."""
        path = Path(folder) / VOID_FILE
        if not path.is_file():
            return None
        stats = cls.from_void(Graph().parse(path, format="turtle"), dataset)
        if not (Path(folder) / SORT_KEYS).is_file():
            return stats
        iris = Iris(BuildInfo.read(Path(folder)).base_iri)
        return replace(stats, sort_keys=(str(iris.sort_keys_graph), str(iris.sort_key)))

    def classes_of_subjects(self, prop: str) -> frozenset[str]:
        """The classes every subject of `prop` is an instance of (their partitions hold all its triples)."""
        return self._implied.get(prop, frozenset())

    @cached_property
    def _implied(self) -> dict[str, frozenset[str]]:
        implied: dict[str, set[str]] = {}
        for (klass, prop), n in self.class_triples.items():
            if n > 0 and n == self.triples.get(prop):
                implied.setdefault(prop, set()).add(klass)
        return {prop: frozenset(classes) for prop, classes in implied.items()}


class _Unplannable(Exception):
    """The text holds something the planner does not read: it is left as written."""


@dataclass
class _Pattern:
    """One triple pattern of a block: its three terms as written (`text`), and what they stand for."""

    text: tuple[str, str, str]
    subject: str | None  # the variable's name, or None for a constant
    predicate: str | None  # the IRI, or None for a variable
    object_var: str | None
    object_iri: str | None
    variables: tuple[str, ...]

    @property
    def is_type(self) -> bool:
        return self.predicate == RDF_TYPE and self.object_iri is not None

    def written(self) -> str:
        return " ".join(self.text) + " ."


@dataclass
class _Block:
    """A triples block: tokens [start, end) of the text, and its patterns."""

    start: int
    end: int
    patterns: list[_Pattern]
    lookups: bool  # best looked up row by row: inside OPTIONAL or MINUS (the engine looks their right side up
    # from the left side's rows), or in a group whose filters or VALUES bind variables (see `_Reader.bind_blocks`)


class _Reader:
    """Reads the groups of a query's tokens, collecting the triples blocks the planner may rewrite."""

    def __init__(self, text: str, tokens: list[Token], prefixes: dict[str, str]):
        self.text, self.tokens, self.prefixes = text, tokens, prefixes
        self.blocks: list[_Block] = []
        self.optional = 0  # how many OPTIONAL or MINUS groups the reader is in
        self.depth = 0  # how many groups the reader is in
        # the WHERE group's own blocks, and whether it holds nothing else
        self.top_blocks: list[_Block] = []
        self.top_plain = True
        self.top_filters: list[tuple[int, int]] = []  # the WHERE group's own filters: their tokens [start, end)

    def at(self, i: int) -> Token:
        if i >= len(self.tokens):
            raise _Unplannable("the text ends early")
        return self.tokens[i]

    def is_punct(self, i: int, *texts: str) -> bool:
        return i < len(self.tokens) and self.tokens[i].kind == "punct" and self.tokens[i].text in texts

    def is_word(self, i: int, *words: str) -> bool:
        return i < len(self.tokens) and self.tokens[i].is_word(*words)

    def is_a(self, i: int) -> bool:
        """Whether the token at `i` is the keyword `a` (rdf:type), which is written in lower case only."""
        return i < len(self.tokens) and self.tokens[i].kind == "word" and self.tokens[i].text == "a"

    def skip_balanced(self, i: int) -> int:
        """The index after the bracket that closes the one at `i`."""
        opening = self.at(i).text
        if opening not in ("(", "{", "["):
            raise _Unplannable(f"a bracket was expected, not {opening}")
        depth = 0
        for j in range(i, len(self.tokens)):
            t = self.tokens[j]
            if t.kind == "punct" and t.text in ("(", "{", "["):
                depth += 1
            elif t.kind == "punct" and t.text in (")", "}", "]"):
                depth -= 1
                if depth == 0:
                    return j + 1
        raise _Unplannable("a bracket is not closed")

    def group(self, i: int) -> int:
        """Read the group opened at `i` (a `{`); returns the index after its `}`."""
        if not self.is_punct(i, "{"):
            raise _Unplannable("a group was expected")
        self.depth += 1
        try:
            return self._group(i + 1, top=self.depth == 1)
        finally:
            self.depth -= 1

    def _group(self, i: int, top: bool) -> int:
        """Read a group's elements from `i` (after its `{`); `top`: it is the WHERE group."""
        if self.is_word(i, "SELECT"):
            self.top_plain = self.top_plain and not top
            return self.subselect(i)
        first_block, binding = len(self.blocks), False
        while not self.is_punct(i, "}"):
            t, start = self.at(i), i
            plain = False  # a triples block or a `.`
            if self.is_punct(i, "{"):
                i = self.group(i)
                while self.is_word(i, "UNION"):
                    i = self.group(i + 1)
            elif t.is_word("OPTIONAL", "MINUS"):
                self.optional += 1
                i = self.group(i + 1)
                self.optional -= 1
            elif t.is_word("GRAPH"):  # another graph than the one the counts describe
                i = self.skip_balanced(i + 2)
            elif t.is_word("SERVICE"):
                i = self.skip_balanced(i + (3 if self.is_word(i + 1, "SILENT") else 2))
            elif t.is_word("FILTER"):
                i = self.constraint(i + 1)
                binding = binding or any(self.binds(j) for j in range(start, i))
                if top:
                    self.top_filters.append((start + 1, i))
            elif t.is_word("BIND"):
                i = self.skip_balanced(i + 1)
            elif t.is_word("VALUES"):
                i = self.skip_balanced(i + 1) if self.is_punct(i + 1, "(") else i + 2
                i, binding = self.skip_balanced(i), True
            elif self.is_punct(i, "."):
                i, plain = i + 1, True
            else:
                i, plain = self.triples_block(i), True
                if top:
                    self.top_blocks.append(self.blocks[-1])
            self.top_plain = self.top_plain and (plain or not top)
        if binding:
            self.bind_blocks(first_block)
        return i + 1

    def binds(self, i: int) -> bool:
        """Whether the filter token at `i` binds a variable to a value: `?x = v`, `v = ?x`, `?x IN (...)`,
        `sameTerm(?x, v)`."""
        kinds = [t.kind for t in self.tokens[max(i - 1, 0) : i + 5]]
        constants = ("iri", "pname", "string", "number")
        if self.is_word(i, "IN"):
            return kinds[0] == "var"
        if self.is_punct(i, "=") and i > 0 and len(kinds) > 2:
            sides = (kinds[0], kinds[2])
        elif self.is_word(i, "SAMETERM") and len(kinds) == 6:
            sides = (kinds[3], kinds[5])
        else:
            return False
        return sides.count("var") == 1 and any(kind in constants for kind in sides)

    def bind_blocks(self, first: int) -> None:
        """Mark the blocks from `first` on as in a group whose filters or VALUES bind variables to a few values:
        the engine looks those up, where a hash join would read every part whole."""
        for block in self.blocks[first:]:
            block.lookups = True

    def subselect(self, i: int) -> int:
        """Read a sub-SELECT from its SELECT keyword at `i`; returns the index after the `}` that closes it."""
        while not self.is_punct(i, "{"):
            self.at(i)  # the text may end first
            i = self.skip_balanced(i) if self.is_punct(i, "(") else i + 1
        i = self.group(i)
        while not self.is_punct(i, "}"):  # its solution modifiers
            self.at(i)
            i = self.skip_balanced(i) if self.is_punct(i, "(", "{") else i + 1
        return i + 1

    def constraint(self, i: int) -> int:
        """Skip a FILTER's constraint starting at `i` (EXISTS groups are not rewritten)."""
        if self.is_word(i, "NOT"):
            i += 1
        if self.is_word(i, "EXISTS"):
            return self.skip_balanced(i + 1)
        if not self.is_punct(i, "("):
            i += 1  # a function's name
        return self.skip_balanced(i)

    def term(self, i: int, position: str) -> tuple[int, str | None, str | None]:
        """Read a term at `i`: (index after it, variable name, IRI); literals are neither."""
        t = self.at(i)
        if t.kind == "var":
            return i + 1, t.text[1:], None
        if t.kind in ("iri", "pname"):
            iri = expand_name(t, self.prefixes, None)
            if iri is None:
                raise _Unplannable(f"unknown prefix in {t.text}")
            return i + 1, None, iri
        if position == "object":
            if t.kind == "string":
                if self.is_punct(i + 1, "^^"):
                    return self.term(i + 2, "datatype")[0], None, None
                return i + (2 if self.at(i + 1).kind == "lang" else 1), None, None
            if t.kind == "number" or t.is_word("true", "false"):
                return i + 1, None, None
        raise _Unplannable(f"the planner does not read {t.text!r} as a {position}")

    def triples_block(self, i: int) -> int:
        """Read a triples block from `i`; returns the index after it (after its last `.`)."""
        start, patterns = i, []
        while True:
            after, subject, _ = self.term(i, "subject")
            s_text = self.text[self.tokens[i].start : self.tokens[after - 1].end]
            i = after
            while True:  # predicate-object list
                if self.is_a(i):
                    verb_text, predicate, verb_var, i = "a", RDF_TYPE, None, i + 1
                else:
                    after, verb_var, predicate = self.term(i, "predicate")
                    verb_text, i = self.tokens[i].text, after
                if self.is_punct(i, "/", "|", "*", "+", "?", "^"):
                    raise _Unplannable("a property path")
                while True:  # object list
                    after, object_var, object_iri = self.term(i, "object")
                    o_text = self.text[self.tokens[i].start : self.tokens[after - 1].end]
                    names = tuple(v for v in (subject, verb_var, object_var) if v is not None)
                    patterns.append(_Pattern((s_text, verb_text, o_text), subject, predicate, object_var,
                                             object_iri, names))  # fmt: skip
                    i = after
                    if not self.is_punct(i, ","):
                        break
                    i += 1
                if not self.is_punct(i, ";"):
                    break
                while self.is_punct(i, ";"):
                    i += 1
                if self.is_punct(i, ".", "}") or (self.at(i).kind == "word" and not self.is_a(i)):
                    break  # a trailing `;`
            if not self.is_punct(i, "."):
                break
            i += 1
            if self.at(i).kind not in ("var", "iri", "pname"):
                break
        self.blocks.append(_Block(start, i, patterns, self.optional > 0))
        return i


def _pattern_rows(pattern: _Pattern, stats: Statistics) -> int | None:
    """How many rows a pattern alone gives, when the counts say (None: it has a constant subject or object, or a
    variable predicate, and gives few rows or an unknown number)."""
    if pattern.subject is None or pattern.predicate is None:
        return None
    if pattern.is_type:
        return stats.entities.get(pattern.object_iri, 0)
    if pattern.object_var is None:
        return None
    return stats.triples.get(pattern.predicate, 0)


@dataclass
class _Part:
    patterns: list[_Pattern]
    rows: int | None


def _star_rows(star: list[_Pattern], stats: Statistics) -> int | None:
    """Rows of the patterns on one subject: for an instance of its (smallest) class, the class's share of each
    property's triples; for an untyped star, its smallest pattern's."""
    rows = [_pattern_rows(p, stats) for p in star]
    if any(r is None for r in rows):
        return None
    types = [p for p in star if p.is_type]
    if not types:
        return min(rows)
    klass = min(types, key=lambda p: stats.entities.get(p.object_iri, 0)).object_iri
    entities = stats.entities.get(klass, 0)
    estimate = float(entities)
    for p in star:
        if not p.is_type and entities:
            estimate = min(estimate * stats.class_triples.get((klass, p.predicate), 0) / entities, _MANY)
    return round(estimate)


def _parts(patterns: list[_Pattern], stats: Statistics) -> list[_Part]:
    """The stars of a block; a star whose patterns all give many rows is split, one part per pattern."""
    parts = []
    for star in _by_subject(patterns):
        subject, rows = star[0].subject, [_pattern_rows(p, stats) for p in star]
        if subject is not None and len(star) > 1 and all(r is not None and r >= MIN_HASH_ROWS for r in rows):
            parts += [_Part([p], r) for p, r in zip(star, rows, strict=True)]
        else:
            parts.append(_Part(star, None if subject is None else _star_rows(star, stats)))
    return parts


def _hash_join(parts: list[_Part]) -> bool:
    """Whether a join of the parts is best read part by part: they all give many rows, of the same order."""
    rows = [p.rows for p in parts]
    if len(parts) < 2 or any(r is None or r < MIN_HASH_ROWS for r in rows):
        return False
    return max(rows) <= MAX_HASH_RATIO * min(rows)


def _implied_types(patterns: list[_Pattern], stats: Statistics) -> set[tuple[str, str]]:
    """The (subject, class) pairs that the block's other patterns imply: every subject of one of their properties
    is an instance of the class."""
    implied = set()
    for q in patterns:
        if q.subject is not None and q.predicate not in (None, RDF_TYPE):
            implied |= {(q.subject, klass) for klass in stats.classes_of_subjects(q.predicate)}
    return implied


def _block_plan(block: _Block, stats: Statistics) -> tuple[list[_Pattern], list[_Part], bool]:
    """The block's patterns but the implied types, its parts, and whether they are best joined as sub-SELECTs."""
    implied = _implied_types(block.patterns, stats)
    kept = [p for p in block.patterns if not (p.is_type and (p.subject, p.object_iri) in implied)]
    parts = _parts(kept, stats)
    return kept, parts, not block.lookups and _hash_join(parts)


def _rewrite(block: _Block, stats: Statistics, keys: dict[str, str] | None = None) -> str | None:
    """The block rewritten, or None when it is best as written. `keys`: the subjects whose sort keys it reads,
    and their keys' variables (`_SortKeys`)."""
    keys = keys or {}
    kept, parts, hash_joined = _block_plan(block, stats)
    if hash_joined:
        # each key read in the smallest part that holds its subject, before the parts are joined
        owner = {v: min((p for p in parts if any(q.subject == v for q in p.patterns)), key=lambda p: p.rows)
                 for v in keys}  # fmt: skip
        written = []
        for part in parts:
            part_keys = [v for v in keys if owner[v] is part]
            names = dict.fromkeys([*(v for p in part.patterns for v in p.variables), *(keys[v] for v in part_keys)])
            inner = " ".join([*(p.written() for p in part.patterns),
                              *(_key_pattern(v, keys[v], stats) for v in part_keys)])  # fmt: skip
            written.append(f"{{ SELECT {' '.join('?' + v for v in names)} WHERE {{ {inner} }} }}")
        return " ".join(written)
    if len(kept) == len(block.patterns) and not keys:
        return None
    return " ".join([*(p.written() for p in kept), *(_key_pattern(v, k, stats) for v, k in keys.items())])


def _key_pattern(subject: str, key: str, stats: Statistics) -> str:
    """The pattern that reads a subject's sort key into the variable `key`."""
    graph, prop = stats.sort_keys
    return f"GRAPH <{graph}> {{ ?{subject} <{prop}> ?{key} }}"


_AGGREGATES = ("COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT")
_CLAUSES = ("GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "VALUES")
_COMPARISONS = ("<", ">", "<=", ">=")
# What may stand on either side of a comparison the planner rewrites: nothing that binds tighter than it does.
_AROUND_COMPARISON = ("(", ")", "&&", "||", ",")


@dataclass
class _SortKeys:
    """How a query reads the build's sort keys: each keyed variable's key variable, the block each key is read in
    (by the block's index in the reader), and the edits of the text outside its blocks (character spans, text)."""

    blocks: dict[int, dict[str, str]]
    edits: list[tuple[int, int, str]]


def _sort_keys(read: _Read, stats: Statistics) -> _SortKeys | None:
    """Where a SELECT orders or compares IRIs by their sort keys (the third rewrite): None when it does nowhere.

    A variable is keyed when it is the subject of a pattern of the WHERE group's own blocks (every solution binds
    it to a subject of the default graph, an IRI the keys rank, and no other group can bind it otherwise) and
    is compared by its text, `STR(?a) < STR(?b)`, in one of the group's filters (not one with EXISTS, and only
    when both are subjects of hash-joined blocks), or is an ORDER BY key of its own
    (`?x`, `ASC(?x)`, `DESC(?x)`) of a query that does not group; or of one that does, when it is also a GROUP BY
    key and compared. Not with `SELECT *` (the key would be a column) nor where the text names graphs of its own
    (GRAPH, SERVICE): the keys' graph is among the named graphs of the query's dataset."""
    tokens, reader = read.tokens, read.reader
    if stats.sort_keys is None or not tokens[read.form].is_word("SELECT"):
        return None
    if any(t.is_word("GRAPH", "SERVICE") for t in tokens) or _star(tokens[read.form + 1 : read.where]):
        return None
    subjects: dict[str, int] = {}  # keyable variable: the first block that holds it as a subject
    for block in reader.top_blocks:
        index = reader.blocks.index(block)
        for p in block.patterns:
            if p.subject is not None:
                subjects.setdefault(p.subject, index)
    try:
        clauses = _clauses(reader, read.end)
    except _Unplannable:
        return None
    modifiers = tokens[read.form : read.where] + tokens[read.end :]
    grouped = "GROUP" in clauses or any(t.is_word(*_AGGREGATES) for t in modifiers)
    group_keys = {tokens[s].text[1:] for s, e in clauses.get("GROUP", []) if e == s + 1 and tokens[s].kind == "var"}
    compared = [j for s, e in reader.top_filters if not any(t.is_word("EXISTS") for t in tokens[s:e])
                for j in range(s + 1, e - 9) if _text_comparison(reader, j)]  # fmt: skip
    # only where the keys are read in the parts of a hash join: appended to a block looked up row by row, they
    # would keep the engine from applying the comparison as soon as both IRIs are bound
    joined = {i for i, block in enumerate(reader.blocks) if _block_plan(block, stats)[2]}
    compared = [j for j in compared if all(subjects.get(tokens[j + k].text[1:]) in joined for k in (2, 7))]
    # A grouped query sorts its groups, often few, while a key is read for every row before the grouping: only
    # the keys the comparisons read anyway order it.
    orderable = {tokens[j + k].text[1:] for j in compared for k in (2, 7)} & group_keys if grouped else subjects
    ordered = []  # the ORDER BY variables to replace by their keys: token indexes
    for s, e in clauses.get("ORDER", []):
        j = s if e == s + 1 else s + 2 if e == s + 4 and tokens[s].is_word("ASC", "DESC") else None
        if j is not None and tokens[j].kind == "var" and tokens[j].text[1:] in orderable:
            ordered.append(j)
    if not ordered and not compared:
        return None
    keyed = dict.fromkeys([*(tokens[j].text[1:] for j in ordered),
                           *(tokens[j + k].text[1:] for j in compared for k in (2, 7))])  # fmt: skip
    used = {t.text[1:] for t in tokens if t.kind == "var"}
    names = {}
    for name in keyed:
        key, n = f"{name}_rank", 1
        while key in used or key in read.reader.text:  # nowhere in the text, whatever the tokens made of it
            n += 1
            key = f"{name}_rank{n}"
        used.add(key)
        names[name] = key
    edits = [(tokens[j].start, tokens[j].end, "?" + names[tokens[j].text[1:]]) for j in ordered]
    edits += [(tokens[j].start, tokens[j + 8].end,
               f"?{names[tokens[j + 2].text[1:]]} {tokens[j + 4].text} ?{names[tokens[j + 7].text[1:]]}")
              for j in compared]  # fmt: skip
    if grouped and ordered:  # the keys are group keys too: each depends on its IRI alone, so the groups stay
        at = tokens[clauses["GROUP"][-1][1] - 1].end
        edits.append((at, at, "".join(f" ?{names[n]}" for n in dict.fromkeys(tokens[j].text[1:] for j in ordered))))
    blocks: dict[int, dict[str, str]] = {}
    for name in keyed:
        blocks.setdefault(subjects[name], {})[name] = names[name]
    return _SortKeys(blocks, edits)


def _star(projection: list[Token]) -> bool:
    """Whether a SELECT's projection is `*`."""
    depth = 0
    for t in projection:
        if t.kind == "punct":
            depth += t.text == "("
            depth -= t.text == ")"
            if t.text == "*" and depth == 0:
                return True
    return False


def _text_comparison(reader: _Reader, j: int) -> bool:
    """Whether tokens from `j` compare two variables' texts, `STR(?a) < STR(?b)`, and nothing binds tighter."""

    def str_of_var(i: int) -> bool:
        is_var = i + 2 < len(reader.tokens) and reader.tokens[i + 2].kind == "var"
        return reader.is_word(i, "STR") and reader.is_punct(i + 1, "(") and is_var and reader.is_punct(i + 3, ")")

    around = reader.is_punct(j - 1, *_AROUND_COMPARISON) and reader.is_punct(j + 9, *_AROUND_COMPARISON)
    return around and str_of_var(j) and reader.is_punct(j + 4, *_COMPARISONS) and str_of_var(j + 5)


def _clauses(reader: _Reader, i: int) -> dict[str, list[tuple[int, int]]]:
    """The solution modifiers of the outermost query from `i` (after its WHERE group): GROUP BY, HAVING and ORDER
    BY with their conditions' token spans, up to a trailing VALUES."""
    clauses: dict[str, list[tuple[int, int]]] = {}
    while i < len(reader.tokens) and not reader.is_word(i, "VALUES"):
        if reader.is_word(i, "GROUP", "ORDER") and reader.is_word(i + 1, "BY"):
            name, i = reader.at(i).text.upper(), i + 2
        elif reader.is_word(i, "HAVING"):
            name, i = "HAVING", i + 1
        elif reader.is_word(i, "LIMIT", "OFFSET"):
            i += 2
            continue
        else:
            raise _Unplannable(f"the planner does not read {reader.at(i).text!r} after the WHERE group")
        conditions = clauses.setdefault(name, [])
        while i < len(reader.tokens) and not reader.is_word(i, *_CLAUSES):
            start, t = i, reader.at(i)
            if t.kind == "var":
                i += 1
            elif reader.is_punct(i, "("):
                i = reader.skip_balanced(i)
            elif t.kind in ("word", "iri", "pname") and reader.is_punct(i + 1, "("):
                i = reader.skip_balanced(i + 1)
            else:
                raise _Unplannable(f"the planner does not read {t.text!r} as a condition")
            conditions.append((start, i))
    return clauses


@dataclass
class _Read:
    """A query text as the planner read it: its tokens, the reader, and where its form and WHERE group are."""

    tokens: list[Token]
    reader: _Reader
    form: int
    where: int
    end: int  # the index after the WHERE group


def _read(text: str, prefixes: dict[str, str]) -> _Read | None:
    """Read a query text (None: it has no WHERE group the planner may rewrite, holds what it does not read, or is
    longer than MAX_TOKENS)."""
    tokens = tokenize(text)
    if len(tokens) > MAX_TOKENS:
        return None
    if any(t.is_word("BASE") or (t.kind == "iri" and not is_absolute(t.text[1:-1])) for t in tokens):
        return None  # relative IRIs: the engine resolves them by its own rules, which the planner does not repeat
    if any(t.kind == "iri" and _EXPRESSION_IN_IRI.search(t.text) for t in tokens):
        return None  # `FILTER(?a<x:y&&?b>?c)`: one IRI to the tokenizer, two comparisons to the engine
    start, known, _base = prologue(tokens, prefixes)
    reader = _Reader(text, tokens, known)
    try:
        where = _where(reader, start)
        if where is None:
            return None
        end = reader.group(where)
    except _Unplannable:
        return None
    if any(t.is_word("VALUES") for t in tokens[end:]):  # the query's own VALUES, after its WHERE group
        reader.bind_blocks(0)
        reader.top_plain = False
    return _Read(tokens, reader, start, where, end)


def plan(text: str, prefixes: dict[str, str], stats: Statistics | None) -> str:
    """The engine text `text` rewritten to evaluate well on the data `stats` counts (see the module docstring), or
    `text` itself when nothing is to gain or the planner does not read it all. `prefixes`: those the engine
    predeclares."""
    return planned(text, prefixes, stats)[0]


def planned(text: str, prefixes: dict[str, str], stats: Statistics | None) -> tuple[str, bool]:
    """`plan`'s text, and whether it reads the build's sort keys: then it runs with them among the named graphs
    of its dataset (`QueryJob.sort_keys`)."""
    read = None if stats is None else _read(text, prefixes)
    return (text, False) if read is None else _planned(read, text, stats)


def _planned(read: _Read, text: str, stats: Statistics) -> tuple[str, bool]:
    """The text rewritten, and whether it reads the build's sort keys."""
    keys = _sort_keys(read, stats)
    edits = list(keys.edits) if keys else []
    for index, block in enumerate(read.reader.blocks):
        rewritten = _rewrite(block, stats, keys.blocks.get(index) if keys else None)
        if rewritten is not None:
            edits.append((read.tokens[block.start].start, read.tokens[block.end - 1].end, rewritten))
    if not edits:
        grouped = _groups_first(read, text, stats)
        if grouped is None:
            return text, False
        edits = [grouped]
    parts, at = [], 0
    for start, end, new in sorted(edits):
        parts += [text[at:start], new]
        at = end
    return "".join([*parts, text[at:]]), keys is not None


# Aggregates whose value over a group's rows is the same when each row comes once more with the same other side:
# the groups the rewrite below makes have exactly one row of the other side (GROUP_CONCAT's order could change).
_GROUPABLE = tuple(a for a in _AGGREGATES if a != "GROUP_CONCAT")
# The most rows the other side may have, as a multiple of the grouped side's: a hash join reads it whole.
MAX_OTHER_SIDE_RATIO = 10.0


def _groups_first(read: _Read, text: str, stats: Statistics) -> tuple[int, int, str] | None:
    """The fourth rewrite, groups before joins (eager aggregation): an edit of the text, or None.

    `SELECT ?theme ?label (COUNT(DISTINCT ?p) AS ?n) { ?p a ptce:PTCE ; dcterms:subject ?theme . ?theme
    skos:prefLabel ?label FILTER(lang(?label) = "fr") } GROUP BY ?theme ?label` groups the 2,945 rows of the PTCEs'
    themes first, then looks the labels up for the 32 groups (31 ms become 5 ms at 1M triples, in-process). The
    patterns whose variables are all group keys (the labels) form the other side; the rest, which binds every
    aggregated variable and at least one group key, is grouped by its group keys in a sub-SELECT (unless the
    other side has a pattern on a subject of the first, which narrows its rows). Each row of the
    other side holds only group keys, so a group of the query has one row of it and the rows of one group of the
    sub-SELECT: every aggregate but GROUP_CONCAT is the same. Only for a WHERE group of triples and filters (each
    filter on one side's variables), GROUP BY of variables, aggregates of a variable or `*` as projection items,
    no HAVING, and an ORDER BY without aggregates, when the other side is at most MAX_OTHER_SIDE_RATIO times the size
    of the grouped one."""
    tokens, reader = read.tokens, read.reader
    if not tokens[read.form].is_word("SELECT") or len(reader.top_blocks) == 0:
        return None
    try:
        clauses = _clauses(reader, read.end)
    except _Unplannable:
        return None
    groups = clauses.get("GROUP", [])
    if not groups or set(clauses) - {"GROUP", "ORDER"} or any(t.is_word("VALUES") for t in tokens[read.end :]):
        return None
    if any(e != s + 1 or tokens[s].kind != "var" for s, e in groups):
        return None
    keys = {tokens[s].text[1:] for s, _e in groups}
    for s, e in clauses.get("ORDER", []):
        if any(t.is_word(*_AGGREGATES) for t in tokens[s:e]):
            return None
    # the WHERE group: its blocks, its filters, and `.` between them, nothing else
    covered = {i for b in reader.top_blocks for i in range(b.start, b.end)}
    covered |= {i for s, e in reader.top_filters for i in range(s - 1, e)}
    if any(i not in covered and not reader.is_punct(i, ".") for i in range(read.where + 1, read.end - 1)):
        return None
    projection = _projection(reader, read.form + 1, read.where)
    if projection is None:
        return None
    modifier, items = projection
    patterns = [p for b in reader.top_blocks for p in b.patterns]
    other = [p for p in patterns if set(p.variables) <= keys]
    grouped = [p for p in patterns if not set(p.variables) <= keys]
    bound = {v for p in grouped for v in p.variables}
    aggregated = {name for kind, name, _alias, _text in items if kind == "aggregate" and name is not None}
    inner_keys = [v for v in dict.fromkeys(tokens[s].text[1:] for s, _e in groups) if v in bound]
    plain = {name for kind, name, _alias, _text in items if kind == "var"}
    other_bound = {v for p in other for v in p.variables}
    if any(p.subject is not None and p.subject in {q.subject for q in grouped} for p in other):
        return None  # a pattern on a grouped star's subject (its type) narrows that star: it stays with it
    if not other or not grouped or not inner_keys or not aggregated <= bound or not plain <= keys:
        return None
    if not keys <= bound | other_bound:
        return None
    inner_filters, outer_filters = [], []
    for s, e in reader.top_filters:
        if any(t.is_word("EXISTS") for t in tokens[s:e]):
            return None
        names = {t.text[1:] for t in tokens[s:e] if t.kind == "var"}
        written = text[tokens[s - 1].start : tokens[e - 1].end]
        if names <= bound:
            inner_filters.append(written)
        elif names <= other_bound:
            outer_filters.append(written)
        else:
            return None
    sizes = [_star_rows(star, stats) for star in _by_subject(grouped)] + [_pattern_rows(p, stats) for p in other]
    if any(n is None for n in sizes):
        return None
    if sum(sizes[len(sizes) - len(other) :]) > MAX_OTHER_SIDE_RATIO * max(1, max(sizes[: len(sizes) - len(other)])):
        return None
    inner_items = [*("?" + v for v in inner_keys), *(written for kind, _n, _a, written in items if kind == "aggregate")]
    inner = (f"{{ SELECT {' '.join(inner_items)} WHERE {{ {' '.join(p.written() for p in grouped)} "
             f"{' '.join(inner_filters)} }} GROUP BY {' '.join('?' + v for v in inner_keys)} }}")  # fmt: skip
    outer_items = " ".join("?" + (alias or name) for _kind, name, alias, _written in items)
    body = " ".join([inner, *(p.written() for p in other), *outer_filters])
    rewritten = f"SELECT {modifier}{outer_items} WHERE {{ {body} }}"
    return tokens[read.form].start, tokens[groups[-1][1] - 1].end, rewritten


def _by_subject(patterns: list[_Pattern]) -> list[list[_Pattern]]:
    """The stars of the patterns: those on one subject (constant subjects together)."""
    stars: dict[str | None, list[_Pattern]] = {}
    for p in patterns:
        stars.setdefault(p.subject, []).append(p)
    return list(stars.values())


def _projection(reader: _Reader, i: int, end: int) -> tuple[str, list[tuple[str, str | None, str | None, str]]] | None:
    """A SELECT's projection from `i` to `end` (its WHERE group): its DISTINCT or REDUCED, and its items, each
    (kind, variable, alias, text as written): ("var", name, None, text) or ("aggregate", the aggregated variable
    or None for `*`, the alias, text) for `(AGG([DISTINCT] ?x) AS ?n)` with AGG in _GROUPABLE; None for another
    projection."""
    tokens = reader.tokens
    modifier = ""
    if reader.is_word(i, "DISTINCT", "REDUCED"):
        modifier, i = tokens[i].text + " ", i + 1
    if reader.is_word(end - 1, "WHERE"):
        end -= 1
    items = []
    while i < end:
        t = tokens[i]
        if t.kind == "var":
            items.append(("var", t.text[1:], None, t.text))
            i += 1
            continue
        if not reader.is_punct(i, "(") or not reader.is_word(i + 1, *_GROUPABLE) or not reader.is_punct(i + 2, "("):
            return None
        j = i + 4 if reader.is_word(i + 3, "DISTINCT") else i + 3
        argument = tokens[j] if j < end else None
        if argument is None or not (argument.kind == "var" or reader.is_punct(j, "*")):
            return None
        if not (reader.is_punct(j + 1, ")") and reader.is_word(j + 2, "AS") and j + 3 < end
                and tokens[j + 3].kind == "var" and reader.is_punct(j + 4, ")")):  # fmt: skip
            return None
        name = argument.text[1:] if argument.kind == "var" else None
        text = reader.text[t.start : tokens[j + 4].end]
        items.append(("aggregate", name, tokens[j + 3].text[1:], text))
        i = j + 5
    return (modifier, items) if items else None


class WouldNotFinish(PtceError):
    """The query has more rows to go through than the engine could within its time limit; the message says why."""


# The most rows a second the engine goes through, with a wide margin: at best it joined 9 million rows a second
# (bench/bench_join_forms.py, the join rows of `co-theme-pairs` as a hash join).
ENGINE_ROWS_PER_SECOND = 100_000_000
# What makes the engine go through every row of the pattern before it answers: an aggregate, a grouping or an
# order (DISTINCT streams: with the endpoint's row limit, it stops early).
_EVERY_ROW = (*_AGGREGATES, "GROUP", "ORDER")


def check_finishes(text: str, prefixes: dict[str, str], stats: Statistics | None, seconds: float) -> None:
    """Raise `WouldNotFinish` for a SELECT that cannot finish within `seconds`: its WHERE group is only a join of
    patterns that share no variable, each with a number of rows the counts give exactly, whose product is more
    than the engine goes through in that time, and it needs every row (an aggregate, GROUP BY, ORDER BY). Anything
    else is left to the time limit: a pattern of unknown size (it may be empty), a filter, HAVING or VALUES (the
    engine may push them into the patterns, or find them always false)."""
    read = None if stats is None else _read(text, prefixes)
    if read is not None:
        _check(read, stats, seconds)


def _check(read: _Read, stats: Statistics, seconds: float) -> None:
    if not read.reader.top_plain or not read.tokens[read.form].is_word("SELECT"):
        return
    modifiers = read.tokens[read.form : read.where] + read.tokens[read.end :]
    if not any(t.is_word(*_EVERY_ROW) for t in modifiers) or any(t.is_word("HAVING") for t in modifiers):
        return
    rows = [_exact_rows(part, stats) for part in _unjoined([p for b in read.reader.top_blocks for p in b.patterns])]
    if len(rows) < 2 or None in rows or 0 in rows:
        return
    digits = sum(math.log10(n) for n in rows)
    if digits <= math.log10(ENGINE_ROWS_PER_SECOND * seconds):
        return
    counts = " × ".join(f"{n:,}" for n in rows[:6]) + (f" × … ({len(rows)} patterns)" if len(rows) > 6 else "")
    total = f"{math.prod(rows):,}" if digits < 30 else f"about 10^{digits:.0f}"
    raise WouldNotFinish(
        f"This query would not finish within its {seconds:g} s: it joins {len(rows)} patterns that share no "
        f"variable, {counts} = {total} rows to go through. Join them on a variable, or ask for fewer rows (a LIMIT "
        "without aggregates, GROUP BY or ORDER BY)."
    )


def _unjoined(patterns: list[_Pattern]) -> list[list[_Pattern]]:
    """The patterns in groups that share no variable with one another (connected by the variables they share)."""
    parent = list(range(len(patterns)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with: dict[str, int] = {}
    for i, pattern in enumerate(patterns):
        for name in pattern.variables:
            j = first_with.setdefault(name, i)
            parent[root(i)] = root(j)
    groups: dict[int, list[_Pattern]] = {}
    for i, pattern in enumerate(patterns):
        groups.setdefault(root(i), []).append(pattern)
    return list(groups.values())


def _exact_rows(part: list[_Pattern], stats: Statistics) -> int | None:
    """How many rows a lone pattern has, exactly, by the counts: `?s ?p ?o`, `?s P ?o`, `?s a C` with distinct
    variables (None for anything else)."""
    if len(part) != 1 or len(set(part[0].variables)) != len(part[0].variables):
        return None
    (pattern,) = part
    if len(pattern.variables) == 3:
        return stats.total
    if pattern.subject is None or pattern.predicate is None:
        return None
    if pattern.is_type:
        return stats.entities.get(pattern.object_iri, 0)
    return None if pattern.object_var is None else stats.triples.get(pattern.predicate, 0)


def _where(reader: _Reader, start: int) -> int | None:
    """The index of the `{` that opens the query's WHERE group (None: a dataset of its own, the short CONSTRUCT
    form whose pattern is its template, or no group)."""
    form = reader.at(start)
    if not form.is_word("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
        return None
    i = start + 1
    if form.is_word("CONSTRUCT"):
        if not reader.is_punct(i, "{"):
            return None
        i = reader.skip_balanced(i)
    while i < len(reader.tokens):
        if reader.is_word(i, "FROM"):
            return None
        if reader.is_punct(i, "{"):
            return i
        i = reader.skip_balanced(i) if reader.is_punct(i, "(") else i + 1
    return None


def run_planned(run: Callable[[QueryJob], QueryOutput], job: QueryJob, prefixes: dict[str, str],
                stats: Statistics | None, seconds: float) -> QueryOutput:  # fmt: skip
    """`run` a job on the build `stats` counts, as the planner rewrites it, when its dataset is the build's default
    graph: refused at once if the counts show it cannot finish within `seconds` (`WouldNotFinish`); a rewritten
    text the engine refuses is run as written, so that the error reads about the user's text, at its position."""
    if stats is None or job.default_graphs or job.named_graphs:
        return run(job)
    verdict, text, sort_keys = _outcome(job.text, tuple(sorted(prefixes.items())), stats, seconds)
    if verdict is not None:
        raise WouldNotFinish(verdict)
    if text == job.text:
        return run(job)
    try:
        return run(replace(job, text=text, sort_keys=sort_keys))
    except QueryRejected:
        return run(job)


# Plans kept per text: reading a text is most of what the planner costs (1 ms of a 5 ms lookup through the endpoint
# at 1M triples, for a text with the usual prefixes), and the endpoint is sent the same texts again and again.
# Small entries (the verdict and the rewritten text), for one build's statistics (compared by identity).
PLANS_KEPT = 512


@lru_cache(maxsize=PLANS_KEPT)
def _outcome(text: str, prefixes: tuple[tuple[str, str], ...], stats: Statistics,
             seconds: float) -> tuple[str | None, str, bool]:  # fmt: skip
    """(the early verdict's reason to refuse the text, or None; the text as planned; whether it reads sort keys)."""
    read = _read(text, dict(prefixes))
    if read is None:
        return None, text, False
    try:
        _check(read, stats, seconds)
    except WouldNotFinish as exc:
        return str(exc), text, False
    return None, *_planned(read, text, stats)
