"""Theme suggestions: labels found in text with case, accents and French inflections folded."""

from __future__ import annotations

import pytest

from ptce.assets import DATA_DIR
from ptce.importer.suggest import Quality, Suggestion, ThemeMatcher, fold, measure, stem, words
from ptce.sources.loader import Theme, load_sources


def theme(slug, fr, en="", alt=()):
    return Theme(slug, {"fr": fr, "en": en or fr}, {"fr": "", "en": ""}, {"fr": list(alt)}, None)


THEMES = [
    theme("alimentation", "Alimentation", "Food"),
    theme("alimentation-durable", "Alimentation durable", "Sustainable food", ["alimentation saine"]),
    theme("dechets", "Réduction des déchets", "Waste reduction", ["déchets"]),
    theme("creation-emplois", "Création d'emplois", "Job creation", ["créateurs d'emplois", "emplois locaux"]),
    theme("renovation", "Rénovation énergétique", "Energy retrofit", ["passoire thermique"]),
    theme("promotion-ess", "Promotion de l'ESS", "Social economy", ["ESS"]),
    theme("innovation-sociale", "Innovation sociale", "Social innovation", ["pratiques innovantes"]),
]


@pytest.fixture(scope="module")
def matcher():
    return ThemeMatcher(THEMES)


def test_fold_removes_case_accents_and_ligatures():
    assert fold("Écologie") == "ecologie"
    assert fold("ŒUVRE") == "oeuvre"
    assert fold("Créée") == "creee"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("emplois", "emploi"),
        ("locaux", "local"),
        ("réseaux", "reseau"),
        ("innovantes", "innovant"),
        ("créatrices", "createur"),
        ("professionnelle", "professionnel"),
        ("inclusive", "inclusif"),
        ("ess", "ess"),
    ],
)
def test_stem_reduces_simple_french_inflections(word, expected):
    assert stem(fold(word)) == expected


def test_words_drop_elisions_and_function_words():
    assert words("Création d'emplois") == words("créations des emplois") == ("creation", "emploi")
    assert words("L'accès à l'alimentation") == ("acc", "alimentation")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LA RÉDUCTION DES DÉCHETS", [("dechets", "RÉDUCTION DES DÉCHETS")]),
        ("des Passoires Thermiques", [("renovation", "Passoires Thermiques")]),
        ("des activités créatrices d'emplois", [("creation-emplois", "créatrices d'emplois")]),
        ("des emplois locaux", [("creation-emplois", "emplois locaux")]),
        ("des expériences et pratiques innovantes", [("innovation-sociale", "pratiques innovantes")]),
        ("Le PTCE est situé à Lille.", []),
    ],
)
def test_labels_match_whatever_the_case_accents_and_inflection(matcher, text, expected):
    assert matcher.matches(text) == expected


def test_a_longer_label_hides_the_shorter_one_it_contains(matcher):
    assert matcher.matches("une alimentation durable") == [("alimentation-durable", "alimentation durable")]
    assert matcher.matches("l'alimentation, et une alimentation saine") == [
        ("alimentation", "alimentation"),
        ("alimentation-durable", "alimentation saine"),
    ]


def test_labels_match_whole_words_only(matcher):
    assert matcher.matches("le COTESS Sambre-Avesnois") == []
    assert matcher.matches("les acteurs de l'ESS") == [("promotion-ess", "ESS")]


def test_english_labels_count_too(matcher):
    assert matcher.matches("a short note on Food") == [("alimentation", "Food")]


def test_one_suggestion_per_theme_with_its_first_phrase_and_line(matcher):
    parts = [("Un intro sans thème.", 10), ("- réduire les déchets", 12), ("- moins de déchets", 13)]
    assert matcher.suggest(parts) == [Suggestion("dechets", "déchets", 12)]


def test_quality_counts_pairs():
    quality = measure([({"a", "b", "c"}, {"a", "b"}), ({"x"}, {"y", "z"})])
    assert quality == Quality(true_positives=2, suggested=4, curated=4)
    assert quality.precision == 0.5 and quality.recall == 0.5
    assert str(quality).startswith("precision 0.50 (2/4 suggestions curated), recall 0.50")
    assert measure([]).precision == measure([]).recall == 0.0


def test_the_project_scheme_labels_all_match_themselves():
    themes = load_sources(DATA_DIR).themes
    matcher = ThemeMatcher(themes)
    for t in themes:
        for label in [*t.label.values(), *(a for alts in t.alt.values() for a in alts)]:
            assert t.slug in {slug for slug, _ in matcher.matches(label)}, (t.slug, label)
