"""`ptce serve`: the front, then the web app under gunicorn.

The front (`ptce.web.front`, this process) reads whole requests and shares the server fairly between clients;
gunicorn (a child process) runs the app behind it on a private Unix socket. Several worker processes use every
core. Users' SPARQL queries never run in a worker: each worker sends them to
its pool of walled-in query processes (`ptce.query.runner`: no network, bounded memory, killed past the time limit),
so a query that crashes the engine, takes too much memory or runs too long costs that one request, never the
worker. gunicorn's own worker timeout stays as a backstop should a worker ever stop responding.

The app (and its store) is created once in the arbiter and forked into the workers. SIGHUP to the arbiter reloads
the build folder (`reload_build`) and replaces the workers gracefully: no request is lost, and a folder that does
not load leaves the last good build in service.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

BACKSTOP_MARGIN = 30  # seconds past QUERY_TIMEOUT before gunicorn kills a silent worker


def default_workers() -> int:
    return 2 * (os.cpu_count() or 1)


def reload_build(flask_app) -> None:
    """On SIGHUP, in the arbiter: load the build folder again, before gunicorn forks the new workers.

    The old workers finish their requests and stop; the new ones serve the new build. If the folder does not
    load, the last good build stays in service.
    """
    from ptce.web.site import get_site

    try:
        build = get_site(flask_app).reload()
    except Exception as exc:  # any failure to load: keep serving what we have
        sys.stderr.write(f"[ptce] reload refused, still serving the last good build: {type(exc).__name__}: {exc}\n")
    else:
        sys.stderr.write(f"[ptce] reloaded build {build.info.version} from {build.folder}\n")
    sys.stderr.flush()


def listen(host: str, port: int) -> socket.socket:
    """The public listening socket (raises OSError, e.g. EADDRINUSE, before anything else starts)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def serve(
    config: dict[str, Any],
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int | None = None,
    on_ready: Callable[[list[str]], None] | None = None,
    gunicorn_options: dict[str, Any] | None = None,
    front_options: dict[str, Any] | None = None,
    app_factory: Callable[[dict[str, Any]], Any] | None = None,
) -> int:
    """Serve the app for `config` (see `ptce.web.DEFAULTS`) until interrupted; returns the exit status.

    This process runs the front (`ptce.web.front`) on host:port; a child process runs gunicorn behind it, on a
    private Unix socket. SIGHUP reloads the build (forwarded to gunicorn); SIGINT or SIGTERM stop both.
    `gunicorn_options` and `front_options` (fields of `FrontConfig`) override ours. `app_factory` makes another
    WSGI app from the config in place of ours (the benchmarks' ceiling: the same stack around a bare callable).
    """
    from ptce.build_folder import BuildInfo
    from ptce.web import DEFAULTS
    from ptce.web.front import FrontConfig, run_front

    BuildInfo.read(Path(config["BUILD_DIR"]))  # FileNotFoundError now, not in the child
    workers = workers or default_workers()
    listener = listen(host, port)
    port = listener.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else shown}:{port}"
    config = {**DEFAULTS, **config, "PUBLIC_URL": config.get("PUBLIC_URL") or f"{base}/"}
    urls = [f"{base}/{path}" for path in ("", "sparql", "map", "network", "catalog", "-/health")]
    folder = Path(tempfile.mkdtemp(prefix="ptce-backend-"))
    backend = folder / "server.sock"
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:
        listener.close()
        os._exit(_run_gunicorn(config, backend, workers, urls, on_ready, gunicorn_options, app_factory))
    front = FrontConfig(
        backend=str(backend),
        slots=workers,
        max_body=int(config["MAX_CONTENT_LENGTH"]),
        backend_timeout=float(config["QUERY_TIMEOUT"]) + 2 * BACKSTOP_MARGIN,
        **(front_options or {}),
    )

    def forward(signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGHUP if signum == signal.SIGHUP else signal.SIGTERM)

    try:
        return run_front(front, listener, forward, child)
    finally:
        listener.close()
        forward(signal.SIGTERM)
        _wait_or_kill(child, grace=30)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_or_kill(pid: int, grace: float) -> None:
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return  # already reaped
        if done:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _run_gunicorn(config, backend: Path, workers: int, urls, on_ready, gunicorn_options, app_factory=None) -> int:
    """In the child: gunicorn's arbiter on the Unix socket `backend`; returns its exit status."""
    from gunicorn.app.base import BaseApplication

    from ptce.web import DEFAULTS, create_app

    status = 1
    try:
        app = (app_factory or create_app)(config)
        options = {
            "bind": f"unix:{backend}",
            "workers": workers,
            "worker_class": "sync",
            "timeout": int(float(config.get("QUERY_TIMEOUT", DEFAULTS["QUERY_TIMEOUT"])) + BACKSTOP_MARGIN),
            "graceful_timeout": 5,
            "limit_request_line": 8190,
            "errorlog": "-",
            "loglevel": "warning",
            "proc_name": "ptce",
            "when_ready": lambda _server: on_ready and on_ready(urls),
            "on_reload": lambda _arbiter: app_factory is None and reload_build(app),
            **(gunicorn_options or {}),
        }

        class Server(BaseApplication):
            def load_config(self):
                for key, value in options.items():
                    self.cfg.set(key, value)

            def load(self):
                return app

        Server().run()
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except BaseException:
        traceback.print_exc()
    finally:
        atexit._run_exitfuncs()  # this process's own clean-ups (snapshots), then no more of the parent's code
        sys.stdout.flush()
        sys.stderr.flush()
    return status


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
