"""The build of the bundled data, made once per data version in the user's cache, for commands run without a build.

Right after an install there is no `dist/`: `ptce query`, `ptce stats`, `ptce network`, `ptce map` and
`ptce serve` then read this build. Its folder is named by a hash of the software version and of every bundled
file (data, ontology, shapes), so a new version of either makes a new build and an unchanged one is reused.
Concurrent commands build it once (a file lock); it appears under its final name only when complete.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from pathlib import Path

from ptce import __version__
from ptce.assets import DATA_DIR, ONTOLOGY_FILE, SHAPES_DIR

CACHE_ENV = "PTCE_CACHE_DIR"


def cache_root() -> Path:
    """`$PTCE_CACHE_DIR`, else `$XDG_CACHE_HOME/ptce`, else `~/.cache/ptce`."""
    if folder := os.environ.get(CACHE_ENV):
        return Path(folder)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ptce"


def data_version() -> str:
    """A hash of the software version and of the bundled files' names and bytes."""
    digest = hashlib.sha256(__version__.encode())
    folders = [
        (ONTOLOGY_FILE.parent, [ONTOLOGY_FILE]),
        (SHAPES_DIR, SHAPES_DIR.rglob("*")),
        (DATA_DIR, DATA_DIR.rglob("*")),
    ]
    for folder, paths in folders:
        for path in sorted(p for p in paths if p.is_file()):
            name = f"{folder.name}/{path.relative_to(folder).as_posix()}"
            digest.update(b"\0" + name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def bundled_build() -> tuple[Path, bool]:
    """The folder of the bundled data's build, and whether this call made it (False: it was in the cache)."""
    from ptce.build.pipeline import publish_build
    from ptce.build_folder import BUILD_INFO

    root = cache_root()
    folder = root / f"bundled-{data_version()}"
    if (folder / BUILD_INFO).is_file():
        return folder, False
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another command may be making it: wait, then use its build
        if (folder / BUILD_INFO).is_file():
            return folder, False
        publish_build(folder)
        for old in root.glob("bundled-*"):  # builds of earlier versions
            if old != folder and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)
    return folder, True
