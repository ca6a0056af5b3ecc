"""The `ptce` command, through click's runner and once as the installed console script."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

from ptce.cli import main

from .checkout import ROOT as PROJECT_ROOT
from .sample_queries import CROSS_PRODUCT, QUERIES_OF_DEATH
from .waiting import GIVE_UP, answers, wait_for


def test_build_publishes_all_dumps(runner, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(main, ["build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Built" in result.output
    names = {p.name for p in out.iterdir()}
    assert {
        "ptce.ttl",
        "ptce.nt",
        "ptce.rdf",
        "ptce.jsonld",
        "context.jsonld",
        "build.json",
        "validation-report.txt",
        "validation-report.ttl",
    } <= names
    assert json.loads((out / "build.json").read_text())["triples"] > 1000


def test_build_refuses_bad_data_and_keeps_output(runner, tmp_path, data_copy):
    out = tmp_path / "out"
    assert runner.invoke(main, ["build", "--out", str(out), "--data", str(data_copy)]).exit_code == 0
    before = (out / "ptce.nt").read_bytes()
    (data_copy / "ptce" / "cohose.yaml").write_text("slug: cohose\nname: [unclosed\n", encoding="utf-8")
    result = runner.invoke(main, ["build", "--out", str(out), "--data", str(data_copy)])
    assert result.exit_code == 1
    assert "data/ptce/cohose.yaml:3: YAML syntax error" in result.output
    assert "starting at line 2" in result.output
    assert "nothing was published" in result.output
    assert "Traceback" not in result.output
    assert (out / "ptce.nt").read_bytes() == before


def test_validate_source_data_text_and_json(runner):
    result = runner.invoke(main, ["validate"])
    assert result.exit_code == 0 and "Conforms" in result.output
    result = runner.invoke(main, ["validate", "--format", "json"])
    assert json.loads(result.output) == {"conforms": True, "violations": []}


def test_validate_rdf_file_reports_violations(runner, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix ptce: <https://w3id.org/ptce/ontology#> .\n<https://w3id.org/ptce/id/ptce/x> a ptce:PTCE .\n",
        encoding="utf-8",
    )
    result = runner.invoke(main, ["validate", str(bad)])
    assert result.exit_code == 1
    assert "<https://w3id.org/ptce/id/ptce/x> — department (ptce:department)" in result.output
    report = json.loads(runner.invoke(main, ["validate", str(bad), "--format", "json"]).output)
    assert report["conforms"] is False
    assert {v["path"] for v in report["violations"]} >= {"skos:prefLabel", "dcterms:description", "ptce:department"}


def test_validate_bad_source_data_as_json(runner, data_copy):
    (data_copy / "ptce" / "cohose.yaml").write_text("slug: cohose\n", encoding="utf-8")
    result = runner.invoke(main, ["validate", str(data_copy), "--format", "json"])
    assert result.exit_code == 1
    problems = json.loads(result.output)["source_problems"]
    assert {
        "file": "data/ptce/cohose.yaml",
        "line": 1,
        "field": "name",
        "message": "missing required field (text)",
    } in problems


def test_query_formats(runner, build_dir):
    q = (
        "SELECT ?name WHERE { ?p a ptce:PTCE ; ptce:department/igeo:codeINSEE '80'^^xsd:token ; skos:prefLabel ?name }"
        " ORDER BY ?name"
    )
    table = runner.invoke(main, ["query", q, "--build", str(build_dir)])
    assert table.exit_code == 0 and "Valorizons" in table.output and "(2 rows)" in table.output
    rows = json.loads(runner.invoke(main, ["query", q, "--build", str(build_dir), "--format", "json"]).output)
    assert rows == [{"name": 'Amiens Métropole "Une Ville Idéale"'}, {"name": "Valorizons"}]
    csv_out = runner.invoke(main, ["query", q, "--build", str(build_dir), "--format", "csv"]).output
    assert csv_out.splitlines()[0] == "name" and len(csv_out.splitlines()) == 3


def test_query_runs_as_the_endpoint_plans(runner, build_dir):
    """The planner's rewrite gives the answer the query as written gives; its early verdict stops a cross product
    before the time limit (the same one, written as groups, runs into it)."""
    types = "SELECT ?t (COUNT(?o) AS ?n) WHERE { ?o a org:Organization ; org:classification ?t } GROUP BY ?t"
    build = ["--build", str(build_dir)]
    planned = json.loads(runner.invoke(main, ["query", types, *build, "--format", "json"]).output)
    assert planned and sum(row["n"] for row in planned) == 5
    cross = runner.invoke(main, ["query", CROSS_PRODUCT, *build, "--timeout", "1"])
    assert cross.exit_code == 1 and "would not finish within its 1 s" in cross.output
    grouped = runner.invoke(main, ["query", QUERIES_OF_DEATH["cross product"], *build, "--timeout", "1"])
    assert grouped.exit_code == 1 and "Query timed out after 1 s." in grouped.output


def test_query_ask_and_errors(runner, build_dir, tmp_path):
    ask = runner.invoke(main, ["query", "ASK { ?p a ptce:PTCE }", "--build", str(build_dir)])
    assert ask.output.strip() == "true"
    bad = runner.invoke(main, ["query", "SELECT WHERE {", "--build", str(build_dir)])
    assert bad.exit_code == 2 and "Malformed query" in bad.output
    missing = runner.invoke(main, ["query", "ASK {}", "--build", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "Run `ptce build` first" in missing.output


def test_stats(runner, build_dir):
    result = runner.invoke(main, ["stats", "--build", str(build_dir)])
    lines = dict(line.rsplit(None, 1) for line in result.output.splitlines())
    assert lines["PTCEs"] == "15"
    assert lines["PTCEs in Aisne"] == "0" and lines["PTCEs in Pas-de-Calais"] == "8"


def test_console_script_is_installed():
    exe = shutil.which("ptce")
    assert exe, "the `ptce` console script is on PATH after installation"
    result = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("ptce, version")


def test_network_top_k_option_and_its_documented_defaults(runner, build_dir):
    from ptce.network.analysis import BETWEENNESS_SAMPLES
    from ptce.network.cotheme import AUTO_TOP_K, LARGE_NETWORK

    result = runner.invoke(main, ["network", "--build", str(build_dir), "--top-k", "2", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["graph"]["metadata"]["parameters"]["top_k"] == 2
    bad = runner.invoke(main, ["network", "--build", str(build_dir), "--top-k", "0"])
    assert bad.exit_code == 2 and "--top-k" in bad.output
    helptext = " ".join(runner.invoke(main, ["network", "--help"]).output.split())
    assert f"all up to {LARGE_NETWORK} nodes, the {AUTO_TOP_K} strongest beyond" in helptext
    readme = " ".join((PROJECT_ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"up to {LARGE_NETWORK} nodes keeps every link; a larger one keeps each node's {AUTO_TOP_K}" in readme
    assert f"exact up to {BETWEENNESS_SAMPLES} nodes, estimated beyond from {BETWEENNESS_SAMPLES}" in readme


def test_publish_passes_the_update_endpoint(runner, build_dir, monkeypatch):
    from ptce.build import gsp

    calls = []
    monkeypatch.setattr(gsp, "publish_to", lambda *args, **kwargs: calls.append((args, kwargs)) or 7)
    args = ["publish", "--build", str(build_dir), "--to", "http://127.0.0.1:9/gsp", "--auth", "u:p"]
    result = runner.invoke(main, [*args, "--update", "http://127.0.0.1:9/update"])
    assert result.exit_code == 0, result.output
    assert "Published 7 triples" in result.output
    assert calls == [(("http://127.0.0.1:9/gsp", build_dir, None, "u:p"), {"update_url": "http://127.0.0.1:9/update"})]
    assert "--update URL" in runner.invoke(main, ["publish", "--help"]).output


def test_without_a_build_commands_read_the_bundled_one_made_once(runner, tmp_path, monkeypatch):
    """Right after an install (no --build, no dist/), a reading command uses the bundled data's cached build."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("PTCE_CACHE_DIR", str(cache))
    monkeypatch.chdir(tmp_path)
    first = runner.invoke(main, ["stats"])
    assert first.exit_code == 0, first.output
    assert "No build in dist/: using the bundled data's build." in first.stderr
    assert "Made it in the cache: " + str(cache / "bundled-") in first.stderr
    assert "triples" in first.stdout.lower()
    (made,) = cache.glob("bundled-*")
    again = runner.invoke(main, ["query", "ASK { ?p a ptce:PTCE }"])
    assert again.exit_code == 0 and again.stdout == "true\n"
    assert f"Found it in the cache: {made}/" in again.stderr
    # a build in ./dist is preferred, silently
    assert runner.invoke(main, ["build", "--out", "dist"]).exit_code == 0
    third = runner.invoke(main, ["query", "ASK { ?p a ptce:PTCE }"])
    assert third.exit_code == 0 and third.stderr == ""


