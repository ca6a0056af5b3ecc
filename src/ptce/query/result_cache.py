"""Results of a published build's queries, kept in memory: a build never changes, so neither do its answers.

Keys name the build, the engine text, the formats and the dataset, so a new build never reads an old answer. The
cache is bounded by the bytes it holds (least recently used answers are dropped first) and keeps no answer larger
than `max_entry`. Queries whose answer changes from one run to the next (RAND, NOW, UUID, STRUUID, BNODE) are
never cached: `guard.Analysis.volatile` says which.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Any


def etag_of(key: tuple) -> str:
    """A strong entity tag for the answer to `key` (the same on every server process)."""
    return hashlib.sha256(repr(key).encode()).hexdigest()[:32]


class ResultCache:
    """A thread-safe LRU map from query keys to answers, holding at most `max_bytes` of answer bodies."""

    def __init__(self, max_bytes: int, max_entry: int):
        self.max_bytes = max_bytes
        self.max_entry = max_entry
        self._items: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> Any | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: tuple, value: Any, size: int) -> None:
        if size > self.max_entry or size > self.max_bytes:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = (value, size)
            self._size += size
            while self._size > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._size -= dropped

    def __len__(self) -> int:
        return len(self._items)
