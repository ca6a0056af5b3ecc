"""What the web app serves: one published build and its loaded store, swappable as a whole."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from ..namespaces import Iris
from ..publish import BuildInfo
from ..store import OxigraphStore, open_build


@dataclass(frozen=True)
class Build:
    """A published build, loaded: its folder, metadata and store."""

    folder: Path
    info: BuildInfo
    store: OxigraphStore

    @property
    def iris(self) -> Iris:
        return Iris(self.info.base_iri)


class Site:
    """Holds the current build; `reload` swaps in a new one only if it loads completely."""

    def __init__(self, build: Build):
        self._build = build
        self._lock = threading.Lock()

    @classmethod
    def load(cls, folder: Path) -> Site:
        return cls(cls._open(folder))

    @staticmethod
    def _open(folder: Path) -> Build:
        folder = Path(folder).resolve()
        return Build(folder, BuildInfo.read(folder), open_build(folder))

    @property
    def build(self) -> Build:
        return self._build

    def reload(self) -> Build:
        """Load the build folder again; on any error the current build stays in service."""
        with self._lock:
            self._build = self._open(self._build.folder)
            return self._build
