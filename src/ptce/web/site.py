"""What the web app serves: one published build and its loaded store, swappable as a whole.

A build in service is a *snapshot* of its folder: every file hard-linked (copied where links cannot be made)
into a private folder when the build is loaded. Everything the app serves, dumps, VoID, catalog, map outlines,
SPARQL and pages, comes from that snapshot, so a rebuild in place (`ptce build` into the served folder) changes
nothing users see until the server reloads, and then changes all of it at once. Snapshots are removed when the
process that made them exits, and on reload all but the newest two (requests still being answered by the
previous build keep their files).

An on-disk store is opened in each process that uses it (RocksDB does not survive a fork); an in-memory store
is loaded once and shared with forked server processes.
"""

from __future__ import annotations

import atexit
import errno
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app

from ptce.build_folder import STORE_DIR, BuildInfo
from ptce.query.planner import Statistics
from ptce.rdf.namespaces import Iris
from ptce.store.engine import Store, open_build
from ptce.store.remote import remote_store


class Build:
    """A published build, loaded: its snapshot folder, the folder it came from, metadata and store."""

    def __init__(self, folder: Path, source: Path, info: BuildInfo, opener: Callable[[], Store], per_process: bool):
        self.folder = folder
        self.source = source
        self.info = info
        self._opener = opener
        self._per_process = per_process
        self._lock = threading.Lock()
        self.generation = 0  # how many reloads of the site put this build in service (see `Site.reload`)
        self._stores: dict[int, Store] = {}
        # the counts the query planner rewrites the endpoint's queries by (None: a build without them)
        self.statistics = Statistics.of_build(folder, self.iris.dataset)
        # load now: a build that does not load is never put in service. A store opened per process is tried in a
        # child process: opening it here would leave the engine's thread pools behind in every forked worker.
        if per_process:
            _try_in_a_child(folder)
        else:
            self._stores[0] = opener()

    @property
    def store(self) -> Store:
        pid = os.getpid() if self._per_process else 0
        if pid not in self._stores:
            with self._lock:
                if pid not in self._stores:
                    self._stores = {pid: self._opener()}  # not the one a parent process opened
        return self._stores[pid]

    @property
    def iris(self) -> Iris:
        return Iris(self.info.base_iri)


def _try_in_a_child(folder: Path) -> None:
    """Open the build's store in a separate process; raise with its error if it does not open."""
    script = "import sys; from ptce.store.engine import open_build; open_build(sys.argv[1]).ask('ASK { ?s ?p ?o }')"
    done = subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the store of {folder} does not open: {done.stderr.strip().splitlines()[-1:]}")


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        shutil.copy2(source, target)


def snapshot(folder: Path) -> Path:
    """A private copy of a build folder, its files hard-linked where possible; removed when this process exits."""
    try:
        parent = Path(tempfile.mkdtemp(prefix=f".{folder.name}.serving-", dir=folder.parent))
    except OSError:  # a read-only parent: copy into the temporary folder instead
        parent = Path(tempfile.mkdtemp(prefix="ptce-serving-"))
    owner = os.getpid()
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(parent, ignore_errors=True))
    target = parent / folder.name
    shutil.copytree(folder, target, copy_function=_link_or_copy, symlinks=False)
    return target


def remove_snapshot(folder: Path) -> None:
    shutil.rmtree(folder.parent, ignore_errors=True)


class Site:
    """Holds the current build; `reload` swaps in a new one only if it loads completely."""

    def __init__(self, build: Build, store_spec: str | None = None, timeout: float = 60.0):
        self._build = build
        self._previous: list[Build] = []
        self._lock = threading.Lock()
        self.store_spec = store_spec
        self.timeout = timeout

    @classmethod
    def load(cls, folder: Path, store_spec: str | None = None, timeout: float = 60.0) -> Site:
        """The build in `folder`, queried in an embedded store, or on the server `store_spec` names (sparql:URL)."""
        return cls(cls._open(Path(folder).resolve(), store_spec, timeout), store_spec, timeout)

    @staticmethod
    def _open(source: Path, store_spec: str | None, timeout: float) -> Build:
        folder = snapshot(source)
        try:
            info = BuildInfo.read(folder)
            if store_spec:
                return Build(
                    folder, source, info, lambda: remote_store(store_spec, Iris(info.base_iri), timeout), False
                )
            on_disk = (folder / STORE_DIR).is_dir()
            return Build(folder, source, info, lambda: open_build(folder), per_process=on_disk)
        except BaseException:
            remove_snapshot(folder)
            raise

    @property
    def build(self) -> Build:
        return self._build

    def reload(self) -> Build:
        """Load the build folder again; on any error the current build stays in service."""
        with self._lock:
            new = self._open(self._build.source, self.store_spec, self.timeout)
            new.generation = self._build.generation + 1
            self._previous.append(self._build)
            while len(self._previous) > 1:
                remove_snapshot(self._previous.pop(0).folder)
            self._build = new
            return new


def public_url(path: str = "") -> str:
    """The absolute URL of `path` (no leading slash) on the public site (config PUBLIC_URL)."""
    root = current_app.config["PUBLIC_URL"] or get_site().build.iris.base
    return root.rstrip("/") + "/" + path.lstrip("/")


def get_site(app: Flask | None = None) -> Site:
    """The `Site` (store + build) of the current app."""
    return (app or current_app).extensions["ptce"]
