"""What the web app serves: one published build and its loaded store, swappable as a whole."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from ..namespaces import Iris
from ..publish import BuildInfo
from ..remote import open_store
from ..store import Store, open_build


@dataclass(frozen=True)
class Build:
    """A published build, loaded: its folder, metadata and store."""

    folder: Path
    info: BuildInfo
    store: Store

    @property
    def iris(self) -> Iris:
        return Iris(self.info.base_iri)


class Site:
    """Holds the current build; `reload` swaps in a new one only if it loads completely."""

    def __init__(self, build: Build, store_spec: str | None = None, timeout: float = 60.0):
        self._build = build
        self._lock = threading.Lock()
        self.store_spec = store_spec
        self.timeout = timeout

    @classmethod
    def load(cls, folder: Path, store_spec: str | None = None, timeout: float = 60.0) -> Site:
        """The build in `folder`, queried in an embedded store, or on the server `store_spec` names (sparql:URL)."""
        return cls(cls._open(folder, store_spec, timeout), store_spec, timeout)

    @staticmethod
    def _open(folder: Path, store_spec: str | None, timeout: float) -> Build:
        folder = Path(folder).resolve()
        info = BuildInfo.read(folder)
        if store_spec:
            return Build(folder, info, open_store(store_spec, Iris(info.base_iri), timeout))
        return Build(folder, info, open_build(folder))

    @property
    def build(self) -> Build:
        return self._build

    def reload(self) -> Build:
        """Load the build folder again; on any error the current build stays in service."""
        with self._lock:
            self._build = self._open(self._build.folder, self.store_spec, self.timeout)
            return self._build
