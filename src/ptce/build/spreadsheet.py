"""The directory as spreadsheets: one row per PTCE in CSV and XLSX, described by a Table Schema.

Written by `ptce build` from the build's own store (the same SPARQL a user could run), so the spreadsheets say
exactly what the graph says. The Table Schema (https://specs.frictionlessdata.io/table-schema/) follows the
conventions of schema.data.gouv.fr: snake_case French field names, a description and an example per field, the
schema's own metadata beside the fields. Cells holding several values (themes, organisations) separate them with
`LIST_SEPARATOR`, in French alphabetical order.

The XLSX is a minimal SpreadsheetML package (ECMA-376) written with the standard library: one sheet, text cells
as inline strings (a spreadsheet never evaluates them as formulas), a bold and frozen header row. In the CSV a
value that a spreadsheet would take for a formula (it begins with `=`, `+`, `-`, `@`, a tab or a carriage
return) is written with a leading apostrophe, as OWASP advises against formula injection.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from ptce.build_folder import TABLE_CSV, TABLE_SCHEMA, TABLE_XLSX, BuildInfo
from ptce.french import fold
from ptce.rdf.namespaces import Iris
from ptce.store.engine import Store

LIST_SEPARATOR = " ; "
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TABLE_SCHEMA_SPEC = "https://frictionlessdata.io/schemas/table-schema.json"


@dataclass(frozen=True)
class Field:
    name: str
    title: str
    description: str
    required: bool = False
    format: str = "default"
    pattern: str | None = None


FIELDS = (
    Field("nom", "Nom du PTCE", "Le nom du pôle, tel que la carte régionale l'écrit (fautes évidentes corrigées).",
          required=True),
    Field("departement", "Département", "Le département du pôle.", required=True),
    Field("code_departement", "Code du département", "Le code INSEE du département (COG).", required=True,
          pattern=r"^(\d{2,3}|2[AB])$"),
    Field("territoires", "Territoires", f"Les territoires où le pôle agit, séparés par « {LIST_SEPARATOR.strip()} »."),
    Field("thematiques", "Thématiques", "Les thématiques du pôle (libellés du schéma de thématiques), séparées par "
          f"« {LIST_SEPARATOR.strip()} »."),
    Field("porteurs", "Structures porteuses", "Les organisations qui portent le pôle, séparées par "
          f"« {LIST_SEPARATOR.strip()} »."),
    Field("animateurs", "Structures animatrices", "Les organisations qui animent le pôle, séparées par "
          f"« {LIST_SEPARATOR.strip()} »."),
    Field("partenaires", "Structures partenaires", "Les organisations partenaires du pôle, séparées par "
          f"« {LIST_SEPARATOR.strip()} »."),
    Field("iri", "Identifiant (IRI)", "L'identifiant du pôle dans le graphe de connaissances.",
          required=True, format="uri"),
    Field("page", "Page web", "La page du pôle sur le site.", required=True, format="uri"),
)  # fmt: skip

PTCES = """
SELECT ?ptce ?name ?department ?code WHERE {
  ?ptce a ptce:PTCE ; skos:prefLabel ?name ; ptce:department ?d .
  ?d skos:prefLabel ?department ; igeo:codeINSEE ?code .
  FILTER(LANG(?name) = "fr" && LANG(?department) = "fr")
}
"""
TERRITORIES = """
SELECT ?ptce ?value WHERE { ?ptce a ptce:PTCE ; schema:areaServed/skos:prefLabel ?value FILTER(LANG(?value) = "fr") }
"""
THEMES = """
SELECT ?ptce ?value WHERE { ?ptce a ptce:PTCE ; dcterms:subject/skos:prefLabel ?value FILTER(LANG(?value) = "fr") }
"""
ROLES = """
SELECT ?ptce ?role ?value WHERE {
  ?m org:organization ?ptce ; org:role ?role ; org:member/skos:prefLabel ?value .
  ?ptce a ptce:PTCE .
  FILTER(LANG(?value) = "fr")
}
"""
ROLE_FIELDS = {"CarrierRole": "porteurs", "FacilitatorRole": "animateurs", "PartnerRole": "partenaires"}


def collation_key(text: str) -> tuple[str, str]:
    """French alphabetical order: accents and case set aside first, then the text itself."""
    return fold(text), text


def directory_rows(store: Store, iris: Iris) -> list[dict[str, str]]:
    """One row per PTCE (the fields of `FIELDS`), in French alphabetical order of their names."""
    rows: dict[str, dict[str, str]] = {}
    for r in store.select(PTCES):
        rows[r["ptce"]] = {
            "nom": r["name"],
            "departement": r["department"],
            "code_departement": r["code"],
            "iri": r["ptce"],
            "page": str(iris.document(iris.page_path(r["ptce"]))),
        }
    lists: dict[tuple[str, str], set[str]] = {}
    for field, query in (("territoires", TERRITORIES), ("thematiques", THEMES)):
        for r in store.select(query):
            lists.setdefault((r["ptce"], field), set()).add(r["value"])
    for r in store.select(ROLES):
        field = ROLE_FIELDS.get(r["role"].removeprefix(str(iris.vocab)))
        if field:
            lists.setdefault((r["ptce"], field), set()).add(r["value"])
    for iri, row in rows.items():
        for field in ("territoires", "thematiques", *ROLE_FIELDS.values()):
            row[field] = LIST_SEPARATOR.join(sorted(lists.get((iri, field), ()), key=collation_key))
    ordered = sorted(rows.values(), key=lambda row: collation_key(row["nom"]))
    return [{f.name: row[f.name] for f in FIELDS} for row in ordered]


def csv_safe(value: str) -> str:
    """The value as a CSV cell that no spreadsheet evaluates (see the module docstring)."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def to_csv(rows: list[dict[str, str]]) -> bytes:
    """RFC 4180 CSV in UTF-8: a header of field names, one line per row (CRLF)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f.name for f in FIELDS])
    for row in rows:
        writer.writerow([csv_safe(row[f.name]) for f in FIELDS])
    return out.getvalue().encode("utf-8")


def _xml_text(value: str) -> str:
    """Text for an XML 1.0 document: characters XML cannot hold are dropped, the rest escaped."""
    kept = "".join(c for c in value if c in "\t\n\r" or (" " <= c <= "\ud7ff") or ("\ue000" <= c <= "\ufffd")
                   or c >= "\U00010000")  # fmt: skip
    return escape(kept)


def _column(index: int) -> str:
    """Spreadsheet column letters of a 0-based index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _cell(ref: str, value: str, style: int = 0) -> str:
    space = ' xml:space="preserve"' if value != value.strip() or "\n" in value else ""
    styled = f' s="{style}"' if style else ""
    return f'<c r="{ref}" t="inlineStr"{styled}><is><t{space}>{_xml_text(value)}</t></is></c>'


XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
        'Target="styles.xml"/></Relationships>'
    ),
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
        '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
SHEET_NAME = "PTCE"


def to_xlsx(rows: list[dict[str, str]]) -> bytes:
    """The rows as an XLSX workbook of one sheet, the header row (field titles) bold and frozen."""
    widths = [max(len(f.title), *(min(len(r[f.name]), 60) for r in rows)) + 2 for f in FIELDS]
    lines = [f'<row r="1">{"".join(_cell(f"{_column(i)}1", f.title, 1) for i, f in enumerate(FIELDS))}</row>']
    for n, row in enumerate(rows, 2):
        cells = "".join(_cell(f"{_column(i)}{n}", row[f.name]) for i, f in enumerate(FIELDS) if row[f.name])
        lines.append(f'<row r="{n}">{cells}</row>')
    last = f"{_column(len(FIELDS) - 1)}{len(rows) + 1}"
    columns = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1))
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:{last}"/>'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
        f"<cols>{columns}</cols><sheetData>{''.join(lines)}</sheetData></worksheet>"
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{SHEET_NAME}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    parts = {**XLSX_PARTS, "xl/workbook.xml": workbook, "xl/worksheets/sheet1.xml": sheet}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name in ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                     "xl/styles.xml", "xl/worksheets/sheet1.xml"):  # fmt: skip
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # the same rows give the same bytes
            entry.compress_type = zipfile.ZIP_DEFLATED
            package.writestr(entry, parts[name])
    return out.getvalue()


def table_schema(iris: Iris, info: BuildInfo, title: str, license: str, rows: list[dict[str, str]]) -> dict:
    """The Table Schema of the spreadsheets, with its metadata in the manner of schema.data.gouv.fr; each field's
    example is the first value the rows give it (never a made-up one)."""
    fields = []
    for f in FIELDS:
        field = {"name": f.name, "title": f.title, "description": f.description, "type": "string",
                 "format": f.format, "constraints": {"required": f.required}}  # fmt: skip
        example = next((row[f.name] for row in rows if row[f.name]), None)
        if example is not None:
            field["example"] = example
        if f.pattern:
            field["constraints"]["pattern"] = f.pattern
        fields.append(field)
    return {
        "$schema": TABLE_SCHEMA_SPEC,
        "name": "ptce-annuaire",
        "title": f"Annuaire des PTCE — {title}",
        "description": "Une ligne par Pôle Territorial de Coopération Économique : nom, département, territoires, "
        "thématiques, structures porteuses, animatrices et partenaires, identifiant et page web. Écrit par "
        "`ptce build` à partir du graphe validé.",
        "countryCode": "FR",
        "homepage": str(iris.document("")),
        "path": str(iris.document(TABLE_SCHEMA)),
        "resources": [{"title": "Le fichier publié", "path": str(iris.document(TABLE_CSV))}],
        "licenses": [{"path": license}],
        "created": info.built_at[:10],
        "lastModified": info.built_at[:10],
        "version": info.version,
        "fields": fields,
        "missingValues": [""],
        "primaryKey": "iri",
    }


def write_spreadsheets(folder: Path, store: Store, info: BuildInfo, title: str, license: str) -> None:
    """Write TABLE_CSV, TABLE_XLSX and TABLE_SCHEMA into a build folder, from its store."""
    iris = Iris(info.base_iri)
    rows = directory_rows(store, iris)
    (folder / TABLE_CSV).write_bytes(to_csv(rows))
    (folder / TABLE_XLSX).write_bytes(to_xlsx(rows))
    schema = table_schema(iris, info, title, license, rows)
    (folder / TABLE_SCHEMA).write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
