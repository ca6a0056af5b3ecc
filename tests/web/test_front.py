"""The front of `ptce serve`: slow clients cost nothing, and one client's queries of death leave others served.

Every check waits for a condition (a slow connection open, a query process busy), never for a duration: a test
of this kind that passes on an idle machine passes on a loaded one. Clients are told apart by their source
address on the loopback network (127.0.0.2, 127.0.0.3, ...).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import signal
import socket
import threading
import time
import urllib.parse

import pytest

from ptce.web.front import FairShare, Front, FrontConfig, Refused, Request

from ..live_server import live_server
from ..sample_queries import QUERIES_OF_DEATH, SIMPLE_QUERY
from ..source_text import rename_cohose
from ..waiting import GIVE_UP, busy_query_processes, wait_for

pytestmark = pytest.mark.server
WORKERS = 3


@pytest.fixture(scope="module")
def server(build_dir, tmp_path_factory):
    args = ("--build", str(build_dir), "--timeout", str(GIVE_UP), "--workers", str(WORKERS))
    with live_server(tmp_path_factory.mktemp("front"), *args) as live:
        yield live


def request_from(server, source: str, query: str, timeout: float = GIVE_UP) -> tuple[int, dict, bytes]:
    """A GET of /sparql from the loopback address `source`; (status, headers, body)."""
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0)) as conn:
        target = "/sparql?" + urllib.parse.urlencode({"query": query})
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def simple_answered(server, source: str) -> bool:
    status, _, body = request_from(server, source, SIMPLE_QUERY)
    return status == 200 and json.loads(body)["boolean"] is True


def test_slow_connections_hold_no_server_process(server):
    port = int(server.url.rsplit(":", 1)[1])
    slow = []
    try:
        for i in range(200):
            conn = socket.create_connection(("127.0.0.1", port), timeout=30)
            if i % 2:  # headers that never end
                conn.sendall(b"GET /-/version HTTP/1.1\r\nHost: test\r\n")
            else:  # a body that never comes
                conn.sendall(b"POST /sparql HTTP/1.1\r\nHost: test\r\nContent-Type: application/sparql-query\r\n"
                             b"Content-Length: 100\r\n\r\nASK")  # fmt: skip
            slow.append(conn)
        for _ in range(2 * WORKERS):  # more requests than server processes: none of them is held
            assert simple_answered(server, "127.0.0.1")
    finally:
        for conn in slow:
            conn.close()


def test_an_incomplete_request_is_answered_when_its_time_is_up(build_dir, tmp_path):
    """The header timeout ends a request that never completes, with 408, and the connection is closed."""
    with live_server(tmp_path, "--build", str(build_dir), "--workers", "1", "--header-timeout", "1") as live:
        port = int(live.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=GIVE_UP) as conn:
            conn.sendall(b"GET /-/version HTTP/1.1\r\nHost: test\r\n")
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
        assert data.startswith(b"HTTP/1.1 408 ") and b"did not arrive within 1 s" in data


def test_queries_of_death_from_one_client_leave_another_served(server):
    """8 looping queries of death from 127.0.0.2; 127.0.0.3's simple queries are answered while they all run."""
    greedy = "127.0.0.2"
    stop = threading.Event()
    statuses: list[int] = []

    def loop():
        while not stop.is_set():
            statuses.append(request_from(server, greedy, QUERIES_OF_DEATH["cross product"])[0])

    threads = [threading.Thread(target=loop) for _ in range(8)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(busy_query_processes(server)) >= WORKERS - 1, "the greedy client to fill its share")
        assert len(busy_query_processes(server)) == WORKERS - 1  # the last server process is kept for others
        for _ in range(5):
            assert simple_answered(server, "127.0.0.3")
        assert statuses == []  # not one of the queries of death has finished meanwhile
    finally:
        stop.set()
        deadline = time.monotonic() + GIVE_UP
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            for pid in busy_query_processes(server):  # end the queries of death, as a time limit would
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
        for t in threads:
            t.join()
    assert statuses and set(statuses) == {500}
    assert simple_answered(server, greedy)  # and the greedy client is served again


def test_a_lone_client_is_queued_never_refused():
    async def scenario():
        share = FairShare(slots=2, max_queue=100, budget=1e9, half_life=60)
        order = []

        async def one(i):
            async with share.turn("127.0.0.2"):
                order.append(i)
                await asyncio.sleep(0)

        await asyncio.gather(*(one(i) for i in range(50)))
        return order

    assert sorted(asyncio.run(scenario())) == list(range(50))


