"""The SPARQL 1.1 endpoint at /sparql: Protocol, Service Description on a bare GET, YASGUI for browsers.

Protocol: https://www.w3.org/TR/sparql11-protocol/ (query operation only: the endpoint is read-only).
Limits (config): QUERY_TIMEOUT seconds (503), ROW_LIMIT rows per SELECT (cut results carry the header
`X-SPARQL-Results-Truncated: true`; `X-SPARQL-Row-Limit` gives the limit), MAX_CONTENT_LENGTH bytes (413).
"""

from __future__ import annotations

from functools import partial

from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from ..examples import load_examples
from ..formats import GRAPH_FORMATS, HTML, RESULT_FORMATS, Format
from ..runner import (
    ABORT_KEY,
    NoAcceptableFormat,
    ProcessRunner,
    QueryJob,
    QueryRejected,
    QueryTimeout,
    RemoteFailed,
    Watchdog,
    execute,
)
from ..service_description import service_description
from ..sparql_guard import Analysis, analyse, count_rows
from ..store import OxigraphStore
from . import get_site
from .cors import ROW_LIMIT_HEADER, TRUNCATED_HEADER, cors_headers
from .negotiation import FORMAT_PARAM, best_format, negotiate, not_acceptable_message

bp = Blueprint("sparql", __name__)

FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
NO_REMOTE = "This endpoint never fetches remote data"
READ_ONLY = "This endpoint is read-only: SPARQL Update is not accepted."
WATCHDOG = Watchdog()


