"""Every example query in queries/ answers its question on the real data."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest

from ptce.web.examples import load_examples

EXAMPLES = {e.name: e for e in load_examples()}


def answer(client, name: str) -> list[dict[str, str]]:
    r = client.post("/sparql", data=EXAMPLES[name].text, content_type="application/sparql-query")
    assert r.status_code == 200, r.data
    data = json.loads(r.data)
    return [{k: v["value"] for k, v in b.items()} for b in data["results"]["bindings"]]


def column(rows, name):
    return [row.get(name) for row in rows]


EXPECTED = {
    "01-ptce-per-department": lambda rows: (
        {r["name"]: int(r["ptces"]) for r in rows} == {"Pas-de-Calais": 8, "Oise": 3, "Nord": 2, "Somme": 2, "Aisne": 0}
    ),
    "02-departments-without-ptce": lambda rows: column(rows, "name") == ["Aisne"] and column(rows, "code") == ["02"],
    "03-ptce-on-a-theme": lambda rows: (
        column(rows, "name")
        == [
            "Auton'Hommes",
            "CoHose",
            "Emergence Hénin-Carvin",
            "Emergence Sud Oise",
            "Noeux Environnement",
            "Partage Travail",
            "Pôle Ressources",
            "Pôle de Coopération Oise Ouest",
            "Transition Plurielle Montreuillois Ternois 7 Vallées",
            "Valorizons",
        ]
        and "Biodiversité" in rows[1]["themes"]
    ),
    "04-themes-shared-by-two-ptces": lambda rows: (
        (rows[0]["first"], rows[0]["second"], rows[0]["shared"])
        == ("Auton'Hommes", "Pôle de Coopération Oise Ouest", "5")
        and all(int(a["shared"]) >= int(b["shared"]) for a, b in pairwise(rows))
        and len(rows) == 75
    ),
    "05-ptce-carried-by-an-association": lambda rows: (
        column(rows, "name") == ["Noeux Environnement"]
        and column(rows, "carrierName") == ["association Noeux Environnement"]
    ),
    "06-organisations-and-roles": lambda rows: (
        {(r["name"], r["role"], r["ptceName"]) for r in rows}
        == {
            ("association Noeux Environnement", "animateur", "Noeux Environnement"),
            ("collectif PHARE", "porteur", "Auton'Hommes"),
        }
    ),
    "07-initiatives-with-figures": lambda rows: (
        [(r["name"], r.get("partnerShops"), r.get("subscribers")) for r in rows]
        == [("Mon shopping c'est Calais", "104", None)]
    ),
}


def test_every_example_has_a_checked_answer():
    assert set(EXPECTED) == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_answers_its_question(client, name):
    assert EXPECTED[name](answer(client, name))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_has_a_title_and_a_comment(name):
    example = EXAMPLES[name]
    assert example.title and example.comment
    assert example.text.lstrip().startswith("# " + example.title)
