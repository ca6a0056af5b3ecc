"""The published graph says what the source document says: counts, roles, figures, languages, provenance."""

from __future__ import annotations

import pytest
from rdflib import OWL, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from ptce.rdf.namespaces import IGEO, ORG, SCHEMA, WD

from ..conftest import IRIS

V = IRIS.vocab
PTCES = {
    "nord": ["Auton'Hommes", "COTESS Sambre-Avesnois"],
    "pas-de-calais": [
        "Anima Grand Calais",
        "CoHose",
        "Eco-Pôle Alimentaire d'Audruicq",
        "Emergence Hénin-Carvin",
        "Noeux Environnement",
        "Pôle Ressources",
        "Quai des Initiatives Solidaires",
        "Transition Plurielle Montreuillois Ternois 7 Vallées",
    ],
    "oise": ["Emergence Sud Oise", "Partage Travail", "Pôle de Coopération Oise Ouest"],
    "somme": ['Amiens Métropole "Une Ville Idéale"', "Valorizons"],
    "aisne": [],
}


def ptce(slug):
    return IRIS.thing("ptce", slug)


def names_in(graph, dept_slug):
    dept = IRIS.thing("departement", dept_slug)
    return sorted(
        str(graph.value(p, SKOS.prefLabel))
        for p in graph.subjects(V.department, dept)
        if (p, RDF.type, V.PTCE) in graph
    )


@pytest.mark.parametrize("dept", sorted(PTCES))
def test_ptces_per_department(graph, dept):
    assert names_in(graph, dept) == sorted(PTCES[dept])


def test_fifteen_ptces_and_five_departments_with_codes(graph):
    assert len(set(graph.subjects(RDF.type, V.PTCE))) == 15
    codes = {str(graph.value(d, IGEO.codeINSEE)) for d in graph.subjects(RDF.type, IGEO.Departement)}
    assert codes == {"02", "59", "60", "62", "80"}
    aisne = IRIS.thing("departement", "aisne")
    assert (aisne, IGEO.codeINSEE, Literal("02", datatype=XSD.token)) in graph
    assert (aisne, IGEO.subdivisionDe, IRIS.thing("region", "hauts-de-france")) in graph
    assert (IRIS.thing("region", "hauts-de-france"), IGEO.codeINSEE, Literal("32", datatype=XSD.token)) in graph
    assert (aisne, OWL.sameAs, WD.Q3093) in graph


def test_carriers_and_partners_are_explicit_roles(graph):
    def roles(slug):
        return {
            (str(graph.value(m, ORG.member)).rsplit("/", 1)[-1], str(graph.value(m, ORG.role)).rsplit("#")[-1])
            for m in graph.subjects(ORG.organization, ptce(slug))
        }

    assert roles("auton-hommes") == {("collectif-phare", "CarrierRole")}  # "porté par le collectif PHARE"
    assert roles("noeux-environnement") == {("noeux-environnement", "FacilitatorRole")}  # "animé par une association"
    # an axis "avec la SCIC TILT" and a realisation "auprès du bailleur": organisations of initiatives, not roles
    assert roles("transition-plurielle-montreuillois-ternois-7-vallees") == set()
    assert roles("anima-grand-calais") == set()
    rte = IRIS.thing("projet", "revenu-de-transition-ecologique-montreuillois-ternois-7-vallees")
    assert (rte, V.involves, IRIS.thing("organisation", "scic-tilt")) in graph
    renovation = IRIS.thing("projet", "renovation-logements-terre-d-opale-habitat")
    assert (renovation, V.involves, IRIS.thing("organisation", "terre-d-opale-habitat")) in graph
    assert (ptce("auton-hommes"), V.carriedBy, IRIS.thing("organisation", "collectif-phare")) in graph
    tilt = IRIS.thing("organisation", "scic-tilt")
    types = {t.rsplit("#", 1)[-1] for t in graph.objects(tilt, ORG.classification)}
    assert types == {"SCIC", "CAE"}


def test_auton_hommes_has_its_eight_working_groups(graph):
    groups = {str(graph.value(g, SKOS.prefLabel)) for g in graph.objects(ptce("auton-hommes"), ORG.hasSubOrganization)}
    assert groups == {
        "Cadre Juridique de la coopération",
        "Accompagnement de projet",
        "EcoMobilité solidaire",
        "Services aux entreprises",
        "GPEC",
        "Numérique Responsable",
        "Déchets & Alimentation",
        "Mobilisation citoyenne",
    }


