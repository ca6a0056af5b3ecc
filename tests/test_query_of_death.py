"""Queries of death against a real `ptce serve`: stopped at the timeout with 503, others answered meanwhile.

Each expensive query (a cross product, a costly regular expression over one, a deep property path) runs
for longer than the server's one-second limit. While it runs, another client's simple query is answered; the
query ends with `503` and its message; afterwards more queries than there are workers all succeed (no worker
is lost for good), and the server's resident memory comes back near its level (a generous bound: the figures
are in bench/RESULTS.md).
"""

from __future__ import annotations

import json
import threading

import pytest

from ptce.server import process_tree_rss

from .live_server import fetch, live_server
from .sample_queries import QUERIES_OF_DEATH as DEATHS
from .sample_queries import SIMPLE_QUERY as SIMPLE

pytestmark = pytest.mark.server
WORKERS = 2


@pytest.fixture(scope="module")
def server(build_dir, tmp_path_factory):
    args = ("--build", str(build_dir), "--timeout", "1", "--workers", str(WORKERS))
    with live_server(tmp_path_factory.mktemp("death"), *args) as live:
        yield live


def answers(server) -> bool:
    status, body = fetch(server, SIMPLE)
    return status == 200 and json.loads(body)["boolean"] is True


@pytest.mark.parametrize("name", DEATHS)
def test_a_query_of_death_is_stopped_while_others_are_answered(server, name):
    assert answers(server)
    outcome: list[tuple[int, str]] = []
    death = threading.Thread(target=lambda: outcome.append(fetch(server, DEATHS[name])))
    death.start()
    answered_during = 0
    while death.is_alive():
        if answers(server) and death.is_alive():
            answered_during += 1
    death.join()
    assert outcome == [(503, "Query timed out after 1 s.\n")]
    assert answered_during > 0, "no simple query was answered while the query of death ran"
    for _ in range(3 * WORKERS):  # every worker answers again
        assert answers(server)
    assert server.process.poll() is None


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
