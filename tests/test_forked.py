"""A function run in a forked child: its result, its error, its death, and the parent going on meanwhile."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from pathlib import Path

import pytest

from ptce.forked import ChildTraceback, Forked

from .waiting import GIVE_UP, wait_for

FORK = multiprocessing.get_context("fork")


def pid_and(value):
    return os.getpid(), value


def test_the_result_comes_from_another_process():
    pid, value = Forked(pid_and, {"a": [1, 2]}).wait()
    assert value == {"a": [1, 2]} and pid != os.getpid()


def copy_after(event, items):
    event.wait()
    return list(items)


def test_the_child_keeps_its_copy_while_the_parent_changes_its_objects():
    items, event = [1, 2, 3], FORK.Event()
    child = Forked(copy_after, event, items)
    items.append(4)
    event.set()
    assert child.wait() == [1, 2, 3]


def fails(text):
    raise ValueError(text)


def test_an_error_is_raised_again_with_the_childs_traceback():
    with pytest.raises(ValueError, match="bad data") as raised:
        Forked(fails, "bad data").wait()
    assert isinstance(raised.value.__cause__, ChildTraceback)
    assert "in fails" in str(raised.value.__cause__)


def unpicklable():
    return threading.Lock()


def test_a_result_that_cannot_be_sent_is_an_error():
    with pytest.raises(RuntimeError, match="pickle"):
        Forked(unpicklable).wait()


def dies():
    os._exit(3)


def test_a_child_that_dies_is_an_error_naming_its_exit_code():
    with pytest.raises(RuntimeError, match="exit code 3"):
        Forked(dies).wait()


def test_close_stops_a_child_still_running():
    child = Forked(copy_after, FORK.Event(), [])
    child.close()
    assert not child._process.is_alive() and child._process.exitcode != 0


class Unpicklable(Exception):
    def __init__(self, lock):
        super().__init__("with a lock")
        self.lock = lock

    def __reduce__(self):
        raise TypeError("cannot pickle a lock")


def fails_unpicklably():
    raise Unpicklable(threading.Lock())


def test_an_error_that_cannot_be_sent_is_named_all_the_same():
    with pytest.raises(RuntimeError, match=r"Unpicklable: with a lock \(in the child; not sent") as raised:
        Forked(fails_unpicklably).wait()
    assert "in fails_unpicklably" in str(raised.value.__cause__)


def ended(pid: int) -> bool:
    """Gone, or a zombie nobody reaps (this machine's first process may not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")


def deaf_to_sigterm(pids):
    """A child that forks a worker of its own, then waits on a pipe forever while a SIGTERM can only reach a
    thread of its (as when a queue's feeder thread takes the signal): its main thread is never interrupted."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    worker = os.fork()
    if worker == 0:
        threading.Event().wait()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    threading.Thread(target=threading.Event().wait, daemon=True).start()  # the only thread taking SIGTERM
    pids.put(worker)
    reader, _writer = os.pipe()
    os.read(reader, 1)


def test_closing_a_child_that_forks_ends_it_and_its_processes_whatever_its_threads_do():
    pids = FORK.Queue()
    child = Forked(deaf_to_sigterm, pids, forks=True)
    worker = pids.get(timeout=GIVE_UP)
    pid = child._process.pid
    assert os.getpgid(pid) == pid == os.getpgid(worker)  # the child leads a group of its own, its worker in it
    closing = threading.Thread(target=child.close, daemon=True)
    closing.start()
    wait_for(lambda: not closing.is_alive(), "close to return")
    wait_for(lambda: ended(pid) and ended(worker), "the child and its worker to end")