def test_a_full_queue_or_a_spent_budget_gets_429_only_while_others_wait():
    async def scenario():
        share = FairShare(slots=2, max_queue=2, budget=5.0, half_life=60)
        release = asyncio.Event()
        held = []

        async def hold(name):
            async with share.turn(name):
                held.append(name)
                await release.wait()

        first = asyncio.ensure_future(hold("a"))  # a takes the one slot it may take alone
        queued = [asyncio.ensure_future(hold("a")) for _ in range(2)]
        await asyncio.sleep(0)
        with pytest.raises(Refused) as full:
            async with share.turn("a"):
                pass
        assert full.value.status == 429 and dict(full.value.headers)["Retry-After"] == "1"
        other = asyncio.ensure_future(hold("b"))  # b gets the slot kept for others
        await asyncio.sleep(0)
        assert held == ["a", "b"]
        share.clients["a"].cost = 30.0  # a has used much server time
        waiting_c = asyncio.ensure_future(hold("c"))
        await asyncio.sleep(0)
        with pytest.raises(Refused) as spent:
            async with share.turn("a"):
                pass
        assert spent.value.status == 429 and int(dict(spent.value.headers)["Retry-After"]) > 60
        release.set()
        await asyncio.gather(first, *queued, other, waiting_c)
        assert sorted(held) == ["a", "a", "a", "b", "c"]

    asyncio.run(scenario())


def test_behind_a_trusted_proxy_the_client_is_the_address_it_forwards():
    front = Front(FrontConfig(backend="unused", slots=2, trusted_proxies=frozenset({"127.0.0.1"})))

    def via(peer: str, forwarded: str) -> str:
        return front.client_of(peer, Request("GET", "/", "HTTP/1.1", [("X-Forwarded-For", forwarded)]))

    assert via("127.0.0.1", "203.0.113.9") == "203.0.113.9"
    # a client cannot choose its name: only the address the trusted proxy added counts
    assert via("127.0.0.1", "198.51.100.1, 203.0.113.9") == "203.0.113.9"
    assert via("127.0.0.5", "203.0.113.9") == "127.0.0.5"  # not a trusted proxy: its own address


def cached_answer(server, query: str, **headers) -> tuple[int, dict, bytes]:
    return get(server, "/sparql?" + urllib.parse.urlencode({"query": query}), **headers)