def test_a_new_data_version_is_a_new_cached_build(tmp_path, monkeypatch):
    from ptce.build import bundled

    monkeypatch.setenv("PTCE_CACHE_DIR", str(tmp_path))
    old = tmp_path / "bundled-0000000000000000"
    (old / "store").mkdir(parents=True)
    folder, made = bundled.bundled_build()
    assert made and folder.name == f"bundled-{bundled.data_version()}" and (folder / "build.json").is_file()
    assert not old.exists()  # an earlier version's build is cleared away
    monkeypatch.setattr(bundled, "__version__", "0.0.0-other")
    assert bundled.data_version() != folder.name.removeprefix("bundled-")


def test_help_examples_keep_their_lines(runner):
    for command, example in [
        ("query", '  ptce query "SELECT ?name WHERE { ?p a ptce:PTCE ; skos:prefLabel ?name }"'),
        ("validate", "  ptce validate dist/ptce.ttl --format json"),
        ("publish", "  ptce publish --build dist/ --to http://127.0.0.1:8890/sparql-graph-crud-auth"),
    ]:
        result = runner.invoke(main, [command, "--help"], terminal_width=50)
        assert result.exit_code == 0 and example.strip() in map(str.strip, result.output.splitlines()), result.output


def test_serve_on_a_busy_port_says_so_in_one_line(build_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "ptce", "serve", "--build", str(build_dir), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=GIVE_UP,
        )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"Port {port} on 127.0.0.1 is already in use: stop what uses it, or choose another with --port."
    ]


def test_ctrl_c_stops_the_whole_server_quietly(build_dir, tmp_path):
    """Ctrl+C reaches every process of the terminal's group: the front, gunicorn, its workers, the query processes."""
    from ptce.web.server import process_tree

    from .live_server import free_port

    port = free_port()
    with (tmp_path / "out").open("w") as out, (tmp_path / "err").open("w") as err:
        command = [sys.executable, "-m", "ptce", "serve", "--build", str(build_dir), "--port", str(port)]
        process = subprocess.Popen([*command, "--workers", "2"], stdout=out, stderr=err, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: answers(f"{url}/-/health"), "the server to start")
        assert answers(f"{url}/sparql?query=ASK%7B%7D")  # query processes are running too
        tree = process_tree(process.pid)
        assert len(tree) >= 5
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(GIVE_UP) == 0
        wait_for(lambda: not any(_alive(pid) for pid in tree), "every process of the server to end")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    assert (tmp_path / "err").read_text() == ""
    assert (tmp_path / "out").read_text().startswith(f"Serving {build_dir}/ (Ctrl+C to stop)\n")


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
