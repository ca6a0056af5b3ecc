"""What an import produces: a data folder of YAML sources, or a comparison with the current data.

Existing files are never overwritten, so curated data (themes above all) is never replaced by an import.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml

from ptce.build_folder import staged_copy
from ptce.importer.reader import DocumentError, ImportedDocument, ImportedPtce
from ptce.importer.suggest import Quality, measure
from ptce.rdf.slugs import slugify
from ptce.sources.fields import read_yaml
from ptce.sources.loader import Problem, Sources
from ptce.sources.places import OUTLINES_FILE, PLACES_FILE, SOURCE_FILE
from ptce.sources.records import DATASET_FILE, GEOGRAPHY_FILE, ORGANISATIONS_FILE, PTCE_FOLDER, THEMES_FILE

SOURCE_FOLDER = "source"
# Reference files an imported folder shares with the data it was imported against (the region's geography).
COPIED_FILES = (GEOGRAPHY_FILE, THEMES_FILE, PLACES_FILE, OUTLINES_FILE, SOURCE_FILE)
NOT_IMPORTED = "territoires, roles, working_groups, initiatives, recognised, collective_approach_since"


class Named(Protocol):
    """A PTCE already in a data folder: a curated record, or a file an import finds in its output folder."""

    slug: str
    name: str
    source_name: str | None


@dataclass(frozen=True)
class _Existing:
    """A PTCE file found in the output folder (read leniently: it may be half edited)."""

    slug: str
    name: str
    source_name: str | None
    file: str


def match(records: list[ImportedPtce], existing: list[Named]) -> list[tuple[ImportedPtce | None, Any]]:
    """Pair each imported PTCE with the existing one of the same slug or source spelling of its name.

    Unmatched records are paired with None, then unmatched existing PTCEs with None.
    """
    left = list(existing)
    pairs: list[tuple[ImportedPtce | None, Any]] = []
    for record in records:
        found = next((e for e in left if e.slug == record.slug), None) or next(
            (e for e in left if (e.source_name or e.name) == record.name), None
        )
        if found is not None:
            left.remove(found)
        pairs.append((record, found))
    return pairs + [(None, e) for e in left]


# ---- writing a data folder -------------------------------------------------------------------------


def _lines(span: str) -> int | str:
    return int(span) if span.isdigit() else span


def _where(span: str) -> str:
    return f"line {span}" if span.isdigit() else f"lines {span}"


def ptce_yaml(record: ImportedPtce, document: str) -> str:
    """The YAML source file of one imported PTCE, with its provenance and theme suggestions."""
    data: dict[str, Any] = {"slug": record.slug, "name": record.name, "departement": record.departement}
    data["description"] = record.description
    for key in ("objectives", "axes"):
        if getattr(record, key):
            data[key] = getattr(record, key)
    data["themes"] = []
    if record.suggestions:
        data["suggested_themes"] = [{"theme": s.theme, "phrase": s.phrase, "line": s.line} for s in record.suggestions]
    data["provenance"] = {"document": document, "lines": {k: _lines(v) for k, v in record.lines.items()}}
    header = [
        f"# Imported by `ptce import` from {document}.",
        "# To do by hand: choose `themes`, each with the source's words that support it"
        ' (- theme: slug / quote: "…"; suggested_themes gives candidate phrases),',
        "# and add what the importer does not read:",
        f"# {NOT_IMPORTED}.",
    ]
    footer = []
    for item in record.unplaced:
        footer.append(f"# Not placed by the importer (document {_where(item.lines)}): {item.reason}:")
        footer += [f"#   {line}" for line in item.text.splitlines()]
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1_000_000)
    return "\n".join(header) + "\n" + body + "".join(f"{line}\n" for line in footer)


def dataset_yaml(doc: ImportedDocument, data_dir: Path) -> str:
    """The dataset description of the reference data, with the imported document as its source."""
    dataset = yaml.safe_load((data_dir / DATASET_FILE).read_text(encoding="utf-8"))
    dataset["source"] = {
        "slug": slugify(doc.path.stem),
        "title": doc.title or doc.path.stem,
        "file": f"{SOURCE_FOLDER}/{doc.path.name}",
        "language": "fr",
    }
    header = "# Copied from the reference data by `ptce import`: check the title, description and keywords.\n"
    return header + yaml.safe_dump(dataset, allow_unicode=True, sort_keys=False, width=1_000_000)


@dataclass
class Written:
    """Files an import wrote, and existing files it left as they were."""

    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def _existing_ptces(folder: Path) -> list[_Existing]:
    found = []
    for path in sorted(folder.glob("*.yaml")):
        raw = read_yaml(path, folder, [])  # its problems are the user's to fix later, not the import's
        raw = raw if isinstance(raw, dict) else {}
        found.append(
            _Existing(str(raw.get("slug", path.stem)), str(raw.get("name") or ""), raw.get("source_name"), path.name)
        )
    return found


def write_data_folder(doc: ImportedDocument, out: Path, data_dir: Path) -> Written:
    """Write `doc` as a data folder in `out`: PTCE files, the document, and the shared files it needs.

    All or nothing: the files are written into a copy of `out` that replaces it at the end, so an import that
    fails or is interrupted leaves `out` as it was."""
    with staged_copy(out) as staging:
        result = _write_data_folder(doc, staging, data_dir)
    return Written(*[[out / path.relative_to(staging) for path in paths] for paths in (result.written, result.kept)])


def _write_data_folder(doc: ImportedDocument, out: Path, data_dir: Path) -> Written:
    source = out / SOURCE_FOLDER / doc.path.name
    if source.exists() and source.read_bytes() != doc.path.read_bytes():
        raise DocumentError(
            [Problem(str(source), 0, "", "already exists and differs from the document; choose another --out")]
        )
    result = Written()

    def put(path: Path, text: str | None = None, copy_from: Path | None = None) -> None:
        if path.exists():
            result.kept.append(path)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        if copy_from is not None:
            shutil.copyfile(copy_from, path)
        else:
            path.write_text(text or "", encoding="utf-8")
        result.written.append(path)

    put(source, copy_from=doc.path)
    for name in COPIED_FILES:
        put(out / name, copy_from=data_dir / name)
    put(out / ORGANISATIONS_FILE, "# Carrier and partner organisations, to add by hand.\norganisations: []\n")
    put(out / DATASET_FILE, dataset_yaml(doc, data_dir))
    existing = _existing_ptces(out / PTCE_FOLDER)
    for record, found in match(doc.ptces, existing):
        if record is None:
            continue
        if found is not None:
            result.kept.append(out / PTCE_FOLDER / found.file)
        else:
            put(out / PTCE_FOLDER / f"{record.slug}.yaml", ptce_yaml(record, f"{SOURCE_FOLDER}/{doc.path.name}"))
    return result


def import_summary(doc: ImportedDocument, result: Written, out: Path) -> str:
    """What an import did and what a person must still do."""
    per_dept: dict[str, int] = {}
    for p in doc.ptces:
        per_dept[p.departement] = per_dept.get(p.departement, 0) + 1
    lines = [f"Read {len(doc.ptces)} PTCE(s) from {doc.path}: " + ", ".join(f"{d} {n}" for d, n in per_dept.items())]
    lines.append(
        f"Wrote {len(result.written)} file(s) into {out}/; kept {len(result.kept)} existing file(s) as they were."
    )
    lines += [f"  kept {path}" for path in result.kept if path.parent.name == "ptce"]
    count = sum(len(p.suggestions) for p in doc.ptces)
    lines.append(f"Theme suggestions: {count} for {len(doc.ptces)} PTCE(s), in each file's suggested_themes.")
    unplaced = [(p, u) for p in doc.ptces for u in p.unplaced]
    if unplaced:
        lines.append(f"Could not place {len(unplaced)} part(s) (left as comments at the end of the files):")
        lines += [f"  {doc.path}:{u.lines} ({p.slug}): {u.reason}" for p, u in unplaced]
    lines.append(f"Still to do by hand: choose the themes, add {NOT_IMPORTED}; then run: ptce validate {out}")
    return "\n".join(lines)


# ---- comparing with the current data -----------------------------------------------------------------


def _quote(text: str) -> str:
    return f"'{text}'"


def _field_changes(record: ImportedPtce, curated: Any) -> list[str]:
    out = []
    source_name = curated.source_name or curated.name
    if record.name != source_name:
        out.append(f"  name: the document says {_quote(record.name)}, the data {_quote(source_name)}")
    elif curated.source_name and curated.source_name != curated.name:
        out.append(f"  name: same source spelling; the data corrects it to {_quote(curated.name)}")
    if record.departement != curated.departement:
        out.append(f"  departement: the document says {record.departement}, the data {curated.departement}")
    if record.description != curated.description:
        out += ["  description:", f"    - data:     {curated.description}", f"    + document: {record.description}"]
    for key in ("objectives", "axes"):
        old, new = getattr(curated, key), getattr(record, key)
        if old != new:
            out.append(f"  {key}:")
            out += [f"    - {item}" for item in old if item not in new]
            out += [f"    + {item}" for item in new if item not in old]
            if set(old) == set(new):
                out.append("    (same items, in another order)")
    return out


def _theme_lines(record: ImportedPtce, curated_themes: list[str]) -> list[str]:
    suggested = {s.theme: s for s in record.suggestions}
    extra = [f"{s.theme} ({_quote(s.phrase)}, line {s.line})" for t, s in suggested.items() if t not in curated_themes]
    missing = [t for t in curated_themes if t not in suggested]
    agreed = [t for t in curated_themes if t in suggested]
    out = [f"  themes: {len(curated_themes)} curated (an import never changes them), {len(agreed)} of them suggested"]
    if extra:
        out.append("    suggested, not curated: " + ", ".join(extra))
    if missing:
        out.append("    curated, not suggested: " + ", ".join(missing))
    return out


def diff_document(doc: ImportedDocument, sources: Sources) -> str:
    """How the document differs from the current data, PTCE by PTCE; nothing is written."""
    pairs = match(doc.ptces, sources.ptces)
    matched = sum(1 for r, c in pairs if r and c)
    new = [r for r, c in pairs if c is None]
    gone = [c for r, c in pairs if r is None]
    lines = [
        f"Comparing {doc.path} with {sources.data_dir}: {matched} PTCE(s) in both, "
        f"{len(new)} only in the document, {len(gone)} only in the data."
    ]
    for record, curated in pairs:
        if record is None:
            lines.append(f"- {curated.slug} ({curated.file}): not in the document")
        elif curated is None:
            lines.append(f"+ {record.slug} (line {record.lines['name']}): new in the document")
            lines += _theme_lines(record, [])
        else:
            changes = _field_changes(record, curated)
            differs = any(not line.startswith("  name: same") for line in changes)
            mark, what = ("~", "differs:") if differs else ("=", "same department, name, description, objectives, axes")
            lines.append(f"{mark} {curated.slug} ({curated.file}): {what}")
            lines += changes + _theme_lines(record, curated.themes)
        lines += [f"  not placed ({_where(u.lines)}): {u.reason}" for u in (record.unplaced if record else [])]
    return "\n".join(lines)


# ---- quality of the theme suggestions ----------------------------------------------------------------


def suggestion_quality(doc: ImportedDocument, sources: Sources) -> tuple[Quality, list[tuple[str, set[str], set[str]]]]:
    """Precision and recall of the suggestions against the curated themes of the PTCEs in both.

    Returns the overall figures and, per PTCE, (slug, suggested, curated).
    """
    rows = [
        (curated.slug, {s.theme for s in record.suggestions}, set(curated.themes))
        for record, curated in match(doc.ptces, sources.ptces)
        if record is not None and curated is not None
    ]
    return measure((s, c) for _, s, c in rows), rows
