"""Run the endpoint's SPARQL queries within a time limit, results serialised by the engine.

pyoxigraph's `Store.query` cannot be cancelled, but it releases the GIL while it evaluates and serialises. Two
ways to stop a runaway query, both of which answer 503 and leave the server serving:

- `Watchdog` (used by `ptce serve`): the query runs in the request's own thread, in a server process that
  handles one request at a time (gunicorn sync worker). A watchdog thread of that process, on the deadline,
  hands the request's client a complete 503 response and ends the process; the server's arbiter starts a fresh
  one. No per-request IPC: this is what keeps the endpoint as fast as the engine (see bench/RESULTS.md).
- `ProcessRunner` (any other WSGI server, the test client): queries run in child processes that hold their own
  copy of the store, reached over a pipe; on the deadline the child is killed and replaced.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

# WSGI environ key under which a server offers `abort(status, headers, body)`: send a raw response, end the process.
ABORT_KEY = "ptce.abort"


class QueryTimeout(Exception):
    """The query ran past its time limit and was stopped."""


class QueryRejected(Exception):
    """The engine refused the query (its parser's message)."""


class RemoteFailed(Exception):
    """A remote store or a federated query's endpoint could not be reached or failed."""


class NoAcceptableFormat(Exception):
    """The query's result kind has no format the client accepts."""


@dataclass(frozen=True)
class QueryJob:
    """One query to run: its text, dataset, and the format to use for each kind of result (None: not acceptable)."""

    text: str
    result_format: str | None = "json"
    graph_format: str | None = "ttl"
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class QueryOutput:
    kind: str  # "solutions", "boolean" or "graph"
    format_key: str
    body: bytes


def execute(store, job: QueryJob) -> QueryOutput:
    """Run a job on a `Store` in this thread; the engine serialises the result."""
    try:
        result = store.query(job.text, list(job.default_graphs), list(job.named_graphs))
        kind = store.result_kind(result)
        key = job.graph_format if kind == "graph" else job.result_format
        if key is None:
            raise NoAcceptableFormat(kind)
        return QueryOutput(kind, key, store.serialize(result, key))
    except SyntaxError as exc:
        raise QueryRejected(str(exc)) from None
    except TimeoutError:  # a remote store (`ptce serve --store`) that did not answer in time
        raise QueryTimeout() from None
    except OSError as exc:  # a remote store failed, or a SERVICE call (allowed by FEDERATION_ALLOWLIST) did
        raise RemoteFailed(str(exc)) from None


class Watchdog:
    """A thread that calls a guarded block's `on_expire` once its deadline passes (`on_expire` must not return)."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self._lock = threading.Lock()
        self._guarded: dict[int, tuple[float, Callable[[], None]]] = {}
        self._pid: int | None = None

    @contextmanager
    def guard(self, timeout: float, on_expire: Callable[[], None]):
        if self._pid != os.getpid():  # first use in this (possibly forked) process
            self._pid = os.getpid()
            threading.Thread(target=self._watch, name="ptce-watchdog", daemon=True).start()
        me = threading.get_ident()
        with self._lock:
            self._guarded[me] = (time.monotonic() + timeout, on_expire)
        try:
            yield
        finally:
            with self._lock:  # never returns once the watchdog has fired: the process is ending
                self._guarded.pop(me, None)

    def _watch(self) -> None:
        while True:
            time.sleep(self.interval)
            with self._lock:
                now = time.monotonic()
                for deadline, on_expire in self._guarded.values():
                    if now >= deadline:
                        on_expire()


def serve_jobs(inbox: Connection, outbox: Connection, build_dir: str) -> None:
    """A query process: loads the build, then answers jobs until its input closes."""
    from .store import open_build

    store = open_build(Path(build_dir))
    outbox.send(("ready", None))
    while True:
        try:
            job = inbox.recv()
        except EOFError:
            return
        try:
            outbox.send(("ok", execute(store, job)))
        except (QueryRejected, NoAcceptableFormat, RemoteFailed) as exc:
            outbox.send(("error", exc))
        except Exception as exc:
            outbox.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))


class _Child:
    """A `python -m ptce.runner` process, reached over two pipes (it inherits nothing else of the server)."""

    def __init__(self, build_dir: str):
        from_parent, to_child = os.pipe()
        from_child, to_parent = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(from_parent), str(to_parent), build_dir],
            pass_fds=(from_parent, to_parent),
        )
        os.close(from_parent)
        os.close(to_parent)
        self.outbox = Connection(to_child, readable=False)
        self.inbox = Connection(from_child, writable=False)
        self.ready = False

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(5)
        self.outbox.close()
        self.inbox.close()


class ProcessRunner:
    """A pool of query processes holding the build; a query past its deadline gets its process killed and replaced."""

    def __init__(self, build_dir: Path, size: int = 2, start_timeout: float = 60.0):
        self.build_dir = str(build_dir)
        self.size = size
        self.start_timeout = start_timeout
        self._idle: queue.Queue[_Child] = queue.Queue()
        self._pid: int | None = None
        self._lock = threading.Lock()

    def _fill(self) -> None:
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                self._idle = queue.Queue()
                for _ in range(self.size):
                    self._idle.put(_Child(self.build_dir))

    def run(self, job: QueryJob, timeout: float) -> QueryOutput:
        self._fill()
        child = self._idle.get()
        try:
            if not child.ready:
                if not child.inbox.poll(self.start_timeout):
                    raise RuntimeError("the query process did not start")
                child.inbox.recv()
                child.ready = True
            child.outbox.send(job)
            if not child.inbox.poll(timeout):
                raise QueryTimeout(timeout)
            status, value = child.inbox.recv()
        except BaseException:
            child.kill()
            child = _Child(self.build_dir)
            raise
        finally:
            self._idle.put(child)
        if status == "error":
            raise value
        return value

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get().kill()


if __name__ == "__main__":  # a query process of ProcessRunner: python -m ptce.runner IN_FD OUT_FD BUILD_DIR
    from ptce.runner import serve_jobs as _serve_jobs  # so that pickled results name ptce.runner, not __main__

    _serve_jobs(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False), sys.argv[3])
