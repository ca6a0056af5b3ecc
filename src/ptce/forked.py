"""Run a function in a forked child process while the caller goes on, and take its result when needed.

A build validates, converts dumps and computes the links at once on a 2-core machine. `multiprocessing.Pool`
would leave three threads in the parent, which forks again meanwhile (a fork with threads running may deadlock
the child); a `Forked` is one plain process and one pipe. The child has its copy of the parent's memory from
the fork (copy on write): the caller may change its objects meanwhile without the child seeing it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import traceback
from collections.abc import Callable
from typing import Any


class ChildTraceback(Exception):
    """The traceback of an error raised in a forked child, as text (the cause of the error raised again)."""


class Forked:
    """`function(*args)` running in a forked child process; `wait()` gives its result or raises its error.

    The child is a daemon (it ends with its parent) unless `forks`: it forks processes of its own then, which
    a daemon may not. It then leads a process group of its own, which its processes join, and `close` kills the
    group: a signal it would have to handle itself may be delivered to one of its threads (a queue's feeder)
    while its main thread waits on a pipe, which is then never interrupted."""

    def __init__(self, function: Callable, *args: Any, forks: bool = False):
        context = multiprocessing.get_context("fork")
        reader, writer = context.Pipe(duplex=False)
        self._process = context.Process(target=_run, args=(writer, function, args, forks), daemon=not forks)
        self._process.start()
        self._group = self._process.pid if forks else None
        if forks:
            _lead_group(self._process.pid)  # here too: the group exists before `close` can be called
        writer.close()  # the child's end: the parent sees EOF if the child dies before it answers
        self._reader = reader
        self._answer: tuple | None = None

    def wait(self) -> Any:
        """The function's return value (waiting for it); its exception, raised again here, if it failed."""
        if self._answer is None:
            try:
                self._answer = self._reader.recv()
            except EOFError:
                self._process.join()  # its end of the pipe is closed: it has ended
                code = self._process.exitcode
                raise RuntimeError(f"the child process died before answering (exit code {code})") from None
            finally:
                self.close()
        ok, value, text = self._answer
        if not ok:
            raise value from ChildTraceback(text)
        return value

    def close(self) -> None:
        """Stop the child if it still runs (a caller that fails elsewhere does not wait for it), and with `forks`
        the processes of its group."""
        if self._group is not None and self._answer is None:
            with contextlib.suppress(ProcessLookupError):  # the group has ended
                os.killpg(self._group, signal.SIGKILL)
        elif self._process.is_alive() and self._answer is None:
            self._process.terminate()
        self._process.join()
        self._reader.close()


def _lead_group(pid: int) -> None:
    """Make `pid` the leader of a process group of its own (from the parent or the child, whichever runs first)."""
    with contextlib.suppress(PermissionError, ProcessLookupError):  # the child did it and may have ended
        os.setpgid(pid, pid)


def _run(writer, function: Callable, args: tuple, leads_group: bool = False) -> None:
    """The child: call the function, send (ok, value or exception, traceback text) to the parent."""
    if leads_group:
        _lead_group(0)
    with writer:
        try:
            answer = (True, function(*args), None)
        except Exception as exc:
            answer = (False, exc, traceback.format_exc())
        try:
            writer.send(answer)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            if answer[0]:
                message = text = f"the result could not be sent to the parent: {exc!r}"
            else:
                text = answer[2]
                message = f"{text.strip().splitlines()[-1]} (in the child; not sent to the parent: {exc!r})"
            writer.send((False, RuntimeError(message), text))
