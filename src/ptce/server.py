"""`ptce serve`: the web app under gunicorn, with killable query timeouts.

Why gunicorn with sync workers (and not waitress): the endpoint's work is CPU-bound SPARQL evaluation. Several
worker processes use every core (waitress runs one process, so Python-side work shares one GIL), and a sync
worker handles one request at a time, so a runaway query can be stopped by ending its process without touching
any other request: the `ptce.runner.Watchdog` of that worker sends the client `503 Query timed out after N s`
on the request's own socket and ends the process; the gunicorn arbiter forks a fresh worker from the loaded app
at once. Queries run in the worker itself, with no inter-process hop (bench/RESULTS.md measures the difference).
gunicorn's own worker timeout stays as a backstop should a worker ever stop responding.

The app (and its store) is created once in the arbiter and forked into the workers. SIGHUP to the arbiter reloads
the build folder (`reload_build`) and replaces the workers gracefully: no request is lost, and a folder that does
not load leaves the last good build in service.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .namespaces import Iris
from .publish import publish_build
from .runner import ABORT_KEY

BACKSTOP_MARGIN = 30  # seconds past QUERY_TIMEOUT before gunicorn kills a silent worker


def default_workers() -> int:
    return 2 * (os.cpu_count() or 1)


def build_to_temp(data_dir: Path, iris: Iris) -> Path:
    """Build and validate a data folder into a fresh temporary folder, removed when this process exits.

    Raises `SourceError` or `BuildFailed` (nothing is served then).
    """
    parent = Path(tempfile.mkdtemp(prefix="ptce-serve-"))
    owner = os.getpid()
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(parent, ignore_errors=True))
    out = parent / "dist"
    publish_build(out, data_dir, iris)
    return out


class Abortable:
    """WSGI middleware offering the app `environ[ABORT_KEY]`: answer on the raw socket, then end the worker."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        sock = environ.get("gunicorn.socket")
        if sock is not None:
            environ[ABORT_KEY] = lambda status, headers, body: abort_worker(sock, status, headers, body)
        return self.app(environ, start_response)


def abort_worker(sock: socket.socket, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
    """Send a complete HTTP response on `sock` and end this worker process (called by the watchdog thread)."""
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers)]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    try:
        sock.sendall("\r\n".join(lines).encode("latin-1") + body)
    except OSError:
        pass
    finally:
        sys.stderr.write(f"[ptce] worker {os.getpid()}: {body.decode().strip()} Replacing the worker.\n")
        sys.stderr.flush()
        os._exit(0)


def reload_build(flask_app) -> None:
    """On SIGHUP, in the arbiter: load the build folder again, before gunicorn forks the new workers.

    The old workers finish their requests and stop; the new ones serve the new build. If the folder does not
    load, the last good build stays in service.
    """
    from .web import get_site

    try:
        build = get_site(flask_app).reload()
    except Exception as exc:  # any failure to load: keep serving what we have
        sys.stderr.write(f"[ptce] reload refused, still serving the last good build: {type(exc).__name__}: {exc}\n")
    else:
        sys.stderr.write(f"[ptce] reloaded build {build.info.version} from {build.folder}\n")
    sys.stderr.flush()


def serve(
    config: dict[str, Any],
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int | None = None,
    on_ready: Callable[[list[str]], None] | None = None,
    gunicorn_options: dict[str, Any] | None = None,
) -> None:
    """Serve the app for `config` (see `ptce.web.DEFAULTS`) until interrupted; `gunicorn_options` override ours."""
    from gunicorn.app.base import BaseApplication

    from .web import create_app

    app = Abortable(create_app(config))
    timeout = float(app.app.config["QUERY_TIMEOUT"])
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else shown}:{port}"
    urls = [f"{base}/{path}" for path in ("", "sparql", "map", "network", "catalog", "-/health")]
    options = {
        "bind": f"{shown}:{port}",
        "workers": workers or default_workers(),
        "worker_class": "sync",
        "timeout": int(timeout + BACKSTOP_MARGIN),
        "graceful_timeout": 5,
        "limit_request_line": 8190,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "ptce",
        "when_ready": lambda _server: on_ready and on_ready(urls),
        "on_reload": lambda _arbiter: reload_build(app.app),
        **(gunicorn_options or {}),
    }

    class Server(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            return app

    Server().run()


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def process_tree_rss(pid: int) -> int:
    """Resident memory, in bytes, of a process and all its descendants (read from /proc)."""
    total = 0
    for member in process_tree(pid):
        try:
            pages = int(Path(f"/proc/{member}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        total += pages * os.sysconf("SC_PAGE_SIZE")
    return total
