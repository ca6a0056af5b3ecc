"""Edits of a data folder's source document, for tests that publish texts of their own."""

from __future__ import annotations

from pathlib import Path

import yaml


def add_to_section(data_dir: Path, heading: str, text: str) -> None:
    """Add a paragraph at the end of the section `heading` of the data folder's source document, so that a
    description the test writes in the YAML is the document's words (quotes are checked against it)."""
    dataset = yaml.safe_load((data_dir / "dataset.yaml").read_text(encoding="utf-8"))
    path = data_dir / dataset["source"]["file"]
    lines = path.read_text(encoding="utf-8").split("\n")
    start = lines.index(heading)
    records = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in (data_dir / "ptce").glob("*.yaml")]
    headings = {r.get("source_name") or r["name"] for r in records}
    end = next((i for i in range(start + 1, len(lines)) if lines[i] in headings), len(lines))
    lines[end:end] = [text, ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def rename_cohose(data_dir: Path, name: str) -> None:
    """Give CoHose another name in the data; the document's heading stays its source spelling (source_name)."""
    path = data_dir / "ptce" / "cohose.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("name: CoHose", f"name: {name}\nsource_name: CoHose", 1), "utf-8"
    )
