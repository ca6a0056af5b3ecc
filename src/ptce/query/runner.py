"""Run users' SPARQL queries in query processes that can fail without taking the server with them.

A query process (`python -m ptce.query.runner`) loads the build, then walls itself in (`sandbox`): it cannot create a
network socket (unless it serves federated queries, see below) and its address space is capped at what it holds
after loading plus `memory_limit`. It evaluates one job at a time, on a thread with a large stack, and sends the
serialised result back over a pipe. The server process that sent the job (`ProcessRunner`) answers its client
whatever happens there:

- the query passes its time limit: the process is killed and replaced, `QueryTimeout` (503);
- the engine panics or the stack overflows: the process dies, `QueryCrashed` (500) with the engine's message;
- the query wants more memory than its budget: `QueryOutOfMemory` (507), in that process alone;
- the serialised result passes `max_result_bytes`: `ResultTooLarge` (507), with the engine's writer stopped.

The row limit is enforced on the result as the engine writes it: past `row_limit` rows the writer is stopped and
the result cut to that many rows, whatever LIMIT the query text had.

A dead process is replaced at once, and the pool holds several, so the next query does not wait for a reload.
Replacing one costs a `fork`, not a Python start and a build load: each pool has a *zygote*, a process that
loaded the build and walled itself in once, and forks the pool's query processes on request (a few
milliseconds, the build shared copy-on-write), so a client whose queries keep killing their process costs the
others next to nothing. An on-disk store (large builds) is opened by each query process after the fork, since
its engine keeps threads that a fork would not copy.

Queries that the guard let through with a `SERVICE` to an allowed endpoint (`--federation-allow`) go to a
separate pool whose processes may open connections; with no allow-list that pool never exists.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from ptce.errors import PtceError
from ptce.query.guard import count_rows, cut_rows
from ptce.store.engine import UnwritableResult

# Stack of the thread that evaluates queries: the engine recurses on the query's structure (`guard`
# refuses deep nesting; long flat chains of operators within the request size still recurse).
QUERY_STACK_BYTES = 512 * 1024 * 1024
DEFAULT_MEMORY_LIMIT = 1024**3
# Names of the evaluating thread, as `ps -L` and /proc/PID/task/TID/comm show them: waiting, or running a query.
IDLE_THREAD, BUSY_THREAD = "ptce-query", "ptce-query-busy"
DEFAULT_RESULT_BYTES = 256 * 1024**2


class QueryTimeout(PtceError):
    """The query ran past its time limit and was stopped."""


class QueryRejected(PtceError):
    """The engine refused the query (its parser's message)."""


class RemoteFailed(PtceError):
    """A remote store or a federated query's endpoint could not be reached or failed."""


class NoAcceptableFormat(PtceError):
    """The query's result kind has no format the client accepts."""


class QueryCrashed(PtceError):
    """The engine crashed while evaluating the query (its process died and was replaced)."""


class QueryOutOfMemory(PtceError):
    """The query needed more memory than its budget allows."""


class ResultTooLarge(PtceError):
    """The serialised result passed the size limit."""


@dataclass(frozen=True)
class QueryJob:
    """One query to run: its text, dataset, and the format to use for each kind of result (None: not acceptable).

    `row_limit`: most rows a SELECT result may have; the serialised result is cut to it (None: no limit).
    `sort_keys`: the text is the planner's, and reads the build's sort keys (`ptce.store.sort_keys`).
    """

    text: str
    result_format: str | None = "json"
    graph_format: str | None = "ttl"
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    row_limit: int | None = None
    sort_keys: bool = False


@dataclass(frozen=True)
class QueryOutput:
    kind: str  # "solutions", "boolean" or "graph"
    format_key: str
    body: bytes
    truncated: bool = False  # rows past the job's row limit were cut


class _Enough(Exception):
    """The result being written already has more rows than the job's limit."""


class _Sink:
    """A file-like object the engine writes a result into: refuses more than `limit` bytes, and stops the writer
    once a SELECT result has more than `row_limit` rows (counted each time the result doubles in size)."""

    def __init__(self, limit: int | None, format_key: str | None = None, row_limit: int | None = None):
        self.limit = limit
        self.format_key = format_key
        self.row_limit = row_limit
        self.parts: list[bytes] = []
        self.size = 0
        self._next_count = 64 * 1024

    def write(self, data) -> int:
        self.size += len(data)
        if self.limit is not None and self.size > self.limit:
            raise ResultTooLarge(self.limit)
        self.parts.append(bytes(data))
        if self.row_limit is not None and self.size >= self._next_count:
            self._next_count *= 2
            if count_rows(self.body(), self.format_key) > self.row_limit:
                raise _Enough()
        return len(data)

    def flush(self) -> None:
        pass

    def body(self) -> bytes:
        if len(self.parts) > 1:
            self.parts = [b"".join(self.parts)]
        return self.parts[0] if self.parts else b""


def execute(store, job: QueryJob, max_result_bytes: int | None = None) -> QueryOutput:
    """Run a job on a `Store` in this thread; the engine serialises the result (into at most `max_result_bytes`)."""
    try:
        result = store.query(job.text, list(job.default_graphs), list(job.named_graphs), sort_keys=job.sort_keys)
        kind = store.result_kind(result)
        key = job.graph_format if kind == "graph" else job.result_format
        if key is None:
            raise NoAcceptableFormat(kind)
        rows = job.row_limit if kind == "solutions" else None
        sink = _Sink(max_result_bytes, key, rows)
        with contextlib.suppress(_Enough):  # the writer stopped: rows past the limit are never produced
            store.serialize(result, key, sink)
        body, truncated = sink.body(), False
        if rows is not None:
            body, truncated = cut_rows(body, key, rows)
        return QueryOutput(kind, key, body, truncated)
    except SyntaxError as exc:
        raise QueryRejected(str(exc)) from None
    except UnwritableResult as exc:
        raise NoAcceptableFormat(kind, str(exc)) from None
    except RuntimeError as exc:  # the engine's evaluation errors ("The variable encoding the service name...")
        raise QueryRejected(str(exc)) from None
    except TimeoutError:  # a remote store (`ptce serve --store`) that did not answer in time
        raise QueryTimeout() from None
    except MemoryError:
        raise QueryOutOfMemory() from None
    except OSError as exc:  # a remote store failed, or a SERVICE call did (allowed, or stopped by the sandbox)
        raise RemoteFailed(str(exc)) from None


_KNOWN = (QueryRejected, NoAcceptableFormat, RemoteFailed, QueryOutOfMemory, ResultTooLarge, QueryTimeout)


def serve_jobs(inbox: Connection, outbox: Connection, store, memory_limit: int, result_bytes: int) -> None:
    """A query process, walled in already: answers jobs on `store` until its input closes."""
    from ptce.query import sandbox

    def answer_jobs():
        sandbox.name_thread(IDLE_THREAD)
        while True:
            try:
                job = inbox.recv()
            except EOFError:
                return
            sandbox.name_thread(BUSY_THREAD)
            try:
                reply = ("ok", execute(store, job, result_bytes))
            except _KNOWN as exc:
                reply = ("error", exc)
            except Exception as exc:
                reply = ("error", RuntimeError(f"{type(exc).__name__}: {exc}"))
            sandbox.name_thread(IDLE_THREAD)
            outbox.send(reply)
            if isinstance(reply[1], QueryOutOfMemory):
                return  # memory may be left fragmented or half-freed: let a fresh process take over

    threading.stack_size(QUERY_STACK_BYTES)
    worker = threading.Thread(target=answer_jobs, name=IDLE_THREAD)
    worker.start()  # its stack is reserved before the cap, so the cap leaves the query its whole budget
    if memory_limit:
        sandbox.limit_memory(memory_limit)
    outbox.send(("ready", os.getpid()))
    worker.join()


def zygote(control: socket.socket, build_dir: str, memory_limit: int, result_bytes: int, network: bool) -> None:
    """The zygote of a pool: loads the build, walls itself in, then forks a query process per request.

    Requests come over `control` (a Unix packet socket): `spawn` with three file descriptors (the job pipe, the
    reply pipe, the file for the process's stderr) is answered with the new process's id; `wait PID` with its exit
    status once it has ended (negative: the signal that ended it; empty: it did not end within 10 s). The zygote
    stays single-threaded, so a fork copies everything it holds.
    """
    from ptce.build_folder import STORE_DIR
    from ptce.query import sandbox
    from ptce.store.engine import open_build

    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl+C on the terminal: end quietly, with the server
    on_disk = (Path(build_dir) / STORE_DIR).is_dir()
    store = None if on_disk else open_build(Path(build_dir))
    if not network:
        sandbox.deny_network()  # inherited by every process forked from here
    control.send(b"ready")
    while True:
        request, fds, _, _ = socket.recv_fds(control, 64, 3)
        if not request:
            return  # the server process went away; its query processes end when their pipes close
        if request == b"spawn":
            pid = os.fork()
            if pid == 0:
                _forked(control, fds, store, build_dir, memory_limit, result_bytes)
            for fd in fds:
                os.close(fd)
            control.send(str(pid).encode())
        elif request.startswith(b"wait "):
            status = _exit_status(int(request.split()[1]))
            control.send(b"" if status is None else str(status).encode())


def _forked(control: socket.socket, fds: list[int], store, build_dir: str, memory_limit: int,
            result_bytes: int) -> None:  # fmt: skip
    """In a process just forked by the zygote: become a query process, and never return to the zygote's loop."""
    code = 1
    try:
        control.close()
        job_pipe, reply_pipe, errors = fds
        os.dup2(errors, 2)
        os.close(errors)
        if store is None:
            from ptce.store.engine import open_build

            store = open_build(Path(build_dir))
        serve_jobs(Connection(job_pipe, writable=False), Connection(reply_pipe, readable=False), store,
                   memory_limit, result_bytes)  # fmt: skip
        code = 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)