def get(server, target: str, **headers) -> tuple[int, dict, bytes]:
    port = int(server.url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=GIVE_UP)
    try:
        conn.request("GET", target, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_the_front_gives_kept_answers_again_and_revalidates_them(server):
    query = "SELECT ?n WHERE { <https://w3id.org/ptce/id/ptce/cohose> skos:prefLabel ?n }"
    status, first, body = cached_answer(server, query)
    assert status == 200 and "X-Front-Cache" not in first and first["ETag"]
    status, again, same = cached_answer(server, query)
    assert status == 200 and again["X-Front-Cache"] == "hit" and same == body
    status, revalidated, empty = cached_answer(server, query, **{"If-None-Match": first["ETag"]})
    assert status == 304 and empty == b"" and revalidated["ETag"] == first["ETag"]
    # another format is another answer; what may change from one run to the next is never kept
    assert "X-Front-Cache" not in cached_answer(server, query, Accept="text/csv")[1]
    for _ in range(2):
        assert "X-Front-Cache" not in cached_answer(server, "SELECT (RAND() AS ?r) WHERE {}")[1]
    assert "X-Front-Cache" not in cached_answer(server, query, Authorization="Basic eDp5")[1]


def test_a_network_figure_is_drawn_once_per_build_and_parameters(server):
    """A new layout seed costs a drawing (charged to the client's share like any request); asked again, it is kept."""
    target = "/network.png?seed=4242"
    status, first, figure = get(server, target)
    assert status == 200 and figure.startswith(b"\x89PNG") and first["ETag"] and "public" in first["Cache-Control"]
    assert "X-Front-Cache" not in first
    status, again, same = get(server, target)
    assert status == 200 and again["X-Front-Cache"] == "hit" and same == figure
    status, _, empty = get(server, target, **{"If-None-Match": first["ETag"]})
    assert status == 304 and empty == b""
    status, other, _ = get(server, "/network.png?seed=4243")
    assert status == 200 and "X-Front-Cache" not in other


def test_a_reload_empties_the_kept_answers(tmp_path, data_copy):
    from ptce.build.pipeline import publish_build

    out = tmp_path / "dist"
    publish_build(out, data_copy)
    query = "SELECT ?n WHERE { <https://w3id.org/ptce/id/ptce/cohose> skos:prefLabel ?n }"
    with live_server(tmp_path, "--build", str(out), "--workers", "2") as live:
        for _ in range(2):
            _, headers, body = cached_answer(live, query)
        assert headers["X-Front-Cache"] == "hit" and b'"CoHose"' in body
        rename_cohose(data_copy, "CoHose Ter")
        publish_build(out, data_copy)
        live.process.send_signal(signal.SIGHUP)

        wait_for(lambda: b"CoHose Ter" in cached_answer(live, query)[2], "the new build's answer")
        for _ in range(5):  # and never the old one again
            assert b"CoHose Ter" in cached_answer(live, query)[2]


def test_what_the_front_keeps_and_for_how_long():
    from ptce.web.front import AnswerCache

    def answer(build: str, **headers) -> bytes:
        fields = {"Cache-Control": "public, max-age=300", "ETag": '"e1"', "Vary": "Accept", **headers}
        head = "\r\n".join(["HTTP/1.1 200 OK", f"X-Ptce-Build: {build}", *(f"{k}: {v}" for k, v in fields.items())])
        return f"{head}\r\nContent-Length: 2\r\n\r\nok".encode()

    get = Request("GET", "/sparql?query=x", "HTTP/1.1", [("Accept", "text/csv")])
    cache = AnswerCache(1024 * 1024)
    for refused in (answer("a.0", **{"Cache-Control": "private"}), answer("a.0", Vary="Accept, User-Agent"),
                    answer("a.0", ETag='W/"weak"'), answer("a.0").replace(b"200 OK", b"404 Not Found")):  # fmt: skip
        cache.offer(get, refused)
        assert cache.lookup(get) is None
    cache.offer(Request("POST", "/sparql", "HTTP/1.1", []), answer("a.0"))
    cache.offer(get, answer("a.0"))
    assert cache.lookup(get).endswith(b"ok")
    tsv = Request("GET", "/sparql?query=x", "HTTP/1.1", [("Accept", "text/tab-separated-values")])
    assert cache.lookup(tsv) is None
    # a page in the language the browser asks for: kept for that Accept-Language only, never given to a cookie
    page = Request("GET", "/", "HTTP/1.1", [("Accept", "text/html"), ("Accept-Language", "en")])
    cache.offer(page, answer("a.0", Vary="Accept, Accept-Language, Cookie", **{"Content-Language": "en"}))
    assert b"Content-Language: en" in cache.lookup(page)
    for other in ([("Accept", "text/html"), ("Accept-Language", "fr")], [("Accept", "text/html")],
                  [("Accept", "text/html"), ("Accept-Language", "en"), ("Cookie", "lang=fr")]):  # fmt: skip
        assert cache.lookup(Request("GET", "/", "HTTP/1.1", other)) is None
    cache.reloading(grace=3600)  # old processes still answer with build a.0: not kept
    cache.offer(get, answer("a.0"))
    assert cache.lookup(get) is None
    cache.offer(get, answer("b.1"))
    assert cache.lookup(get) is not None
    cache.reloading(grace=0)  # a refused reload: b.1 stays in service, and is kept again once the grace is over
    cache.offer(get, answer("b.1"))
    assert cache.lookup(get) is not None


def raw_exchange(server, *parts: bytes, until: bytes | None = None) -> bytes:
    """Send `parts` on one connection (after the first, wait for `until` if given); everything answered."""
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=GIVE_UP) as conn:
        conn.sendall(parts[0])
        data = b""
        if until is not None:
            while until not in data:
                data += conn.recv(65536)
        for part in parts[1:]:
            conn.sendall(part)
        while chunk := conn.recv(65536):
            data += chunk
    return data


def test_a_client_that_expects_100_continue_gets_it_then_its_answer(server):
    body = urllib.parse.urlencode({"query": SIMPLE_QUERY}).encode()
    head = (
        "POST /sparql HTTP/1.1\r\nHost: test\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
    ).encode()
    data = raw_exchange(server, head, body, until=b"100 Continue\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK") and b'"boolean":true' in data


def test_a_line_break_inside_a_header_is_refused_not_passed_on(server):
    smuggled = b"GET /-/version HTTP/1.1\r\nHost: test\r\nX-A: b\nContent-Length: 40\r\nConnection: close\r\n\r\n"
    assert raw_exchange(server, smuggled).startswith(b"HTTP/1.1 400 ")


def test_a_refused_body_is_read_to_its_end_so_the_answer_reaches_the_client(server):
    """The front refuses a body past the limit at once, then keeps reading (and dropping) what the client still
    sends before it closes: closing with unread input would reset the connection and lose the 413 on the way."""
    port = int(server.url.rsplit(":", 1)[1])
    body = b"query=" + b"x" * 300_000
    head = "POST /sparql HTTP/1.1\r\nHost: test\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=GIVE_UP) as conn:
        conn.sendall(head.encode() + body)  # a reset would fail here, or lose the answer below
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 413 ")
