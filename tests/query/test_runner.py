"""The pool of query processes: a process that dies is replaced by a fork of the pool's zygote, which holds the
build already, so a client whose queries keep crashing costs no interpreter start and no build load.

The pool is used directly here (as a server process uses it); the server-level behaviour (each breaking query
answered, others unaffected) is in test_query_of_death.py.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest

from ptce.build.pipeline import publish_build
from ptce.query import runner
from ptce.query.runner import BUSY_THREAD, ProcessRunner, QueryCrashed, QueryJob
from ptce.web.server import process_tree

from ..sample_queries import SORT_PANIC
from ..waiting import wait_for

ASK = QueryJob("ASK { ?s ?p ?o }")
CROSS_PRODUCT = QueryJob("SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def threads_of(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


def zygote_and_children(pool: ProcessRunner) -> tuple[int, set[int]]:
    """The pool's zygote (a child of this process) and the query processes it forked."""
    zygote = pool.zygote_pid
    assert zygote is not None and parent_of(zygote) == os.getpid()
    return zygote, {pid for pid in process_tree(zygote) if pid != zygote}


@pytest.fixture
def pool(build_dir):
    runner = ProcessRunner(build_dir, size=2)
    yield runner
    runner.close()


def test_a_crashed_query_process_is_replaced_by_a_fork_of_the_zygote(pool):
    assert pool.run(ASK, 60).body.endswith(b"true}")
    zygote, before = zygote_and_children(pool)
    assert len(before) == 2 and all(parent_of(pid) == zygote for pid in before)
    for _ in range(3):
        with pytest.raises(QueryCrashed, match="total order"):
            pool.run(QueryJob(SORT_PANIC), 60)
    assert pool.run(ASK, 60).body.endswith(b"true}")
    same_zygote, after = zygote_and_children(pool)
    assert same_zygote == zygote  # no new interpreter: the replacements were forked
    assert len(after) == 2 and after != before and all(parent_of(pid) == zygote for pid in after)
    assert threads_of(zygote) == 1  # single-threaded, so a fork copies all it holds


def test_the_exit_status_of_a_killed_query_process_comes_back_through_the_zygote(pool):
    assert pool.run(ASK, 60).body.endswith(b"true}")
    outcome: list[BaseException] = []

    def run():
        try:
            pool.run(CROSS_PRODUCT, 600)
        except QueryCrashed as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    busy = wait_for(lambda: [pid for pid in zygote_and_children(pool)[1] if _busy(pid)], "a busy query process")
    os.kill(busy[0], signal.SIGKILL)
    thread.join()
    assert "exit status -9" in str(outcome[0])
    assert pool.run(ASK, 60).body.endswith(b"true}")


def _busy(pid: int) -> bool:
    try:
        return any(p.read_text().strip() == BUSY_THREAD for p in Path(f"/proc/{pid}/task").glob("*/comm"))
    except OSError:
        return False


def test_a_zygote_that_died_is_started_again(pool):
    assert pool.run(ASK, 60).body.endswith(b"true}")
    zygote, _ = zygote_and_children(pool)
    os.kill(zygote, signal.SIGKILL)
    with pytest.raises(QueryCrashed):  # its query processes still answer; a crash needs a new one
        pool.run(QueryJob(SORT_PANIC), 60)
    for _ in range(4):
        assert pool.run(ASK, 60).body.endswith(b"true}")
    assert zygote_and_children(pool)[0] != zygote


def test_an_on_disk_store_is_opened_after_the_fork(tmp_path):
    """The engine's on-disk store keeps threads that a fork would not copy: the zygote never opens it."""
    out = tmp_path / "dist"
    publish_build(out, on_disk=True)
    runner = ProcessRunner(out, size=1)
    try:
        assert runner.run(ASK, 60).body.endswith(b"true}")
        with pytest.raises(QueryCrashed, match="total order"):
            runner.run(QueryJob(SORT_PANIC), 60)
        assert runner.run(QueryJob("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"), 60).body.count(b'"value"') == 1
        zygote, _ = zygote_and_children(runner)
        assert threads_of(zygote) == 1
    finally:
        runner.close()


def test_a_zygote_that_dies_while_forking_is_replaced_and_the_fork_retried(pool, monkeypatch):
    assert pool.run(ASK, 60).body.endswith(b"true}")
    first = pool.zygote_pid
    real = runner._Zygote.spawn
    failures = []

    def dies_once(self, *fds):
        if not failures:
            failures.append(self.process.pid)
            raise RuntimeError("the query processes' zygote ended while forking")
        return real(self, *fds)

    monkeypatch.setattr(runner._Zygote, "spawn", dies_once)
    with pytest.raises(QueryCrashed):  # its process dies; the replacement's first fork fails, the second works
        pool.run(QueryJob(SORT_PANIC), 60)
    assert failures == [first] and pool.zygote_pid not in (None, first)
    for _ in range(3):
        assert pool.run(ASK, 60).body.endswith(b"true}")