def _exit_status(pid: int, timeout: float = 10.0) -> int | None:
    """Reap a process forked by this one: its exit code (negative for a signal), or None if it runs past `timeout`."""
    import select

    try:
        with contextlib.closing(_PidFd(pid)) as handle:
            if not select.select([handle.fd], [], [], timeout)[0]:
                return None
    except ProcessLookupError:
        pass
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status)


class _PidFd:
    """A file descriptor that becomes readable when the process ends (Linux's pidfd)."""

    def __init__(self, pid: int):
        self.fd = os.pidfd_open(pid)

    def close(self) -> None:
        os.close(self.fd)


class _Zygote:
    """The server side of a pool's zygote (`zygote`): a `python -m ptce.query.runner` process, reached over a
    Unix packet socket; it inherits nothing else of the server."""

    def __init__(self, build_dir: str, memory_limit: int, result_bytes: int, network: bool, start_timeout: float):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the process's life: what it prints)
        env = {**os.environ, "RUST_BACKTRACE": "0"}
        args = [str(theirs.fileno()), build_dir, str(memory_limit), str(result_bytes), str(int(network))]
        self.process = subprocess.Popen(
            [sys.executable, "-m", __name__, *args], pass_fds=(theirs.fileno(),), stderr=self.errors, env=env
        )
        theirs.close()
        self.control = ours
        self.lock = threading.Lock()
        ours.settimeout(start_timeout)
        try:
            ready = ours.recv(16)
        except TimeoutError:
            self.kill()
            raise RuntimeError(f"the query processes' zygote did not start within {start_timeout:g} s") from None
        if ready != b"ready":
            raise RuntimeError(f"the query processes could not start: {self.kill()}")
        ours.settimeout(None)

    def _ask(self, request: bytes, fds: list[int] = ()) -> bytes:
        with self.lock:
            try:
                socket.send_fds(self.control, [request], list(fds))
                answer = self.control.recv(64)
            except OSError:
                answer = b""
        if not answer and self.process.poll() is not None:
            raise RuntimeError(f"the query processes' zygote ended ({self.process.returncode})")
        return answer

    def spawn(self, job_pipe: int, reply_pipe: int, errors: int) -> int:
        """Fork a query process reading jobs from `job_pipe`, replying on `reply_pipe`; returns its process id."""
        answer = self._ask(b"spawn", [job_pipe, reply_pipe, errors])
        if not answer.isdigit():
            raise RuntimeError("the query processes' zygote ended while forking")
        return int(answer)

    def exit_status(self, pid: int) -> int | None:
        """The exit code of a query process that has ended (reaping it), None if it has not within 10 s."""
        try:
            answer = self._ask(b"wait %d" % pid)
        except RuntimeError:
            return None  # the zygote is gone: its processes were handed to the system, which reaps them
        return int(answer) if answer else None

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> str:
        """End the zygote (its query processes end when their pipes close); returns what it printed."""
        if self.errors.closed:
            return f"exit status {self.process.returncode}"
        self.process.kill()
        self.process.wait(10)
        self.control.close()
        self.errors.seek(0)
        printed = self.errors.read()[-4000:].decode("utf-8", "replace").strip()
        self.errors.close()
        return printed or f"exit status {self.process.returncode}"


