"""A REST API over the example queries: each `queries/*.rq` is a GET operation (grlc's conventions, see
`ptce.query.examples`), described by an OpenAPI 3.1 document.

- `/api/` a page listing the operations, their parameters and an example call;
- `/api/openapi.json` the OpenAPI description;
- `/api/{operation}` the rows as a JSON array of objects (numbers and booleans as such, unbound values as null),
  or as CSV (`Accept: text/csv`, or `/api/{operation}.csv`; `.json` for JSON).

Each call runs like any query of /sparql: through the guard, in the sandboxed query processes, within the time,
memory and row limits, its answers kept per build with an ETag. Parameter values are checked and written into
the query as terms (IRIs checked, literals escaped): a value can never become query syntax.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, current_app, render_template, request

from ptce import __version__
from ptce.linkeddata.pages import Page
from ptce.query.examples import BadParameter, ExampleQuery, load_examples
from ptce.store.engine import json_term_value
from ptce.web.caching import cached
from ptce.web.cors import ROW_LIMIT_HEADER, TRUNCATED_HEADER
from ptce.web.i18n import _
from ptce.web.site import public_url
from ptce.web.sparql import analysed, check_dataset, evaluate

bp = Blueprint("api", __name__, url_prefix="/api")
OPENAPI_VERSION = "3.1.0"
CSV = "text/csv"


def operations() -> dict[str, ExampleQuery]:
    """The API's operations by name (one per example query)."""
    ext = current_app.extensions
    if "ptce.api" not in ext:
        ext["ptce.api"] = {e.operation: e for e in load_examples()}
    return ext["ptce.api"]


def plain_rows(body: bytes) -> list[dict]:
    """SPARQL JSON results as a list of {variable: plain value} (every projected variable, null if unbound)."""
    data = json.loads(body)
    names = data["head"]["vars"]
    return [{n: json_term_value(row.get(n)) for n in names} for row in data["results"]["bindings"]]


def json_response(data) -> Response:
    """JSON in the order given (the result's columns, the operations' order), UTF-8 as it is."""
    return Response(json.dumps(data, ensure_ascii=False), mimetype="application/json")


def _wants_csv(suffix: str | None) -> bool:
    if suffix is not None:
        if suffix not in ("json", "csv"):
            abort(404, description=f"Pas de format .{suffix} : .json ou .csv.")
        return suffix == "csv"
    accept = request.accept_mimetypes
    return accept.best_match(["application/json", CSV], default="application/json") == CSV


@bp.get("/<operation>")
@bp.get("/<operation>.<suffix>")
@cached
def call(operation: str, suffix: str | None = None):
    """Run one operation with the query string's parameters."""
    example = operations().get(operation)
    if example is None:
        abort(404, description=_("Pas d'opération %(name)s ; voir /api/.", name=operation))
    csv = _wants_csv(suffix)
    try:
        text = example.bind(request.args.to_dict())
    except BadParameter as exc:
        abort(400, description=_("Paramètre incorrect : %(error)s.", error=exc))
    analysis = analysed(text)
    check_dataset(analysis)
    output, _etag = evaluate(analysis, ("csv" if csv else "json", None))
    if output is None:
        response = Response(status=304)
    elif csv:
        response = Response(output.body, content_type="text/csv; charset=utf-8")
    else:
        response = json_response(plain_rows(output.body))
    row_limit = current_app.config["ROW_LIMIT"]
    response.headers[ROW_LIMIT_HEADER] = str(row_limit)
    if output is not None and output.truncated:
        response.headers[TRUNCATED_HEADER] = "true"
    if suffix is None:
        response.headers["Vary"] = "Accept"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _variables(example: ExampleQuery) -> list[str]:
    """The projected variables of an example, in order, as rdflib's SPARQL parser reads its SELECT clause."""
    from rdflib.plugins.sparql import prepareQuery

    return [str(v) for v in prepareQuery(example.text).algebra.get("PV", [])]


def openapi() -> dict:
    """The OpenAPI 3.1 description of the operations (made once per public address: the queries are the
    package's)."""
    key = ("ptce.api.openapi", public_url("api"))
    ext = current_app.extensions
    if key not in ext:
        ext[key] = _openapi(key[1])
    return ext[key]


def _openapi(server: str) -> dict:
    paths = {}
    for name, example in operations().items():
        columns = {v: {"type": ["string", "number", "boolean", "null"]} for v in _variables(example)}
        parameters = [
            {"name": p.name, "in": "query", "required": p.required and p.default is None,
             "description": f"{'IRI' if p.kind == 'iri' else p.kind} ({p.variable} dans la requête)",
             "schema": p.schema}
            for p in example.parameters
        ]  # fmt: skip
        paths[f"/{name}"] = {
            "get": {
                "operationId": name.replace("-", "_"),
                "summary": example.summary,
                "description": f"{example.description}\n\nRequête SPARQL : `queries/{example.name}.rq`.",
                "tags": list(example.tags),
                "parameters": parameters,
                "responses": {
                    "200": {
                        "description": "Les lignes du résultat (au plus la limite de lignes du serveur, "
                        f"en-tête {ROW_LIMIT_HEADER} ; {TRUNCATED_HEADER}: true si coupé).",
                        "content": {
                            "application/json": {"schema": {"type": "array", "items": {
                                "type": "object", "properties": columns}}},
                            CSV: {"schema": {"type": "string"}},
                        },
                    },
                    "304": {"description": "Inchangé depuis la réponse que le client détient (If-None-Match)."},
                    "400": {"description": "Paramètre incorrect.", "content": {"application/json": {"schema": {
                        "$ref": "#/components/schemas/Error"}}}},
                    "503": {"description": "Requête arrêtée à la limite de temps du serveur."},
                },
            }
        }  # fmt: skip
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "API des PTCE des Hauts-de-France",
            "version": __version__,
            "description": "Chaque opération est une requête SPARQL d'exemple du jeu de données "
            "(conventions de grlc). Pour toute autre question : le point d'accès SPARQL.",
            "license": {"name": "Licence Ouverte 2.0", "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"},
        },
        "servers": [{"url": server}],
        "externalDocs": {"description": "Point d'accès SPARQL", "url": public_url("sparql")},
        "paths": paths,
        "components": {"schemas": {"Error": {"type": "object", "properties": {
            "error": {"type": "string"}, "status": {"type": "integer"}, "message": {"type": "string"}}}}},
    }  # fmt: skip


@bp.get("/openapi.json")
@cached
def openapi_json():
    response = json_response(openapi())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/")
@cached
def index():
    """A readable page of the operations, with an example call of each."""
    spec = openapi()
    items = []
    for path, item in spec["paths"].items():
        op = item["get"]
        example = "&".join(f"{p['name']}={p['schema'].get('default', '')}" for p in op["parameters"])
        items.append({"path": path, "op": op, "example": f"/api{path}" + (f"?{example}" if example else ""),
                      "columns": list(op["responses"]["200"]["content"]["application/json"]["schema"]["items"]
                                      ["properties"])})  # fmt: skip
    page = Page("api.html", "API", data={"operations": items, "server": spec["servers"][0]["url"]})
    return render_template(page.template, page=page, alternates=[])