def test_figures_are_typed_numbers(graph):
    shop = IRIS.thing("projet", "mon-shopping-c-est-calais")
    garden = IRIS.thing("projet", "jardin-de-cocagne")
    assert graph.value(shop, V.partnerShopCount) == Literal(104, datatype=XSD.integer)
    # "D'un Jardin de Cognac comptant 70 abonnés": a past state, quoted, never a current figure
    assert graph.value(garden, V.subscriberCount) is None
    assert (str(graph.value(garden, SKOS.prefLabel)), str(graph.value(garden, SKOS.hiddenLabel))) == (
        "Jardin de Cocagne",
        "Jardin de Cognac",
    )
    assert graph.value(shop, V.partnerShopCount).toPython() == 104


def test_dates_are_typed_years(graph):
    event = graph.value(ptce("eco-pole-alimentaire-d-audruicq"), V.recognition)
    assert graph.value(event, DCTERMS.date) == Literal("2015", datatype=XSD.gYear)
    since = graph.value(ptce("quai-des-initiatives-solidaires"), V.collectiveApproachSince)
    assert since == Literal("2014", datatype=XSD.gYear)


def test_typos_corrected_with_source_spelling_hidden(graph):
    tp = ptce("transition-plurielle-montreuillois-ternois-7-vallees")
    assert str(graph.value(tp, SKOS.prefLabel)) == "Transition Plurielle Montreuillois Ternois 7 Vallées"
    assert str(graph.value(tp, SKOS.hiddenLabel)) == "Transition Plurielle Montreuillois Termois 7 Vallées"
    ca = IRIS.thing("territoire", "ca-henin-carvin")
    assert str(graph.value(ca, SKOS.hiddenLabel)) == "Communauté d'Agglomération d'Héning-Carvin"


def test_every_ptce_has_french_description_themes_and_provenance(graph):
    for p in graph.subjects(RDF.type, V.PTCE):
        descriptions = list(graph.objects(p, DCTERMS.description))
        assert len(descriptions) == 1 and descriptions[0].language == "fr", p
        assert (p, PROV.wasDerivedFrom, IRIS.source_document("carte-regionale-ptce-hauts-de-france")) in graph, p
        assert list(graph.objects(p, DCTERMS.subject)), p
        for text in [*graph.objects(p, V.objective), *graph.objects(p, V.axis)]:
            assert text.language == "fr" and "*" not in text


def test_objectives_and_axes_are_separate_literals(graph):
    assert len(list(graph.objects(ptce("cotess-sambre-avesnois"), V.objective))) == 4
    assert len(list(graph.objects(ptce("anima-grand-calais"), V.axis))) == 3
    assert len(list(graph.objects(ptce("pole-ressources"), V.axis))) == 3
    assert len(list(graph.objects(ptce("transition-plurielle-montreuillois-ternois-7-vallees"), V.axis))) == 4
    assert len(list(graph.objects(ptce("valorizons"), V.objective))) == 3


def test_territories_named_by_the_text(graph):
    def served(slug):
        return {str(t).rsplit("/", 1)[-1] for t in graph.objects(ptce(slug), SCHEMA.areaServed)}

    assert served("auton-hommes") == {"hainaut-cambresis"}
    assert served("transition-plurielle-montreuillois-ternois-7-vallees") == {"montreuillois", "ternois", "7-vallees"}
    assert served("cohose") == served("partage-travail") == served("valorizons") == set()
    noeux = IRIS.thing("territoire", "noeux-les-mines")
    assert (noeux, IGEO.codeINSEE, Literal("62617", datatype=XSD.token)) in graph


def test_themes_form_a_two_level_bilingual_scheme(graph):
    concepts = set(graph.subjects(SKOS.inScheme, IRIS.theme_scheme))
    assert 20 <= len(concepts) <= 40
    for c in concepts:
        langs = {lbl.language for lbl in graph.objects(c, SKOS.prefLabel)}
        assert langs == {"fr", "en"}, c
        for broader in graph.objects(c, SKOS.broader):
            assert not list(graph.objects(broader, SKOS.broader)), "only two levels"
    food = IRIS.thing("theme", "alimentation")
    assert {str(n).rsplit("/", 1)[-1] for n in graph.objects(food, SKOS.narrower)} >= {
        "circuits-courts",
        "precarite-alimentaire",
        "agriculture-urbaine",
    }


