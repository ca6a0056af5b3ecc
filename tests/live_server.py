"""Real servers for the tests: `python -m ptce serve` as a process, or the app in a thread of the test."""

from __future__ import annotations

import http.client
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@contextmanager
def threaded_server(app):
    """`app` served by waitress on a free loopback port, in a thread of this process; yields its root URL."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    stop = threading.Event()

    def serve() -> None:
        # waitress's own run() loops until its sockets are closed, and closing them from this thread while it
        # waits in select() fails there (EBADF): the loop is run a poll at a time, and stopped before closing
        while not stop.is_set():
            server.asyncore.loop(timeout=0.1, map=server._map, use_poll=server.adj.asyncore_use_poll, count=1)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop.set()
        thread.join()
        server.close()
        server.task_dispatcher.shutdown()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def live_server(log_dir: Path, *args: str, startup: float = 120.0, ptce: Sequence[str] | None = None, **popen):
    """A running `ptce serve ARGS --port P`; yields a LiveServer once /-/health answers.

    `ptce`: the command to run instead of this interpreter's `python -m ptce`; `popen`: more Popen arguments
    (cwd, env)."""
    port = free_port()
    log = log_dir / f"serve-{port}.log"
    command = [*(ptce or (sys.executable, "-m", "ptce")), "serve", "--port", str(port), *args]
    with log.open("w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **popen)
    server = LiveServer(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + startup
        while True:
            try:
                with urllib.request.urlopen(f"{server.url}/-/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the server did not start:\n{server.output()}") from None
                time.sleep(0.2)
        yield server
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen, grace: float = 15.0) -> None:
    """Interrupt a server (Ctrl+C: it finishes its requests); kill it if it is still there after `grace` s."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running_server(build_dir: Path):
    """`ptce serve --build BUILD_DIR` as a real server; yields its root URL."""
    import tempfile

    with tempfile.TemporaryDirectory() as logs, live_server(Path(logs), "--build", str(build_dir)) as server:
        yield server.url


def fetch(server, query: str | None = None, method: str = "GET", source: str | None = None, **params):
    """Send a SPARQL Protocol request (GET or form POST) to a live server; returns (status, body).

    `source`: the loopback address to send from (127.0.0.2, ...), which the server's fair share counts as another
    client.
    """
    fields = {**({"query": query} if query is not None else {}), **params}
    encoded = urllib.parse.urlencode(fields)
    split = urllib.parse.urlsplit(server.url)
    bind = (source, 0) if source else None
    conn = http.client.HTTPConnection(split.hostname, split.port, timeout=30, source_address=bind)
    try:
        if method == "GET":
            conn.request("GET", f"/sparql?{encoded}")
        else:
            conn.request("POST", "/sparql", encoded, {"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()