class SparqlError(HTTPException):
    """An error answered as plain text, with the message a client can act on."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def text_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(message.rstrip() + "\n", status, headers, content_type="text/plain; charset=utf-8")


@bp.errorhandler(HTTPException)
def plain_error(exc: HTTPException):
    return text_response(exc.code or 500, exc.description or exc.name)


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise SparqlError(400, f"Give one '{name}' parameter, not {len(values)}.")
    return values[0] if values else None


def read_request() -> tuple[str | None, list[str], list[str]]:
    """(query text or None, default-graph-uri list, named-graph-uri list) of a Protocol request."""
    args = request.args
    if request.method == "POST":
        mimetype = request.mimetype
        if mimetype == UPDATE_TYPE or (mimetype == FORM_TYPE and "update" in request.form):
            raise SparqlError(403, READ_ONLY)
        if mimetype == FORM_TYPE:
            args = request.form
            query = _single(args.getlist("query"), "query")
        elif mimetype == QUERY_TYPE:
            try:
                query = request.get_data(cache=False).decode("utf-8")
            except UnicodeDecodeError:
                raise SparqlError(400, "The query is not valid UTF-8.") from None
        else:
            raise SparqlError(415, f"Send a query with GET, or POST it as {FORM_TYPE} (query=...) or as {QUERY_TYPE}.")
        if query is None:
            raise SparqlError(400, "The request has no 'query'.")
    else:
        if "update" in args:
            raise SparqlError(403, READ_ONLY)
        query = _single(args.getlist("query"), "query")
    if query is not None and len(query.encode("utf-8")) > current_app.config["MAX_CONTENT_LENGTH"]:
        raise SparqlError(413, f"The query is longer than {current_app.config['MAX_CONTENT_LENGTH']} bytes.")
    return query, args.getlist("default-graph-uri"), args.getlist("named-graph-uri")


def check_dataset(analysis: Analysis, defaults: list[str], named: list[str]) -> None:
    """Graphs named by FROM, FROM NAMED or the protocol must be in the store: nothing is ever fetched."""
    if analysis.is_update:
        raise SparqlError(403, READ_ONLY)
    allowed = set(current_app.config["FEDERATION_ALLOWLIST"])
    if analysis.service and (not analysis.services or any(s not in allowed for s in analysis.services)):
        listed = f" except {', '.join(f'<{s}>' for s in sorted(allowed))}" if allowed else ""
        raise SparqlError(400, f"SERVICE is not allowed{listed}. {NO_REMOTE}: query this endpoint's own data.")
    asked = (*analysis.from_graphs, *analysis.from_named_graphs, *defaults, *named)
    if not asked:
        return  # most queries: no need to list the graphs (a query of its own on a remote store)
    known = get_site().build.store.graph_names()
    unknown = [g for g in asked if g not in known]
    if unknown:
        available = ", ".join(sorted(f"<{g}>" for g in known)) or "none (all data is in the default graph)"
        raise SparqlError(
            400,
            f"Unknown graph {', '.join(f'<{g}>' for g in unknown)}. {NO_REMOTE}; "
            f"FROM, FROM NAMED, default-graph-uri and named-graph-uri may only name its graphs: {available}.",
        )


def choose_formats(analysis: Analysis) -> tuple[Format | None, Format | None]:
    """(results format, graph format) for the query; 406 when its kind of result has no acceptable format."""
    if analysis.form in ("SELECT", "ASK"):
        return negotiate(RESULT_FORMATS, f"The result of {analysis.form}"), None
    if analysis.is_graph_form:
        return None, negotiate(GRAPH_FORMATS, f"The result of {analysis.form}")
    param, accept = request.values.getlist(FORMAT_PARAM), request.accept_mimetypes
    return best_format(RESULT_FORMATS, accept, param), best_format(GRAPH_FORMATS, accept, param)


def _runner() -> ProcessRunner:
    ext = current_app.extensions
    if "ptce.runner" not in ext:
        runner = ProcessRunner(get_site().build.folder, current_app.config["QUERY_PROCESSES"])
        ext.setdefault("ptce.runner", runner)
    return ext["ptce.runner"]


def run(job: QueryJob, analysis: Analysis):
    """Run the job within QUERY_TIMEOUT, applying ROW_LIMIT; returns (output, truncated)."""
    row_limit = current_app.config["ROW_LIMIT"]
    timeout = current_app.config["QUERY_TIMEOUT"]
    abort = request.environ.get(ABORT_KEY) if current_app.config["QUERY_RUNNER"] == "auto" else None
    store = get_site().build.store
    in_thread = abort is not None or not isinstance(store, OxigraphStore)  # a remote store bounds its own time

    def attempt(limit: int):
        text, clamped = analysis.with_row_limit(job.text, limit)
        one = QueryJob(text, job.result_format, job.graph_format, job.default_graphs, job.named_graphs)
        return (execute(store, one) if in_thread else _runner().run(one, timeout)), clamped

    def limited():
        output, clamped = attempt(row_limit + 1)
        body = output.body
        if clamped and len(body) > row_limit and count_rows(body, output.format_key) > row_limit:
            return attempt(row_limit)[0], True
        return output, False

    if abort is None:
        return limited()
    message = f"Query timed out after {timeout:g} s.\n".encode()
    headers = [("Content-Type", "text/plain; charset=utf-8"), *cors_headers().items()]
    with WATCHDOG.guard(timeout, partial(abort, "503 Service Unavailable", headers, message)):
        return limited()


def answer_query(query: str, defaults: list[str], named: list[str]) -> Response:
    store = get_site().build.store
    analysis = analyse(query, store.prefixes)
    check_dataset(analysis, defaults, named)
    result_format, graph_format = choose_formats(analysis)
    keys = (result_format and result_format.key, graph_format and graph_format.key)
    job = QueryJob(query, *keys, tuple(defaults), tuple(named))
    try:
        output, truncated = run(job, analysis)
    except QueryRejected as exc:
        raise SparqlError(400, f"Malformed query: {exc}") from None
    except RemoteFailed as exc:
        raise SparqlError(502, f"The remote SPARQL endpoint failed: {exc}") from None
    except QueryTimeout:
        raise SparqlError(503, f"Query timed out after {current_app.config['QUERY_TIMEOUT']:g} s.") from None
    except NoAcceptableFormat as exc:
        formats = GRAPH_FORMATS if str(exc) == "graph" else RESULT_FORMATS
        raise SparqlError(406, not_acceptable_message(formats, "This result")) from None
    fmt = next(f for f in (*RESULT_FORMATS, *GRAPH_FORMATS) if f.key == output.format_key)
    headers = {"Vary": "Accept"}
    if output.kind == "solutions":
        headers[ROW_LIMIT_HEADER] = str(current_app.config["ROW_LIMIT"])
        if truncated:
            headers[TRUNCATED_HEADER] = "true"
    return Response(output.body, 200, headers, content_type=content_type(fmt))


def content_type(fmt: Format) -> str:
    return f"{fmt.media_type}; charset=utf-8" if fmt.media_type.startswith("text/") else fmt.media_type


def describe_service() -> Response:
    fmt = negotiate(GRAPH_FORMATS, "The service description")
    build = get_site().build
    store = build.store
    rows = store.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    named = {row["g"]: row["n"] for row in rows}
    sd = service_description(request.base_url, build.iris, len(store) - sum(named.values()), named)
    body = sd.serialize(format=fmt.rdflib, encoding="utf-8")
    return Response(body, 200, {"Vary": "Accept"}, content_type=content_type(fmt))


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint():
    query, defaults, named = read_request()
    if query is not None:
        return answer_query(query, defaults, named)
    if request.method == "GET" and best_format([*GRAPH_FORMATS, HTML], request.accept_mimetypes) == HTML:
        return query_ui()
    return describe_service()


def query_ui() -> Response:
    examples = [{"title": e.title, "comment": e.comment, "query": e.text} for e in load_examples()]
    config = current_app.config
    html = render_template(
        "sparql.html",
        examples=examples,
        timeout=config["QUERY_TIMEOUT"],
        row_limit=config["ROW_LIMIT"],
        max_length=config["MAX_CONTENT_LENGTH"],
        truncated_header=TRUNCATED_HEADER,
    )
    return Response(html, 200, {"Vary": "Accept"}, content_type="text/html; charset=utf-8")