class _Child:
    """A query process forked by the zygote, reached over two pipes."""

    def __init__(self, zygote: _Zygote):
        from_parent, to_child = os.pipe()
        from_child, to_parent = os.pipe()
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 (kept open for the process's life: what it prints)
        self.zygote = zygote
        try:
            self.pid = zygote.spawn(from_parent, to_parent, self.errors.fileno())
        finally:
            os.close(from_parent)
            os.close(to_parent)
        self.outbox = Connection(to_child, readable=False)
        self.inbox = Connection(from_child, writable=False)
        self.ready = False

    def ended(self) -> bool:
        """Whether the process has ended while idle (its end of the reply pipe is closed)."""
        if not self.inbox.poll(0):
            return False
        if self.ready:
            return True  # an idle process sends nothing: what is readable is the end of the pipe
        try:
            self.inbox.recv()
        except EOFError:
            return True
        self.ready = True
        return False

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)  # never reaped before `exit_status`, so the id is still this process's
        self.zygote.exit_status(self.pid)
        self.close()

    def close(self) -> None:
        self.outbox.close()
        self.inbox.close()
        self.errors.close()

    def death(self) -> Exception:
        """Why this process died (it has): the exception to raise for the query it was running."""
        code = self.zygote.exit_status(self.pid)
        self.errors.seek(0)
        printed = self.errors.read()[-4000:].decode("utf-8", "replace")
        self.close()
        if printed:
            sys.stderr.write(f"[ptce] query process {self.pid} died ({code}):\n{printed}\n")
            sys.stderr.flush()
        if "memory allocation of" in printed or "MemoryError" in printed:
            return QueryOutOfMemory()
        if "panicked at" in printed:
            lines = printed.split("panicked at", 1)[1].splitlines()
            message = next((line.strip() for line in lines[1:] if line.strip()), "the engine panicked")
            return QueryCrashed(f"the query engine failed on this query: {message}")
        if code == -signal.SIGSEGV:
            return QueryCrashed("the query engine crashed on this query (most likely its stack overflowed)")
        return QueryCrashed(f"the query process ended unexpectedly (exit status {code})")