def test_names_are_corrected_and_the_source_spelling_kept(graph):
    noeux = IRIS.thing("territoire", "noeux-les-mines")
    assert str(graph.value(noeux, SKOS.prefLabel)) == "Nœux-les-Mines"  # the commune's official name
    assert str(graph.value(noeux, SKOS.hiddenLabel)) == "Noeux les Mines"
    recognition = IRIS.thing("evenement", "labellisation-eco-pole-alimentaire-d-audruicq-2015")
    assert str(graph.value(recognition, RDFS.label)) == "Labellisation PTCE d'Eco-Pôle Alimentaire d'Audruicq (2015)"


def test_types_and_kinds_are_the_source_words(graph):
    """ "auprès du bailleur Terre d'Opale Habitat": a landlord (not said to be social); "la market place"."""
    landlord = IRIS.thing("organisation", "terre-d-opale-habitat")
    assert set(graph.objects(landlord, ORG.classification)) == {V.Bailleur}
    shop = IRIS.thing("projet", "mon-shopping-c-est-calais")
    assert str(graph.value(shop, V.initiativeType)) == "market place"


def test_themes_are_those_the_text_supports(graph):
    """The theme review: each change with the passage that decides it."""

    def themes(slug):
        return {str(t).rsplit("/", 1)[-1] for t in graph.objects(ptce(slug), DCTERMS.subject)}

    assert "insertion" not in themes("valorizons")  # nothing in its text about insertion
    assert "creation-emplois" not in themes("cotess-sambre-avesnois")
    assert "marches-publics" in themes("cotess-sambre-avesnois")  # "leur capacité à répondre aux marchés publics"
    assert "evaluation-impact" not in themes("emergence-henin-carvin")  # "indicateurs d'évaluations", no impact
    assert "innovation-sociale" in themes("auton-hommes")  # "des réponses aux besoins non satisfaits"
    assert "innovation-sociale" in themes("amiens-metropole-une-ville-ideale")  # "réponse à des besoins non-couverts"
    assert {"economie-locale", "entrepreneuriat"} <= themes("quai-des-initiatives-solidaires")
    assert "creation-emplois" in themes("pole-ressources")  # "initier, dupliquer, développer services et activités"
    assert "lien-social" in themes("partage-travail")  # "favorisant leur mieux-être et le lien social"
    assert "education-environnement" in themes("noeux-environnement")  # "d'éducation et de sensibilisation à ..."
    friche = IRIS.thing("projet", "friche-carrefour-noeux-les-mines")
    assert {"insertion", "entrepreneuriat", "formation"} <= {
        str(t).rsplit("/", 1)[-1] for t in graph.objects(friche, DCTERMS.subject)
    }  # "insertion", "accueil et d'incubateur de projets", "centre de formation"
    mobility = IRIS.thing("theme", "mobilite")  # Oise Ouest says "de mobilité", not "mobilité solidaire"
    assert str(graph.value(mobility, SKOS.prefLabel)) in ("Mobilité", "Mobility")


def test_terms_are_used_with_the_values_their_vocabularies_define(graph):
    """dcterms:language/format/creator take resources, igeo's codes and names are xsd:token (INSEE's ontology),
    and no class is mapped with SKOS (whose mapping properties relate concepts)."""
    doc = IRIS.source_document("carte-regionale-ptce-hauts-de-france")
    assert graph.value(doc, DCTERMS.language) == URIRef("http://publications.europa.eu/resource/authority/language/FRA")
    assert graph.value(doc, DCTERMS.format) == URIRef("https://www.iana.org/assignments/media-types/text/plain")
    for prop in (DCTERMS.language, DCTERMS.format, DCTERMS.creator):
        assert not [o for o in graph.objects(None, prop) if isinstance(o, Literal)], prop
    codes = list(graph.objects(None, IGEO.codeINSEE)) + list(graph.objects(None, IGEO.nom))
    assert len(codes) > 10 and {c.datatype for c in codes} == {XSD.token}
    assert str(graph.value(IRIS.thing("departement", "nord"), IGEO.codeINSEE)) == "59"
    assert not [s for s in graph.subjects(SKOS.closeMatch, None) if (s, RDF.type, OWL.Class) in graph]
