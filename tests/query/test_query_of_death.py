"""Queries of death against a real `ptce serve`: each costs its own request, never the server or other clients.

- Expensive queries (a cross product, a costly regular expression over one, a deep property path) run past the
  server's one-second limit and end with `503`; afterwards more queries than there are workers all succeed.
- A query that makes the engine panic, one nested too deep, a long flat chain and a memory bomb each get an HTTP
  answer, and the next request succeeds; the memory bomb never grows the server by more than its limit.
- While a query of death runs, another client's simple query is answered. This is checked on a server with a
  long time limit, by waiting for conditions (a query process busy evaluating), never for durations; the busy
  query process is then killed from outside, and its request still gets an answer.
"""

from __future__ import annotations

import json
import os
import signal
import threading

import pytest

from ptce.web.server import process_tree_rss

from ..live_server import fetch, live_server
from ..sample_queries import DEEP_NESTING, LONG_CHAIN, MEMORY_BOMB, SORT_PANIC
from ..sample_queries import QUERIES_OF_DEATH as DEATHS
from ..sample_queries import SIMPLE_QUERY as SIMPLE
from ..waiting import GIVE_UP, busy_query_processes, wait_for

pytestmark = pytest.mark.server
WORKERS = 2
MEMORY_MIB = 256


@pytest.fixture(scope="module")
def server(build_dir, tmp_path_factory):
    args = ("--build", str(build_dir), "--timeout", "1", "--workers", str(WORKERS))
    with live_server(tmp_path_factory.mktemp("death"), *args, "--max-query-memory", str(MEMORY_MIB)) as live:
        yield live


@pytest.fixture(scope="module")
def patient(build_dir, tmp_path_factory):
    """A server whose time limit no test reaches."""
    args = ("--build", str(build_dir), "--timeout", str(GIVE_UP), "--workers", str(WORKERS))
    with live_server(tmp_path_factory.mktemp("patient"), *args, "--max-query-memory", str(MEMORY_MIB)) as live:
        yield live


def answers(server, source: str | None = None) -> bool:
    status, body = fetch(server, SIMPLE, source=source)
    return status == 200 and json.loads(body)["boolean"] is True


def in_thread(server, query: str) -> tuple[threading.Thread, list]:
    outcome: list[tuple[int, str]] = []
    thread = threading.Thread(target=lambda: outcome.append(fetch(server, query, "POST")))
    thread.start()
    return thread, outcome


@pytest.mark.parametrize("name", DEATHS)
def test_a_query_of_death_is_stopped_and_every_worker_answers_again(server, name):
    assert answers(server)
    assert fetch(server, DEATHS[name]) == (503, "Query timed out after 1 s.\n")
    for _ in range(3 * WORKERS):
        assert answers(server)
    assert server.process.poll() is None


@pytest.mark.parametrize("name", DEATHS)
def test_other_clients_are_answered_while_a_query_of_death_runs(patient, name):
    for _ in range(2 * WORKERS):  # every worker has its query processes, loaded and idle
        assert answers(patient)
    death, outcome = in_thread(patient, DEATHS[name])
    pid = wait_for(lambda: busy_query_processes(patient), "a query process to evaluate the query of death")[0]
    assert answers(patient, source="127.0.0.2")  # another client: the fair share keeps a worker for it
    assert death.is_alive()  # the query of death was still running while the simple query was answered
    os.kill(pid, signal.SIGKILL)  # as an out-of-memory killer would
    death.join()
    status, body = outcome[0]
    assert status == 500 and "ended unexpectedly" in body and "other queries" in body
    for _ in range(3 * WORKERS):
        assert answers(patient)


@pytest.mark.parametrize(
    ("query", "times", "status", "message"),
    [
        (SORT_PANIC, 3, 500, "does not correctly implement a total order"),
        (DEEP_NESTING, 3, 400, "at most 64 levels"),
        (LONG_CHAIN, 1, 200, '"boolean":true'),  # the engine parses it slowly, but on a stack deep enough
        (MEMORY_BOMB, 3, 507, f"more than its {MEMORY_MIB} MiB of memory"),
    ],
    ids=["engine panic", "deep nesting", "long chain", "memory bomb"],
)
def test_a_query_that_breaks_the_engine_costs_only_its_own_request(patient, query, times, status, message):
    server = patient
    others = []
    bystander = threading.Event()

    def keep_asking():
        while not bystander.is_set():
            others.append(answers(server))

    asking = threading.Thread(target=keep_asking)
    asking.start()
    try:
        for _ in range(times):  # repeatedly: a replaced query process is ready for the next one
            answer = fetch(server, query, "POST")
            assert answer[0] == status and message in answer[1], answer
    finally:
        bystander.set()
        asking.join()
    assert others and all(others)
    for _ in range(3 * WORKERS):
        assert answers(server)
    assert server.process.poll() is None


def test_a_memory_bomb_never_grows_the_server_past_its_limit(patient):
    server = patient
    for _ in range(2 * WORKERS):
        answers(server)
    before = process_tree_rss(server.process.pid)
    bomb, outcome = in_thread(server, MEMORY_BOMB)
    peak = before
    while bomb.is_alive():
        peak = max(peak, process_tree_rss(server.process.pid))
    bomb.join()
    assert outcome[0][0] == 507
    # the bomb's process may take its whole budget; nothing else grows (a fresh query process replaces it after)
    assert peak - before < (MEMORY_MIB + 64) * 2**20, (before, peak)


def test_memory_comes_back_after_queries_of_death(server):
    for _ in range(2 * WORKERS):
        answers(server)
    before = process_tree_rss(server.process.pid)
    for query in DEATHS.values():
        assert fetch(server, query)[0] == 503
    for _ in range(3 * WORKERS):
        assert answers(server)
    after = process_tree_rss(server.process.pid)
    assert after < before * 1.5 + 64 * 2**20, (before, after)
