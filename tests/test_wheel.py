"""The package as users get it: a wheel built from the tracked files, installed in a fresh virtual environment.

Every command runs from an empty folder outside the checkout, so nothing can come from the source tree. The
environment sees this interpreter's packages (`--system-site-packages`) only so that pip finds the dependencies
already installed instead of downloading them; the `ptce` it runs is the wheel's (checked).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
import venv
import zipfile
from pathlib import Path

import pytest

from .checkout import ROOT
from .live_server import live_server

pytestmark = pytest.mark.server


def tracked_copy(target: Path) -> Path:
    """The files git tracks (links kept as links), copied to `target`: what a clean clone holds."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, names.decode().split("\0")):
        source, copy = ROOT / name, target / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            copy.symlink_to(os.readlink(source))
        elif source.exists():
            shutil.copy2(source, copy)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(bin folder of the environment, an empty working folder, the environment's variables)."""
    work = tmp_path_factory.mktemp("wheel")
    source = tracked_copy(work / "source")
    wheels = work / "wheels"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(wheels), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("ptce-*.whl")
    env_dir = work / "env"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    bin_dir = env_dir / "bin"
    subprocess.run([bin_dir / "python", "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    empty = work / "empty"
    empty.mkdir()
    environ = {**os.environ, "PTCE_CACHE_DIR": str(work / "cache"), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    environ.pop("PYTHONPATH", None)
    return bin_dir, empty, environ, wheel


def run(installed, *args: str) -> subprocess.CompletedProcess:
    bin_dir, empty, environ, _ = installed
    return subprocess.run([bin_dir / "ptce", *args], cwd=empty, env=environ, capture_output=True, text=True)


def test_the_wheel_carries_the_ontology_shapes_data_and_queries(installed):
    names = set(zipfile.ZipFile(installed[3]).namelist())
    for folder in ("ontology", "shapes", "data", "queries"):
        tracked = {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*") if p.is_file()}
        assert {f"ptce/assets/{name}" for name in tracked} <= names
    bin_dir, empty, environ, _ = installed
    where = subprocess.run(
        [bin_dir / "python", "-c", "import ptce; print(ptce.__file__)"], cwd=empty, env=environ, capture_output=True
    )
    assert Path(where.stdout.decode().strip()).is_relative_to(bin_dir.parent)  # the wheel's ptce, not the checkout's


def test_every_command_works_from_an_empty_folder(installed):
    empty = installed[1]
    first = run(installed, "query", "SELECT (COUNT(?p) AS ?n) WHERE { ?p a ptce:PTCE }")
    assert first.returncode == 0, first.stderr
    assert "15" in first.stdout and "using the bundled data's build" in first.stderr

    built = run(installed, "build")
    assert built.returncode == 0, built.stderr
    assert (empty / "dist" / "build.json").is_file()
    checked = run(installed, "validate")
    assert checked.returncode == 0 and "conforms" in checked.stdout.lower(), checked.stdout + checked.stderr

    synth = run(installed, "synth", "--orgs", "30", "--out", "synthetic")
    assert synth.returncode == 0, synth.stderr
    built = run(installed, "build", "--data", "synthetic", "--out", "synthetic-build")
    assert built.returncode == 0, built.stderr


def test_the_installed_server_lists_the_example_queries(installed):
    bin_dir, empty, environ, _ = installed
    command = [str(bin_dir / "ptce")]
    with live_server(empty.parent, "--workers", "1", ptce=command, cwd=empty, env=environ) as live:
        ask = urllib.request.Request(f"{live.url}/sparql", headers={"Accept": "text/html"})
        page = urllib.request.urlopen(ask, timeout=60).read().decode()
    shown = json.loads(page.split('<script type="application/json" id="examples">', 1)[1].split("</script>", 1)[0])
    titles = [p.read_text(encoding="utf-8").splitlines()[0].lstrip("# ") for p in (ROOT / "queries").glob("*.rq")]
    assert titles and sorted(e["title"] for e in shown) == sorted(titles)