class ProcessRunner:
    """A pool of query processes holding the build; a query that kills or outlasts its process gets it replaced.

    `network`: whether the processes may open connections (only for federated queries, see the module docstring).
    """

    def __init__(self, build_dir: Path, size: int = 2, start_timeout: float = 120.0,
                 memory_limit: int = DEFAULT_MEMORY_LIMIT, result_bytes: int = DEFAULT_RESULT_BYTES,
                 network: bool = False):  # fmt: skip
        self.build_dir = str(build_dir)
        self.size = size
        self.start_timeout = start_timeout
        self.memory_limit = memory_limit
        self.result_bytes = result_bytes
        self.network = network
        self._idle: queue.Queue[_Child] = queue.Queue()
        self._zygote: _Zygote | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    def _new_child(self) -> _Child:
        """A new query process, forked by the zygote; if the zygote dies while forking, once more with a new one."""
        zygote = self._live_zygote()
        try:
            return _Child(zygote)
        except RuntimeError:
            with self._lock:
                if self._zygote is zygote:
                    zygote.kill()
                    self._zygote = None
        return _Child(self._live_zygote())

    def _live_zygote(self) -> _Zygote:
        """This pool's zygote, started (again) if it has none or it has ended."""
        with self._lock:
            if self._zygote is None or not self._zygote.alive():
                if self._zygote is not None:
                    self._zygote.kill()
                self._zygote = _Zygote(self.build_dir, self.memory_limit, self.result_bytes, self.network,
                                       self.start_timeout)  # fmt: skip
            return self._zygote

    def _fill(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()  # first use in this (possibly forked) process: nothing inherited is ours
            self._idle, self._zygote = queue.Queue(), None
        for _ in range(self.size):
            self._idle.put(self._new_child())

    def _wait_ready(self, child: _Child) -> None:
        if child.ready:
            return
        if not child.inbox.poll(self.start_timeout):
            raise RuntimeError(f"the query process did not start within {self.start_timeout:g} s")
        try:
            child.inbox.recv()
        except EOFError:
            raise RuntimeError(f"the query process could not start: {child.death()}") from None
        child.ready = True

    def run(self, job: QueryJob, timeout: float) -> QueryOutput:
        """Run a job in one of the processes; raises the job's error, or `QueryTimeout` past `timeout` seconds."""
        self._fill()
        child = self._idle.get()
        if child.ended():  # died while idle (killed from outside): this job takes a fresh one
            child.kill()
            child = self._new_child()
        replace = True
        try:
            self._wait_ready(child)
            child.outbox.send(job)
            if not child.inbox.poll(timeout):
                child.kill()
                raise QueryTimeout(timeout)
            try:
                status, value = child.inbox.recv()
            except EOFError:
                raise child.death() from None
            replace = isinstance(value, QueryOutOfMemory)
            if replace:
                child.kill()
        except (OSError, RuntimeError):
            child.kill()
            raise
        finally:
            self._idle.put(self._new_child() if replace else child)
        if status == "error":
            raise value
        return value

    @property
    def zygote_pid(self) -> int | None:
        """The process id of this pool's zygote in this process, if it has one (for monitoring and tests)."""
        zygote = self._zygote if self._pid == os.getpid() else None
        return zygote.process.pid if zygote is not None and zygote.alive() else None

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get().kill()
        if self._zygote is not None and self._pid == os.getpid():
            self._zygote.kill()
            self._zygote = None


if __name__ == "__main__":  # a zygote: python -m ptce.query.runner SOCKET BUILD MEMORY RESULT_BYTES NETWORK
    from ptce.query.runner import zygote as _zygote  # so that pickled results name ptce.query.runner, not __main__

    _zygote(
        socket.socket(fileno=int(sys.argv[1])),
        sys.argv[2],
        int(sys.argv[3]),
        int(sys.argv[4]),
        sys.argv[5] == "1",
    )
