"""Waiting for conditions, never for durations: the suite runs on loaded machines."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

from ptce.query.runner import BUSY_THREAD
from ptce.web.server import process_tree

GIVE_UP = 300  # seconds: only ever reached when something is broken, never in a passing run


def busy_query_processes(server) -> list[int]:
    """The query processes of the server that are evaluating a query (their thread says so)."""
    busy = []
    for pid in process_tree(server.process.pid):
        try:
            names = [p.read_text().strip() for p in Path(f"/proc/{pid}/task").glob("*/comm")]
        except OSError:
            continue
        if BUSY_THREAD in names:
            busy.append(pid)
    return busy


def wait_for(condition, what: str):
    deadline = time.monotonic() + GIVE_UP
    while not (found := condition()):
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)
    return found


def answers(url: str) -> bool:
    """Whether a GET of `url` is answered 200 now (for `wait_for`)."""
    try:
        with urllib.request.urlopen(url, timeout=GIVE_UP) as response:
            return response.status == 200
    except OSError:
        return False
