"""A function run in a forked child: its result, its error, its death, and the parent going on meanwhile."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from ptce.forked import ChildTraceback, Forked

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
