"""Measure the importer's theme suggestions against the curated themes.

Imports the source document of the data folder (or another document), pairs its PTCEs with the
curated ones, and prints, per PTCE and overall, how many suggested themes are curated (precision)
and how many curated themes are suggested (recall), counted over (PTCE, theme) pairs.

Usage::

    python scripts/theme_suggestion_quality.py [--data DIR] [--document FILE] [--details]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ptce.assets import DATA_DIR
from ptce.importer.output import suggestion_quality
from ptce.importer.reader import read_document
from ptce.sources.loader import SourceError, load_sources


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="data folder with the curated themes")
    parser.add_argument("--document", type=Path, help="regional map to import (default: the data's source)")
    parser.add_argument("--details", action="store_true", help="list the missed and extra themes of each PTCE")
    args = parser.parse_args(argv)
    try:
        sources = load_sources(args.data)
        document = args.document or args.data / sources.dataset.source_file
        quality, rows = suggestion_quality(read_document(document, sources), sources)
    except SourceError as exc:
        print(exc, file=sys.stderr)
        return 1
    width = max(len(slug) for slug, _, _ in rows)
    print(f"{'PTCE':{width}}  curated  suggested  both")
    for slug, suggested, curated in rows:
        print(f"{slug:{width}}  {len(curated):7}  {len(suggested):9}  {len(suggested & curated):4}")
        if args.details:
            print(f"{'':{width}}  missed: {', '.join(sorted(curated - suggested)) or '-'}")
            print(f"{'':{width}}  extra:  {', '.join(sorted(suggested - curated)) or '-'}")
    print(f"Theme suggestions, {len(rows)} PTCEs: {quality}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
