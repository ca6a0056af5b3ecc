"""Hot reload of a running `ptce serve --build DIR`: `ptce build --out DIR`, then SIGHUP, loses no request.

A client thread keeps querying the server during the rebuild and the reload; every one of its requests must
succeed, and /-/health must then report the new build. A broken data edit is refused by `ptce build` (exit 1,
the folder untouched), and a reload afterwards keeps the last good build in service.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from ptce.build.pipeline import publish_build

from ..live_server import fetch, live_server
from ..source_text import rename_cohose

pytestmark = pytest.mark.server


def health(server) -> dict:
    with urllib.request.urlopen(f"{server.url}/-/health", timeout=30) as r:
        return json.loads(r.read())


def build(data, out) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "ptce", "build", "--data", str(data), "--out", str(out)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def reload_until(server, version: str, tries: int = 300) -> bool:
    server.process.send_signal(signal.SIGHUP)
    for _ in range(tries):
        if health(server)["build"] == version:
            return True
        time.sleep(0.1)
    return False


def test_reload_under_load_loses_nothing_and_keeps_the_last_good_build(tmp_path, data_copy):
    out = tmp_path / "dist"
    first = publish_build(out, data_copy)
    name_query = "SELECT ?n WHERE { <https://w3id.org/ptce/id/ptce/cohose> skos:prefLabel ?n }"
    with live_server(tmp_path, "--build", str(out), "--workers", "2") as server:
        failures: list[str] = []
        done = 0
        stop = threading.Event()

        def hammer():
            nonlocal done
            while not stop.is_set():
                try:
                    status, body = fetch(server, name_query)
                except OSError as exc:
                    status, body = 0, str(exc)
                if status != 200:
                    failures.append(f"{status} {body[:200]}")
                done += 1

        clients = [threading.Thread(target=hammer) for _ in range(4)]
        for client in clients:
            client.start()
        try:
            rename_cohose(data_copy, "CoHose v2")
            rebuilt = build(data_copy, out)
            assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
            second = json.loads((out / "build.json").read_text())["version"]
            assert second != first.version
            assert reload_until(server, second), server.output()
            before = done
            while done < before + 20:  # the new workers answer too
                time.sleep(0.05)

            (data_copy / "ptce" / "cohose.yaml").write_text("slug: cohose\nname: [unclosed\n", encoding="utf-8")
            broken = build(data_copy, out)
            assert broken.returncode == 1 and "nothing was published" in broken.stdout + broken.stderr
            assert not reload_until(server, "never", tries=20)
        finally:
            stop.set()
            for client in clients:
                client.join()
        assert failures == []
        assert done > 20
        assert health(server)["build"] == second
        assert "CoHose v2" in fetch(server, name_query)[1]
        assert server.process.poll() is None
