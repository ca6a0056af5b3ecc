"""Start a private Virtuoso (Debian's `virtuoso-opensource`) on loopback, with its own configuration and data folder.

Used by the remote-store tests and by the benchmarks. The system service is never used: `virtuoso-t` runs in the
foreground from a temporary folder, on free loopback ports, and is stopped at the end.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .live_server import free_port

BINARY = "virtuoso-t"
DBA_PASSWORD = "dba"  # the password Virtuoso gives the dba account of a new database
VAD_DIR = "/usr/share/virtuoso-opensource-7/vad"

_INI = """\
[Database]
DatabaseFile       = {folder}/virtuoso.db
ErrorLogFile       = {folder}/virtuoso.log
LockFile           = {folder}/virtuoso.lck
TransactionFile    = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {folder}/virtuoso-temp.db
TransactionFile    = {folder}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:{sql_port}
DisableUnixSocket        = 1
MaxClientConnections     = 20
CheckpointInterval       = 60
CaseMode                 = 2
DirsAllowed              = ., {folder}, {vad}
VADInstallDir            = {vad}/
MaxQueryMem              = 2G
ThreadsPerQuery          = 2
MaxSortedTopRows         = 1000001
NumberOfBuffers          = {buffers}
MaxDirtyBuffers          = {dirty}
TransactionAfterImageLimit = 2000000000

[HTTPServer]
ServerPort                  = 127.0.0.1:{http_port}
ServerRoot                  = {folder}
MaxClientConnections        = 20
ServerThreads               = 20
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
Charset                     = UTF-8
EnabledGzipContent          = 0

[SPARQL]
ResultSetMaxRows           = 1000000
MaxQueryCostEstimationTime = 400
MaxQueryExecutionTime      = 120
"""


def available() -> bool:
    """Whether the Virtuoso server binary is installed."""
    return shutil.which(BINARY) is not None


@dataclass
class Virtuoso:
    """A running private Virtuoso."""

    folder: Path
    http_port: int
    process: subprocess.Popen

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def sparql_url(self) -> str:
        return f"{self.base}/sparql"

    @property
    def gsp_url(self) -> str:
        """The SPARQL 1.1 Graph Store Protocol endpoint that accepts writes (HTTP digest authentication)."""
        return f"{self.base}/sparql-graph-crud-auth"

    @property
    def update_url(self) -> str:
        """The SPARQL 1.1 Update endpoint that accepts writes (HTTP digest authentication)."""
        return f"{self.base}/sparql-auth"

    @property
    def auth(self) -> str:
        return f"dba:{DBA_PASSWORD}"

    def log(self) -> str:
        path = self.folder / "virtuoso.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@contextmanager
def running(folder: Path) -> Iterator[Virtuoso]:
    """A started Virtuoso for a test module (the test skips when Debian's package is not installed)."""
    import pytest

    if not available():
        pytest.skip("virtuoso-t is not installed (apt-get install virtuoso-opensource)")
    server = start(folder)
    try:
        yield server
    finally:
        server.stop()


def start(folder: Path, memory_gb: float = 1.0, timeout: float = 120.0) -> Virtuoso:
    """Create a database in `folder` and start Virtuoso on free loopback ports; wait until SPARQL answers."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    buffers = int(memory_gb * 1024 * 1024 * 1024 * 0.66 / 8000)
    http_port = free_port()
    (folder / "virtuoso.ini").write_text(
        _INI.format(
            folder=folder,
            vad=VAD_DIR,
            sql_port=free_port(),
            http_port=http_port,
            buffers=buffers,
            dirty=buffers * 3 // 4,
        ),
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [BINARY, "+foreground", "+configfile", str(folder / "virtuoso.ini")],
        cwd=folder,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = Virtuoso(folder, http_port, process)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"virtuoso-t exited with {process.returncode}:\n{server.log()[-3000:]}")
        try:
            query = urllib.request.Request(
                f"{server.sparql_url}?query=ASK%7B%7D", headers={"Accept": "application/sparql-results+json"}
            )
            with urllib.request.urlopen(query, timeout=5) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"Virtuoso did not answer within {timeout} s:\n{server.log()[-3000:]}")
