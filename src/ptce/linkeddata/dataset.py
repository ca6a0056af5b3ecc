"""The dataset as its published DCAT catalog describes it: what the home and catalog pages show."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDFS

from ptce.build_folder import TABLE_SCHEMA
from ptce.rdf.namespaces import IANA, LICENCE_NAMES, VCARD, Iris, preferred_text


def read_metadata(folder: Path, name: str, license: str | None = None) -> Graph:
    """A metadata file of a build (VOID_FILE or CATALOG_FILE); `license` replaces the licence it states."""
    g = Graph().parse(Path(folder) / name, format="turtle")
    if license:
        for node in set(g.subjects(DCTERMS.license, None)):
            g.set((node, DCTERMS.license, URIRef(license)))
    g.bind("foaf", FOAF)
    return g


def _rights(catalog: Graph, ds) -> str | None:
    """The text of the rights statement (a resource with its label; a plain literal in older builds)."""
    node = catalog.value(ds, DCTERMS.rights)
    if node is None or isinstance(node, Literal):
        return None if node is None else str(node)
    return preferred_text(catalog, node, RDFS.label)


def dataset_summary(catalog: Graph, iris: Iris, lang: str = "fr") -> dict:
    """What the home and catalog pages say about the dataset, read from its DCAT description (texts in `lang`
    where it has them)."""
    ds = iris.dataset
    dists = []
    for dist in catalog.objects(ds, DCAT.distribution):
        url = str(catalog.value(dist, DCAT.downloadURL))
        dists.append(
            {
                "title": preferred_text(catalog, dist, DCTERMS.title),
                "url": url,
                "href": iris.path_of(url) or url,
                "media_type": str(catalog.value(dist, DCAT.mediaType)).removeprefix(str(IANA)),
                "compressed": (dist, DCAT.compressFormat, None) in catalog,
                "size": int(catalog.value(dist, DCAT.byteSize) or 0),
                "table": (dist, DCTERMS.conformsTo, iris.document(TABLE_SCHEMA)) in catalog,  # a spreadsheet
            }
        )
    license = catalog.value(ds, DCTERMS.license)
    publisher = catalog.value(ds, DCTERMS.publisher)
    contact = catalog.value(ds, DCAT.contactPoint)
    return {
        "publisher": {
            "name": str(catalog.value(publisher, FOAF.name) or ""),
            "homepage": str(catalog.value(publisher, FOAF.homepage) or "") or None,
        }
        if publisher is not None
        else None,
        "contact": {
            "name": str(catalog.value(contact, VCARD.fn) or ""),
            "email": str(catalog.value(contact, VCARD.hasEmail) or "").removeprefix("mailto:") or None,
            "url": str(catalog.value(contact, VCARD.hasURL) or "") or None,
        }
        if contact is not None
        else None,
        "title": preferred_text(catalog, ds, DCTERMS.title, lang),
        "description": preferred_text(catalog, ds, DCTERMS.description, lang),
        "keywords": sorted(str(k) for k in catalog.objects(ds, DCAT.keyword)),
        "license": str(license) if license else None,
        "license_name": LICENCE_NAMES.get(str(license), str(license)) if license else None,
        "rights": _rights(catalog, ds),
        "issued": str(catalog.value(ds, DCTERMS.issued) or ""),
        "modified": str(catalog.value(ds, DCTERMS.modified) or ""),
        "distributions": sorted(dists, key=lambda d: (d["compressed"], d["url"])),
    }
