"""Parse a regional map of PTCEs, in plain text, into records: department, name, description, objectives, axes.

The shape (as in the bundled source document): an optional title line, then for each department a
heading with its INSEE code ("Les PTCE situés dans le NORD (59)"), then its PTCEs: each a short name
line followed by paragraphs and bullet lists ("- item,"). Blank lines separate blocks; a paragraph or
a list item may be wrapped over several lines.

Normalisation is the curated data's: emphasis asterisks are dropped, the comma ending a list item is
removed. The paragraphs before the first list are the description; the first list is `objectives` or
`axes` according to its lead sentence. Whatever else a PTCE's section holds is reported as unplaced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ptce.importer.suggest import Suggestion, ThemeMatcher, words
from ptce.rdf.slugs import slugify
from ptce.sources.loader import Place, Problem, SourceError, Sources
from ptce.sources.records import GEOGRAPHY_FILE

HEADING_EXAMPLE = "Les PTCE situés dans le NORD (59)"
HEADING_RE = re.compile(
    r"^(?:les\s+)?ptce\s+(?:situés?|implantés?)\s+(?:dans|en)\s+(?:(?:le|la|les)\s+|l['’]\s*)?"
    r"(?P<name>.+?)\s*\(\s*(?P<code>[0-9A-Za-z]+)\s*\)\s*:?$",
    re.IGNORECASE,
)

HEADING_HINT_RE = re.compile(r"^(?:les\s+)?ptce\s+(?:situ|implant)", re.IGNORECASE)
BULLET_RE = re.compile(r"^[-–•]\s+")
EMPHASIS_RE = re.compile(r"\*([^*\n]+)\*")
NAME_MAX_WORDS = 12
SENTENCE_END = ".:;,!?…"
LIST_LEADS = {"objectives": ("objectif", "ambition", "mission"), "axes": ("axe",)}
LIST_KEYS = {name: {words(w)[0] for w in leads} for name, leads in LIST_LEADS.items()}


class DocumentError(SourceError):
    """The document does not follow the expected shape; `problems` say which line and what was expected."""


@dataclass
class Block:
    """A run of lines: a heading, a paragraph (or a name), or a bullet list."""

    kind: str  # "heading", "paragraph" or "list"
    line: int
    end: int
    text: str = ""
    items: list[tuple[str, int]] = field(default_factory=list)

    def is_name(self) -> bool:
        """A short single line with no sentence punctuation at its end: a PTCE's name."""
        return (
            self.kind == "paragraph"
            and self.line == self.end
            and len(self.text.split()) <= NAME_MAX_WORDS
            and self.text[-1] not in SENTENCE_END
        )

    def span(self) -> str:
        return str(self.line) if self.line == self.end else f"{self.line}-{self.end}"


@dataclass(frozen=True)
class Unplaced:
    """Part of a PTCE's section the importer did not put in any field."""

    lines: str
    reason: str
    text: str


@dataclass
class ImportedPtce:
    """One PTCE as the document gives it; `lines` maps each field to its document lines."""

    slug: str
    name: str
    departement: str
    description: str = ""
    objectives: list[str] = field(default_factory=list)
    axes: list[str] = field(default_factory=list)
    lines: dict[str, str] = field(default_factory=dict)
    unplaced: list[Unplaced] = field(default_factory=list)
    texts: list[tuple[str, int]] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)


@dataclass
class ImportedDocument:
    """The records read from one document."""

    path: Path
    title: str | None
    ptces: list[ImportedPtce]


def clean(text: str) -> str:
    """Drop emphasis asterisks: "*Anima*" -> "Anima"."""
    return EMPHASIS_RE.sub(r"\1", text)


def read_blocks(lines: list[str]) -> list[Block]:
    """Group the document's lines into headings, paragraphs and lists (1-based line numbers)."""
    blocks: list[Block] = []
    current: Block | None = None
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            current = None
        elif HEADING_HINT_RE.match(line) and len(line.split()) <= NAME_MAX_WORDS:
            blocks.append(Block("heading", number, number, line))
            current = None
        elif BULLET_RE.match(line):
            if current is None or current.kind != "list":
                current = Block("list", number, number)
                blocks.append(current)
            current.items.append((BULLET_RE.sub("", line), number))
            current.end = number
        elif current is not None and current.kind == "list":
            text, first = current.items[-1]
            current.items[-1] = (f"{text} {line}", first)
            current.end = number
        elif current is not None:
            current.text += " " + line
            current.end = number
        else:
            current = Block("paragraph", number, number, line)
            blocks.append(current)
    return blocks


