"""A real server process over a build, for tests that need HTTP over a socket (RDF clients, a browser)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

SERVE = (
    "import sys; from waitress import serve; from ptce.web import create_app; "
    "serve(create_app({'BUILD_DIR': sys.argv[1]}), host='127.0.0.1', port=int(sys.argv[2]), threads=4)"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(build_dir: Path, attempts: int = 300) -> Iterator[str]:
    """Start the app under waitress in a subprocess; yield its root URL once it answers; stop it after."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(build_dir), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    root = f"http://127.0.0.1:{port}"
    try:
        for _ in range(attempts):
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{root}/-/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        else:
            raise RuntimeError("server did not answer")
        yield root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()
