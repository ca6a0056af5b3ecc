"""The example SPARQL queries in `queries/*.rq`: a title on the first `#` line, a comment on the next ones."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ptce.assets import QUERIES_DIR


@dataclass(frozen=True)
class ExampleQuery:
    name: str  # file name without .rq
    title: str
    comment: str
    text: str


def read_example(path: Path) -> ExampleQuery:
    text = Path(path).read_text(encoding="utf-8")
    header = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        header.append(line.lstrip("#").strip())
    if not header or not header[0]:
        raise ValueError(f"{path}: the first line must be a '# title'")
    return ExampleQuery(Path(path).stem, header[0], " ".join(h for h in header[1:] if h), text)


def load_examples(folder: Path = QUERIES_DIR) -> list[ExampleQuery]:
    """Every example query of a folder, by file name."""
    return [read_example(p) for p in sorted(Path(folder).glob("*.rq"))]