class _Parser:
    """Walks the blocks, department by department, collecting records and problems."""

    def __init__(self, path: Path, departements: list[Place], region: Place):
        self.path = path
        self.by_code = {d.insee: d for d in departements}
        self.region = region
        self.problems: list[Problem] = []
        self.ptces: list[ImportedPtce] = []
        self.slugs: dict[str, int] = {}

    def fail(self, line: int, message: str) -> None:
        self.problems.append(Problem(str(self.path), line, "", message))

    def departement(self, block: Block) -> Place | None:
        m = HEADING_RE.match(block.text)
        if not m:
            self.fail(
                block.line, f"a department heading needs the department's code in brackets, as in {HEADING_EXAMPLE!r}"
            )
            return None
        place = self.by_code.get(m["code"].upper())
        if place is None:
            known = ", ".join(f"{d.insee} {d.name}" for d in self.by_code.values())
            self.fail(
                block.line,
                f"unknown department code {m['code']!r} for region {self.region.insee} ({self.region.name}); "
                f"expected one of: {known}",
            )
        elif words(m["name"]) != words(place.name):
            self.fail(block.line, f"department code {place.insee} is {place.name}, but the heading says {m['name']!r}")
            return None
        return place

    def parse(self, blocks: list[Block]) -> str | None:
        """Fill self.ptces and self.problems; return the document's title, if any."""
        first = next((i for i, b in enumerate(blocks) if b.kind == "heading"), None)
        if first is None:
            self.fail(
                blocks[0].line if blocks else 1,
                f"no department heading found; expected a line such as {HEADING_EXAMPLE!r} before each "
                "department's PTCEs",
            )
            return None
        preamble = blocks[:first]
        title = None
        if preamble and preamble[0].is_name() and (len(preamble) == 1 or preamble[0].text.isupper()):
            title = preamble.pop(0).text
        if preamble:
            what = f"PTCE {preamble[0].text!r}" if preamble[0].is_name() else f"a {preamble[0].kind}"
            self.fail(
                preamble[0].line,
                f"{what} before any department heading; expected a heading such as {HEADING_EXAMPLE!r}",
            )
        sections: list[tuple[Block, list[Block]]] = []
        for block in blocks[first:]:
            if block.kind == "heading":
                sections.append((block, []))
            else:
                sections[-1][1].append(block)
        for heading, body in sections:
            place = self.departement(heading)
            if not body:
                self.fail(heading.line, f"empty section: no PTCE under the heading {heading.text!r}")
            self.section(place, heading, body)
        return title

    def section(self, place: Place | None, heading: Block, body: list[Block]) -> None:
        groups: list[list[Block]] = []
        for block in body:
            if block.is_name():
                groups.append([block])
            elif not groups:
                self.fail(
                    block.line,
                    f"expected the name of a PTCE (a short line) after the department heading, found a {block.kind}",
                )
            else:
                groups[-1].append(block)
        for name, *rest in groups:
            self.ptce(place, heading, name, rest)

    def ptce(self, place: Place | None, heading: Block, name: Block, body: list[Block]) -> None:
        label = clean(name.text)
        if not body:
            self.fail(name.line, f"PTCE {label!r} has no text: expected a paragraph after its name")
            return
        if body[0].kind == "list":
            self.fail(body[0].line, f"PTCE {label!r}: expected a paragraph before the list (its lead sentence)")
            return
        slug = slugify(label)
        if slug in self.slugs:
            self.fail(name.line, f"PTCE {label!r} has the same slug {slug!r} as the PTCE at line {self.slugs[slug]}")
            return
        self.slugs[slug] = name.line
        if place is None:
            return
        record = ImportedPtce(slug, label, place.slug)
        record.lines.update(name=name.span(), departement=heading.span(), description="")  # in file order
        paragraphs = []
        for i, block in enumerate(body):
            record.texts += [(clean(t), n) for t, n in block.items] or [(clean(block.text), block.line)]
            if block.kind == "paragraph" and len(paragraphs) == i:
                paragraphs.append(block)
            elif block.kind == "list" and len(paragraphs) == i:
                self.place_list(record, block, paragraphs[-1])
            else:
                text = block.text or "\n".join(t for t, _ in block.items)
                record.unplaced.append(Unplaced(block.span(), f"a {block.kind} after the first list", clean(text)))
        record.description = "\n\n".join(clean(p.text) for p in paragraphs)
        record.lines["description"] = Block("paragraph", paragraphs[0].line, paragraphs[-1].end).span()
        self.ptces.append(record)

    def place_list(self, record: ImportedPtce, block: Block, lead: Block) -> None:
        """Put a list in `objectives` or `axes` by what its lead sentence speaks of, or report it unplaced."""
        last_sentence = re.split(r"(?<=[.!?])\s+", lead.text)[-1]
        lead_words = set(words(last_sentence)) or set(words(lead.text))
        kinds = [name for name, keys in LIST_KEYS.items() if lead_words & keys]
        items = [clean(text).rstrip().removesuffix(",").rstrip() for text, _ in block.items]
        if len(kinds) == 1:
            setattr(record, kinds[0], items)
            record.lines[kinds[0]] = block.span()
        else:
            why = "both objectives and axes" if kinds else "neither objectives (objectif, ambition, mission) nor axes"
            record.unplaced.append(Unplaced(block.span(), f"a list whose lead sentence names {why}", "\n".join(items)))


def parse_document(path: Path, text: str, sources: Sources, region: str = "32") -> ImportedDocument:
    """Records of the PTCEs in `text`; raise DocumentError listing every line that breaks the shape."""
    if sources.region.insee != region:
        raise DocumentError(
            [
                Problem(
                    str(sources.data_dir / GEOGRAPHY_FILE),
                    0,
                    "region",
                    f"region {region!r} is not the one the data describes ({sources.region.insee}, "
                    f"{sources.region.name}); give a data folder whose geography.yaml describes region {region}",
                )
            ]
        )
    parser = _Parser(path, sources.departements, sources.region)
    title = parser.parse(read_blocks(text.splitlines()))
    if parser.problems:
        raise DocumentError(parser.problems)
    matcher = ThemeMatcher(sources.themes)
    for record in parser.ptces:
        record.suggestions = matcher.suggest(record.texts)
    return ImportedDocument(path, title, parser.ptces)


def read_document(path: Path, sources: Sources, region: str = "32") -> ImportedDocument:
    """Read and parse the document at `path` (UTF-8)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise DocumentError([Problem(str(path), 0, "", f"cannot read the document: {exc}")]) from exc
    return parse_document(Path(path), text, sources, region)
