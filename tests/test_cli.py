"""The `ptce` command, through click's runner and once as the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess

from ptce.cli import main
from ptce.paths import PROJECT_ROOT


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
        "SELECT ?name WHERE { ?p a ptce:PTCE ; ptce:department/igeo:codeINSEE '80' ; skos:prefLabel ?name }"
        " ORDER BY ?name"
    )
    table = runner.invoke(main, ["query", q, "--build", str(build_dir)])
    assert table.exit_code == 0 and "Valorizons" in table.output and "(2 rows)" in table.output
    rows = json.loads(runner.invoke(main, ["query", q, "--build", str(build_dir), "--format", "json"]).output)
    assert rows == [{"name": 'Amiens Métropole "Une Ville Idéale"'}, {"name": "Valorizons"}]
    csv_out = runner.invoke(main, ["query", q, "--build", str(build_dir), "--format", "csv"]).output
    assert csv_out.splitlines()[0] == "name" and len(csv_out.splitlines()) == 3


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
    from ptce.network import AUTO_TOP_K, LARGE_NETWORK
    from ptce.network_analysis import BETWEENNESS_SAMPLES

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
    from ptce import remote

    calls = []
    monkeypatch.setattr(remote, "publish_to", lambda *args, **kwargs: calls.append((args, kwargs)) or 7)
    args = ["publish", "--build", str(build_dir), "--to", "http://127.0.0.1:9/gsp", "--auth", "u:p"]
    result = runner.invoke(main, [*args, "--update", "http://127.0.0.1:9/update"])
    assert result.exit_code == 0, result.output
    assert "Published 7 triples" in result.output
    assert calls == [(("http://127.0.0.1:9/gsp", build_dir, None, "u:p"), {"update_url": "http://127.0.0.1:9/update"})]
    assert "--update URL" in runner.invoke(main, ["publish", "--help"]).output
