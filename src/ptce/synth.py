"""A deterministic synthetic national directory of PTCEs, written in the YAML source format.

It is a scale test of the real pipeline: `ptce build --data DIR` reads it with the same loader, builds the
same graph and validates it with the same shapes. The shape of the data follows a national directory:
101 departments (the real INSEE codes), up to ~1,200 territories, PTCEs whose member organisations hold
carrier and partner roles, themes from the real scheme with a skewed (Zipf-like) popularity. Names,
descriptions and Wikidata identifiers are synthetic, and the dataset's title says so.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from ptce.assets import DATA_DIR
from ptce.rdf.slugs import slugify
from ptce.sources.records import DATASET_FILE, GEOGRAPHY_FILE, ORGANISATIONS_FILE, PTCE_FOLDER, THEMES_FILE

MARKER = "SYNTHETIC.md"
DEPARTMENT_CODES = [f"{i:02d}" for i in range(1, 96) if i != 20] + ["2A", "2B"] + ["971", "972", "973", "974", "976"]
MAX_TERRITORIES = 1200
ORGS_PER_PTCE = 25
ZIPF_EXPONENT = 1.1
ORG_TYPES = (("association", 60), ("scic", 12), ("collectif", 12), ("cae", 8), ("bailleur", 8))
_SYLLABLES = [
    "ar",
    "bel",
    "bon",
    "cour",
    "fon",
    "gen",
    "ja",
    "la",
    "lan",
    "mar",
    "mont",
    "nor",
    "or",
    "pa",
    "ri",
    "ro",
    "sal",
    "ser",
    "val",
    "ver",
    "vil",
]
_PLACE_PATTERNS = ("Saint-{}", "{}-sur-Mer", "{}-les-Bains", "Le {}", "La {}", "{}", "{}-en-Vallée", "Pays de {}")
_ORG_KINDS = ("Association", "Collectif", "Coopérative", "Atelier", "Maison", "Réseau", "Ressourcerie")
_ORG_WORDS = ("solidaire", "des Jardins", "de l'Entraide", "du Partage", "des Possibles", "Horizons", "Terres")
_PTCE_WORDS = ("Coopérer", "Ensemble", "Transitions", "Pôle", "Synergies", "Fabrique", "Alliance", "Initiatives")
_INITIATIVE_TYPES = ("tiers-lieu", "épicerie solidaire", "recyclerie", "ferme urbaine", "plateforme", "chantier")


@dataclass(frozen=True)
class SynthSummary:
    """What `generate` wrote."""

    departements: int
    territoires: int
    themes: int
    organisations: int
    ptces: int
    roles: int
    initiatives: int


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _zipf_weights(n: int, rng: random.Random) -> list[float]:
    """Weights 1/rank^s over `n` items, ranks shuffled by the generator."""
    ranks = list(range(1, n + 1))
    rng.shuffle(ranks)
    return [1.0 / r**ZIPF_EXPONENT for r in ranks]


def _weighted_sample(items: list, weights: list[float], k: int, rng: random.Random) -> list:
    """`k` distinct items, drawn with probability proportional to their weights."""
    keyed = sorted(((rng.random() ** (1.0 / w), i) for i, w in enumerate(weights)), reverse=True)
    return [items[i] for _, i in keyed[: min(k, len(items))]]


class _Names:
    """Unique, pronounceable synthetic names."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def word(self) -> str:
        return "".join(self.rng.choice(_SYLLABLES) for _ in range(self.rng.randint(2, 3))).capitalize()

    def place(self) -> str:
        return self.rng.choice(_PLACE_PATTERNS).format(self.word())


def theme_slugs(themes_file: Path = DATA_DIR / THEMES_FILE) -> list[str]:
    """The slugs of the narrower concepts of the real scheme (the ones PTCEs are tagged with)."""
    data = yaml.safe_load(themes_file.read_text(encoding="utf-8"))
    return [n["slug"] for c in data["concepts"] for n in c.get("narrower", [])]


