"""The records the sources are read into, and the problems found in them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ptce.errors import PtceError
from ptce.rdf.geometry import point_wkt
from ptce.sources.passages import Passage

# The files of a data folder (`data/`), beside `ptce/<slug>.yaml` and `geo/` (see `places`).
DATASET_FILE = "dataset.yaml"
GEOGRAPHY_FILE = "geography.yaml"
THEMES_FILE = "themes.yaml"
ORGANISATIONS_FILE = "organisations.yaml"
PTCE_FOLDER = "ptce"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a source file."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class SourceError(PtceError):
    """The source data has problems; `problems` lists all of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# ---- records --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    slug: str
    name: str
    insee: str | None = None
    wikidata: str | None = None
    kind: str = "departement"
    departement: str | None = None
    source_name: str | None = None


@dataclass(frozen=True)
class Theme:
    slug: str
    label: dict[str, str]
    definition: dict[str, str]
    alt: dict[str, list[str]]
    broader: str | None


@dataclass(frozen=True)
class Organisation:
    slug: str
    name: str
    types: list[str]
    description: str | None = None
    territoire: str | None = None
    source_name: str | None = None
    passage: Passage | None = None  # the words that name it and its kind
    description_passage: Passage | None = None


@dataclass(frozen=True)
class RoleRecord:
    organisation: str
    role: str
    passage: Passage | None = None


@dataclass(frozen=True)
class WorkingGroup:
    name: str
    themes: list[str]
    passage: Passage | None = None  # its name in the source
    theme_passages: dict[str, Passage] = field(default_factory=dict)


@dataclass(frozen=True)
class Initiative:
    slug: str
    name: str
    type: str
    description: str
    themes: list[str]
    organisations: list[str]
    territoire: str | None = None
    source_name: str | None = None
    partner_shops: int | None = None
    subscribers: int | None = None
    passage: Passage | None = None  # its description in the source
    # The passage of each fact, by key: "theme:<slug>", "organisation:<slug>", "partner_shops", "subscribers".
    passages: dict[str, Passage] = field(default_factory=dict)


@dataclass(frozen=True)
class Ptce:
    slug: str
    name: str
    departement: str
    description: str
    themes: list[str]
    territoires: list[str] = field(default_factory=list)
    objectives: list[str] = field(default_factory=list)
    axes: list[str] = field(default_factory=list)
    roles: list[RoleRecord] = field(default_factory=list)
    working_groups: list[WorkingGroup] = field(default_factory=list)
    initiatives: list[Initiative] = field(default_factory=list)
    source_name: str | None = None
    recognised: int | None = None
    collective_approach_since: int | None = None
    file: str = ""
    # The passage of each fact, by key: "section" (the PTCE's part of the document), "description",
    # "objective:<n>", "axis:<n>", "theme:<slug>", "recognised", "collective_approach_since" (n from 1).
    passages: dict[str, Passage] = field(default_factory=dict)


@dataclass(frozen=True)
class Publisher:
    """Who publishes the dataset (DCAT-AP `dct:publisher`): a name, a type of the ADMS publisher-type vocabulary,
    and optionally the IRI that identifies it and its web site."""

    name: str
    type: str
    uri: str | None = None
    homepage: str | None = None


@dataclass(frozen=True)
class Contact:
    """Whom users write to about the dataset (DCAT-AP `dcat:contactPoint`): a name, an address and/or a web form."""

    name: str
    email: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Dataset:
    title: dict[str, str]
    description: dict[str, str]
    keywords: list[str]
    license: str
    issued: dt.date
    source_slug: str
    source_title: str
    source_file: str
    source_language: str
    # What only the publisher can state (DCAT-AP recommends them, the catalog's publisher is mandatory): absent
    # until stated in dataset.yaml, never made up.
    publisher: Publisher | None = None
    contact: Contact | None = None
    temporal: tuple[dt.date, dt.date | None] | None = None  # the period the data describes (start, end)
    availability: str | None = None  # how long the files stay available: a code of PLANNED_AVAILABILITY


@dataclass(frozen=True)
class Location:
    """A point standing for a place, with what it stands for (`precision`) and how it was computed."""

    slug: str
    name: str
    precision: str
    insee_codes: tuple[str, ...]
    method: str
    lon: float
    lat: float
    parts: tuple[str, ...] = ()
    departement: str = ""

    @property
    def kind(self) -> str:
        """'departement', 'territoire' (a territory or commune of geography.yaml) or 'territoires' (a combination)."""
        if self.parts:
            return "territoires"
        return "departement" if self.precision == "departement" else "territoire"

    @property
    def geometry_slug(self) -> str:
        """Slug of the place's geometry node, e.g. 'territoire-pays-de-saint-omer'."""
        return f"{self.kind}-{self.slug}"

    @property
    def wkt(self) -> str:
        return point_wkt(self.lon, self.lat)


@dataclass(frozen=True)
class GeographySource:
    slug: str
    title: str
    url: str


@dataclass(frozen=True)
class Geography:
    """The located places, keyed by slug, and where they come from."""

    source: GeographySource
    locations: dict[str, Location] = field(default_factory=dict)
    outlines: dict[str, dict] = field(default_factory=dict)  # each department's outline (GeoJSON geometry), by slug

    def location_of(self, ptce: Ptce) -> Location:
        """Where a PTCE is placed: its one territory, the combination of its territories, or its department."""
        if len(ptce.territoires) == 1:
            return self.locations[ptce.territoires[0]]
        if ptce.territoires:
            return next(loc for loc in self.locations.values() if set(loc.parts) == set(ptce.territoires))
        return self.locations[ptce.departement]


@dataclass(frozen=True)
class Sources:
    """Everything the data folder says, checked and cross-referenced."""

    dataset: Dataset
    scheme: dict[str, dict[str, str]]
    themes: list[Theme]
    region: Place
    departements: list[Place]
    territoires: list[Place]
    organisations: list[Organisation]
    ptces: list[Ptce]
    data_dir: Path
    geography: Geography | None = None  # located places of data/geo/ (see `places`)