class _Generator:
    def __init__(self, orgs: int, seed: int):
        if orgs < 1:
            raise ValueError("--orgs must be at least 1")
        self.rng = random.Random(seed)
        self.seed = seed
        self.names = _Names(self.rng)
        self.orgs = orgs
        self.ptces = max(1, round(orgs / ORGS_PER_PTCE))
        self.org_text: dict[str, list[str]] = {}  # lines of the source text about each organisation
        self.org_names: dict[str, str] = {}
        self.text = ["Annuaire synthétique des PTCE : données générées, sans contenu réel.", ""]
        self.territories = min(MAX_TERRITORIES, len(DEPARTMENT_CODES) + orgs // 40)

    def geography(self) -> tuple[str, list[str], dict[str, list[str]]]:
        """geography.yaml, the department slugs, and territory slugs by department."""
        lines = [
            "# Synthetic geography: real INSEE department codes; names and Wikidata identifiers are placeholders.",
            "region:",
            "  slug: france-synthetique",
            "  name: France (synthétique)",
            '  insee: "99"',
            "  wikidata: Q990000000",
            "departements:",
        ]
        depts = []
        for i, code in enumerate(DEPARTMENT_CODES):
            slug = f"departement-{code.lower()}"
            depts.append(slug)
            lines += [
                f"  - slug: {slug}",
                f"    name: {_q(f'Département {code}')}",
                f'    insee: "{code}"',
                f"    wikidata: Q{990000001 + i}",
            ]
        lines.append("territoires:")
        self.places: list[tuple[str, str, str, str | None]] = []  # slug, name, department, commune code
        by_dept: dict[str, list[str]] = {d: [] for d in depts}
        dept_weights = _zipf_weights(len(depts), self.rng)
        # Every department gets one territory, the rest follow a skewed distribution.
        homes = depts + self.rng.choices(depts, weights=dept_weights, k=self.territories - len(depts))
        communes: dict[str, int] = {}
        for i, dept in enumerate(homes):
            name = self.names.place()
            slug = f"{slugify(name)}-{i}"
            by_dept[dept].append(slug)
            lines += [f"  - slug: {slug}", f"    name: {_q(name)}"]
            code = DEPARTMENT_CODES[depts.index(dept)]
            n = communes.get(dept, 0)
            insee = None
            if self.rng.random() < 0.7 and n < 99:
                communes[dept] = n + 1
                insee = f"{code}{n + 1:02d}" if len(code) == 3 else f"{code}{n + 1:03d}"
                lines += ["    kind: commune", f'    insee: "{insee}"']
            else:
                lines.append("    kind: territoire")
            self.places.append((slug, name, dept, insee))
            lines.append(f"    departement: {dept}")
        self.dept_weights = dept_weights
        return "\n".join(lines) + "\n", depts, by_dept

    def organisation(self, i: int, territory: str | None) -> tuple[str, str]:
        """(slug, YAML item) of one organisation; its line of the source text is kept for its home PTCE."""
        name = f"{self.rng.choice(_ORG_KINDS)} {self.rng.choice(_ORG_WORDS)} {self.names.word()}"
        slug = f"{slugify(name)}-{i}"
        kinds, weights = zip(*ORG_TYPES, strict=True)
        types = list(dict.fromkeys(self.rng.choices(kinds, weights=weights, k=2 if self.rng.random() < 0.1 else 1)))
        named = f"{name} ({slug}), {' et '.join(types)}"  # how the source text names it and gives its types
        lines = [
            f"  - slug: {slug}",
            f"    name: {_q(name)}",
            f"    types: [{', '.join(types)}]",
            f"    quote: {_q(named)}",
        ]
        self.org_text[slug] = [named]
        self.org_names[slug] = f"{name} ({slug})"
        if self.rng.random() < 0.6:
            description = f"{name} ({slug}) agit pour une économie locale, sociale et solidaire."
            lines.append(f"    description: {_q(description)}")
            self.org_text[slug].append(description)
        if territory:
            lines.append(f"    territoire: {territory}")
        return slug, "\n".join(lines)

    def ptce(self, slug: str, name: str, dept: str, territories: list[str], members: list[str], themes) -> str:
        """The YAML file of one PTCE; its section of the source text goes to `self.text`."""
        rng = self.rng
        description = f"{name} fait coopérer {len(members)} organisations de son territoire."
        text = [name, "", description]
        lines = [f"slug: {slug}", f"name: {_q(name)}", f"departement: {dept}"]
        if territories:
            lines.append(f"territoires: [{', '.join(territories)}]")
        lines.append(f"description: {_q(description)}")
        chosen = _weighted_sample(themes[0], themes[1], rng.randint(2, 8), rng)
        objectives = [f"Objectif {j + 1} : développer {t.replace('-', ' ')}." for j, t in enumerate(chosen[:3])]
        if rng.random() < 0.5:
            lines += ["objectives:", *(f"  - {_q(o)}" for o in objectives)]
            text += objectives
        lines.append("themes:")
        for theme in chosen:
            lines += [f"  - theme: {theme}", f"    quote: {_q(f'thème « {theme} »')}"]
            text.append(f"- thème « {theme} »")
        lines.append("roles:")
        for j, org in enumerate(members):
            role = "porteur" if j == 0 else "partenaire"
            said = f"{role} : {self.org_names[org]}"
            lines += [f"  - organisation: {org}", f"    role: {role}", f"    quote: {_q(said)}"]
            text.append(f"- {said}")
            text += self.org_text.pop(org, [])  # where an organisation is first named, with its types
        if rng.random() < 0.3:
            group = f"Groupe {self.names.word()}"
            lines += ["working_groups:", f"  - name: {_q(group)}", f"    themes: [{chosen[0]}]"]
            text.append(f"Groupe de travail : {group}")
        initiatives = [f"{slug}-projet-{k + 1}" for k in range(rng.choice((0, 1, 1, 2, 3)))]
        if initiatives:
            lines.append("initiatives:")
        for k, islug in enumerate(initiatives):
            kind = rng.choice(_INITIATIVE_TYPES)
            said = f"Initiative {k + 1} : un {kind} porté par {name}."
            lines += [
                f"  - slug: {islug}",
                f"    name: {_q(f'{kind.capitalize()} {self.names.word()}')}",
                f"    type: {_q(kind)}",
            ]
            if kind == "plateforme":
                shops = rng.randint(5, 200)
                said = f"Initiative {k + 1} : une plateforme de {name} qui réunit {shops} commerçants partenaires."
                lines += [f"    partner_shops: {shops}", "    quotes:", f"      partner_shops: {_q(said)}"]
            lines += [
                f"    description: {_q(said)}",
                f"    themes: [{chosen[k % len(chosen)]}]",
                f"    organisations: [{members[k % len(members)]}]",
            ]
            text.append(said)
        years = []
        if rng.random() < 0.4:
            years.append(("recognised", rng.randint(2014, 2025), "Labellisé PTCE en {}."))
        if rng.random() < 0.6:
            years.append(("collective_approach_since", rng.randint(1995, 2020), "Démarche collective depuis {}."))
        for field, year, sentence in years:
            lines.append(f"{field}: {year}")
            text.append(sentence.format(year))
        if years:
            lines += ["quotes:", *(f"  {field}: {_q(sentence.format(year))}" for field, year, sentence in years)]
        self.initiative_count += len(initiatives)
        self.text += [*text, ""]
        return "\n".join(lines) + "\n"

    def write(self, out: Path) -> SynthSummary:
        geography, depts, by_dept = self.geography()
        (out / GEOGRAPHY_FILE).write_text(geography, encoding="utf-8")
        shutil.copyfile(DATA_DIR / THEMES_FILE, out / THEMES_FILE)
        slugs = theme_slugs()
        themes = (slugs, _zipf_weights(len(slugs), self.rng))
        ptce_depts = self.rng.choices(depts, weights=self.dept_weights, k=self.ptces)
        # Every PTCE has its carrier; the other organisations join PTCEs of skewed sizes.
        homes = list(range(self.ptces)) + self.rng.choices(
            range(self.ptces), weights=_zipf_weights(self.ptces, self.rng), k=max(0, self.orgs - self.ptces)
        )
        members: list[list[str]] = [[] for _ in range(self.ptces)]
        org_items = []
        for i, home in enumerate(homes):
            local = by_dept[ptce_depts[home]]
            territory = self.rng.choice(local) if local and self.rng.random() < 0.85 else None
            slug, item = self.organisation(i, territory)
            org_items.append(item)
            members[home].append(slug)
            if self.rng.random() < 0.1 and self.ptces > 1:  # a second membership elsewhere
                members[self.rng.randrange(self.ptces)].append(slug)
        (out / ORGANISATIONS_FILE).write_text(
            "# Synthetic organisations; their roles are in ptce/*.yaml.\norganisations:\n"
            + "\n".join(org_items)
            + "\n",
            encoding="utf-8",
        )
        (out / PTCE_FOLDER).mkdir()
        self.initiative_count = 0
        combinations: set[tuple[str, ...]] = set()
        names: set[str] = set()
        for k in range(self.ptces):
            name = f"PTCE {self.rng.choice(_PTCE_WORDS)} {self.names.place()}"
            while name in names:  # the name heads its section of the source text: one of a kind
                name = f"PTCE {self.rng.choice(_PTCE_WORDS)} {self.names.place()}"
            names.add(name)
            slug = f"{slugify(name)}-{k}"
            local = by_dept[ptce_depts[k]]
            areas = sorted(set(self.rng.sample(local, min(len(local), self.rng.randint(1, 3))))) if local else []
            group = list(dict.fromkeys(members[k]))
            text = self.ptce(slug, name, ptce_depts[k], areas, group, themes)
            (out / PTCE_FOLDER / f"{slug}.yaml").write_text(text, encoding="utf-8")
            if len(areas) > 1:
                combinations.add(tuple(areas))
        write_geo(out / "geo", depts, self.places, sorted(combinations), self.seed)
        (out / "source" / "synthetique.txt").write_text("\n".join(self.text), encoding="utf-8")
        return SynthSummary(
            departements=len(depts),
            territoires=self.territories,
            themes=len(slugs),
            organisations=self.orgs,
            ptces=self.ptces,
            roles=sum(len(dict.fromkeys(m)) for m in members),
            initiatives=self.initiative_count,
        )


# A grid of square cells over metropolitan France's extent stands for the department outlines.
_GRID_WEST, _GRID_SOUTH, _GRID_COLUMNS, _CELL = -4.8, 42.3, 11, 0.9


def _cell(index: int) -> tuple[float, float]:
    """South-west corner (lon, lat) of a department's cell."""
    return _GRID_WEST + (index % _GRID_COLUMNS) * _CELL, _GRID_SOUTH + (index // _GRID_COLUMNS) * _CELL


def write_geo(folder: Path, depts: list[str], places: list, combinations: list[tuple[str, ...]], seed: int) -> None:
    """The `geo/` files of the data folder: square department outlines, one point per place and combination
    (the format of `data/geo/`), all synthetic."""
    rng = random.Random(seed + 1)
    folder.mkdir()
    square = lambda x, y, d: [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]  # noqa: E731
    rows, points = [], {}
    features = [
        {
            "type": "Feature",
            "properties": {
                "kind": "region",
                "insee": "99",
                "slug": "france-synthetique",
                "name": "France (synthétique)",
            },
            "geometry": {"type": "Polygon", "coordinates": square(_GRID_WEST, _GRID_SOUTH, _GRID_COLUMNS * _CELL)},
        }
    ]
    for i, (slug, code) in enumerate(zip(depts, DEPARTMENT_CODES, strict=True)):
        x, y = _cell(i)
        features.append(
            {
                "type": "Feature",
                "properties": {"kind": "departement", "insee": code, "slug": slug, "name": f"Département {code}"},
                "geometry": {"type": "Polygon", "coordinates": square(x, y, _CELL)},
            }
        )
        rows.append([slug, f"Département {code}", "departement", "", "synthetic", x + _CELL / 2, y + _CELL / 2, ""])
    for slug, name, dept, insee in places:
        x, y = _cell(depts.index(dept))
        points[slug] = (x + rng.uniform(0.05, 0.85) * _CELL, y + rng.uniform(0.05, 0.85) * _CELL, insee or "")
        rows.append([slug, name, "commune" if insee else "territoire", insee or "", "synthetic", *points[slug][:2], ""])
    for k, parts in enumerate(combinations):
        codes = " ".join(sorted(points[p][2] for p in parts if points[p][2]))
        lon = sum(points[p][0] for p in parts) / len(parts)
        lat = sum(points[p][1] for p in parts) / len(parts)
        rows.append(
            [f"combinaison-{k}", " + ".join(parts), "territoire", codes, "synthetic", lon, lat, " ".join(parts)]
        )
    with open(folder / "places.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["slug", "name", "precision", "insee_codes", "method", "lon", "lat", "parts"])
        writer.writerows([*r[:5], f"{r[5]:.5f}", f"{r[6]:.5f}", r[7]] for r in rows)
    (folder / "hauts-de-france.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False), encoding="utf-8"
    )
    (folder / "source.yaml").write_text(
        'slug: geographie-synthetique\ntitle: "Géographie synthétique écrite par ptce synth"\n'
        "url: urn:x-ptce:synthetic-geography\n",
        encoding="utf-8",
    )


_DATASET = """\
# Synthetic test data generated by `ptce synth` (seed {seed}, {orgs} organisations): not a real directory.
title:
  fr: Annuaire national synthétique des PTCE (données de test)
  en: Synthetic national directory of PTCEs (test data)
description:
  fr: Jeu de données synthétique, généré pour tester le passage à l'échelle ; aucune information réelle.
  en: Synthetic dataset generated to test scale; no real information.
keywords: [PTCE, données synthétiques, test]
license: https://www.etalab.gouv.fr/licence-ouverte-open-licence/
issued: 2026-01-01
source:
  slug: annuaire-synthetique
  title: Annuaire synthétique des PTCE
  file: source/synthetique.txt
  language: fr
"""


def generate(out: Path | str, orgs: int, seed: int = 0) -> SynthSummary:
    """Write a synthetic data folder to `out` (replaced whole; refused if it holds other data)."""
    from ptce.build_folder import staged_dir

    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise FileExistsError(f"{out} exists and is not a synthetic data folder; choose an empty or new folder")
    with staged_dir(out) as tmp:
        (tmp / DATASET_FILE).write_text(_DATASET.format(seed=seed, orgs=orgs), encoding="utf-8")
        (tmp / "source").mkdir()
        summary = _Generator(orgs, seed).write(tmp)
        (tmp / MARKER).write_text(
            f"Synthetic data written by `ptce synth --orgs {orgs} --seed {seed}`. Not real data.\n",
            encoding="utf-8",
        )
    return summary
