"""The SPARQL 1.1 endpoint at /sparql: Protocol, Service Description on a bare GET, YASGUI for browsers.

Protocol: https://www.w3.org/TR/sparql11-protocol/ (query operation only: the endpoint is read-only).
Limits (config): QUERY_TIMEOUT seconds (503), ROW_LIMIT rows per SELECT (cut results carry the header
`X-SPARQL-Results-Truncated: true`; `X-SPARQL-Row-Limit` gives the limit), MAX_CONTENT_LENGTH bytes (413).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request
from werkzeug.exceptions import HTTPException

from ptce import __version__
from ptce.linkeddata.describe import iri_ref
from ptce.query import planner
from ptce.query.examples import load_examples
from ptce.query.guard import READ_ONLY, Analysis, QueryRefused, analyse, refusal
from ptce.query.planner import WouldNotFinish
from ptce.query.result_cache import ResultCache, etag_of
from ptce.query.runner import (
    NoAcceptableFormat,
    ProcessRunner,
    QueryCrashed,
    QueryJob,
    QueryOutOfMemory,
    QueryOutput,
    QueryRejected,
    QueryTimeout,
    RemoteFailed,
    ResultTooLarge,
    execute,
)
from ptce.rdf.formats import GRAPH_FORMATS, HTML, RESULT_FORMATS, Format
from ptce.web.cors import ROW_LIMIT_HEADER, TRUNCATED_HEADER
from ptce.web.negotiation import FORMAT_PARAM, best_format, negotiate, not_acceptable_message
from ptce.web.service_description import service_description
from ptce.web.site import Build, get_site, public_url

bp = Blueprint("sparql", __name__)

FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"


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
    graphs = args.getlist("default-graph-uri"), args.getlist("named-graph-uri")
    for name, values in zip(("default-graph-uri", "named-graph-uri"), graphs, strict=True):
        for value in values:
            try:
                iri_ref(value)
            except ValueError:
                raise SparqlError(400, f"{name} must be an absolute IRI; got {value[:200]!r}") from None
    return query, *graphs


def check_dataset(analysis: Analysis) -> None:
    """Updates and SERVICE are refused. A graph named by FROM, FROM NAMED or the protocol that the store does not
    hold is an empty graph, as the protocol's tests expect: the engine never fetches one (and cannot: `sandbox`)."""
    refused = refusal(analysis, frozenset(current_app.config["FEDERATION_ALLOWLIST"]))
    if refused:
        raise SparqlError(403 if analysis.is_update else 400, refused)


def choose_formats(analysis: Analysis) -> tuple[Format | None, Format | None]:
    """(results format, graph format) for the query; 406 when its kind of result has no acceptable format."""
    if analysis.form in ("SELECT", "ASK"):
        return negotiate(RESULT_FORMATS, f"The result of {analysis.form}"), None
    if analysis.is_graph_form:
        return None, negotiate(GRAPH_FORMATS, f"The result of {analysis.form}")
    param, accept = request.values.getlist(FORMAT_PARAM), request.accept_mimetypes
    return best_format(RESULT_FORMATS, accept, param), best_format(GRAPH_FORMATS, accept, param)


def _runner(network: bool) -> ProcessRunner:
    """This server process's pool of query processes for the build in service (`network`: for federation)."""
    config, folder = current_app.config, get_site().build.folder
    key = ("ptce.query.runner", str(folder), network)
    ext = current_app.extensions
    if key not in ext:
        for old in [k for k in ext if isinstance(k, tuple) and k[0] == "ptce.query.runner" and k[1] != str(folder)]:
            ext.pop(old).close()  # the pool of a build no longer in service
        runner = ProcessRunner(folder, config["QUERY_PROCESSES"], memory_limit=config["MAX_QUERY_MEMORY"],
                               result_bytes=config["MAX_RESULT_BYTES"], network=network)  # fmt: skip
        ext.setdefault(key, runner)
    return ext[key]


def run(job: QueryJob, analysis: Analysis):
    """Run the job within QUERY_TIMEOUT and the memory and size limits; returns the output (rows cut to ROW_LIMIT).

    The embedded store's queries run in sandboxed query processes (`ptce.query.runner`); a remote store bounds its own
    time and runs in this thread.
    """
    config = current_app.config
    store = get_site().build.store
    if not store.embedded:
        return execute(store, job, config["MAX_RESULT_BYTES"])
    return _runner(network=analysis.service).run(job, config["QUERY_TIMEOUT"])


def run_planned(job: QueryJob, analysis: Analysis, build: Build):
    """`run` the job; on the embedded store, as the planner rewrites it for the build's data (`ptce.query.planner`),
    and refused at once when the build's counts show it cannot finish within QUERY_TIMEOUT (`WouldNotFinish`)."""
    if not build.store.embedded:
        return run(job, analysis)
    seconds = current_app.config["QUERY_TIMEOUT"]
    return planner.run_planned(lambda j: run(j, analysis), job, build.store.prefixes, build.statistics, seconds)


def answer_query(query: str, defaults: list[str], named: list[str]) -> Response:
    analysis = analysed(query)
    check_dataset(analysis)
    result_format, graph_format = choose_formats(analysis)
    keys = (result_format and result_format.key, graph_format and graph_format.key)
    output, etag = evaluate(analysis, keys, defaults, named)
    if output is None:
        return answer_not_modified(etag)
    return answer(output, etag, current_app.config["ROW_LIMIT"])


def analysed(query: str) -> Analysis:
    """The guard's reading of a query (400 when it refuses it)."""
    try:
        return analyse(query, get_site().build.store.prefixes)
    except QueryRefused as exc:
        raise SparqlError(400, f"Refused query: {exc}") from None


def evaluate(analysis: Analysis, keys: tuple[str | None, str | None], defaults: list[str] = (),
             named: list[str] = ()) -> tuple[QueryOutput | None, str | None]:  # fmt: skip
    """Run a query the guard let through, in the formats `keys` (results, graphs), within the limits; returns
    (its output, its ETag), or (None, ETag) when the client already holds that answer (answer 304). A build's
    answers are kept (they never change until the next build); errors are SparqlError with their status."""
    build = get_site().build  # one build for the whole request, even if a reload swaps it meanwhile
    store = build.store
    config = current_app.config
    row_limit = config["ROW_LIMIT"]
    limited, _ = analysis.limited(row_limit + 1)  # one row more than the limit: tells a cut result from a full one
    job = QueryJob(limited.text, *keys, tuple(defaults), tuple(named), row_limit)
    key = etag = None
    if store.embedded and not analysis.service and not analysis.volatile:
        key = (build.info.version, __version__, job)  # a build's answers never change (for one software version)
        etag = etag_of(key)
        if request.if_none_match.contains(etag):
            return None, etag
        cache = _cache()
        if (output := cache.get(key)) is not None:
            return output, etag
    try:
        output = run_planned(job, analysis, build)
    except QueryRejected as exc:
        raise SparqlError(400, f"Malformed query: {limited.locate(str(exc))}") from None
    except RemoteFailed as exc:
        raise SparqlError(502, f"The remote SPARQL endpoint failed: {exc}") from None
    except QueryTimeout:
        raise SparqlError(503, f"Query timed out after {config['QUERY_TIMEOUT']:g} s.") from None
    except WouldNotFinish as exc:
        raise SparqlError(503, str(exc)) from None
    except QueryCrashed as exc:
        raise SparqlError(500, f"Query failed: {exc}. The server goes on serving other queries.") from None
    except QueryOutOfMemory:
        limit = config["MAX_QUERY_MEMORY"] / 1024**2
        raise SparqlError(507, f"Query stopped: it needed more than its {limit:,.0f} MiB of memory.") from None
    except ResultTooLarge:
        limit = config["MAX_RESULT_BYTES"] / 1024**2
        raise SparqlError(507, f"Query stopped: its result passed {limit:,.0f} MiB. Use LIMIT / OFFSET.") from None
    except NoAcceptableFormat as exc:
        kind, *detail = exc.args
        if detail:  # the format asked for cannot express this result
            raise SparqlError(406, f"This result cannot be written in the format asked for: {detail[0]}.") from None
        formats = GRAPH_FORMATS if kind == "graph" else RESULT_FORMATS
        raise SparqlError(406, not_acceptable_message(formats, "This result")) from None
    if key is not None:
        cache.put(key, output, len(output.body))
    return output, etag


def _cache() -> ResultCache:
    ext, config = current_app.extensions, current_app.config
    if "ptce.results" not in ext:
        ext.setdefault("ptce.results", ResultCache(config["RESULT_CACHE_BYTES"], config["RESULT_CACHE_BYTES"] // 16))
    return ext["ptce.results"]


def answer(output: QueryOutput, etag: str | None, row_limit: int) -> Response:
    """The response for a query's output; with an ETag, cacheable by clients and proxies (GET) and revalidated."""
    fmt = next(f for f in (*RESULT_FORMATS, *GRAPH_FORMATS) if f.key == output.format_key)
    headers = {"Vary": "Accept"}
    if output.kind == "solutions":
        headers[ROW_LIMIT_HEADER] = str(row_limit)
        if output.truncated:
            headers[TRUNCATED_HEADER] = "true"
    response = Response(output.body, 200, headers, content_type=content_type(fmt))
    return with_validator(response, etag) if etag is not None else response


def answer_not_modified(etag: str) -> Response:
    return with_validator(Response(status=304, headers={"Vary": "Accept"}), etag)


def with_validator(response: Response, etag: str) -> Response:
    """The answer's ETag; for GET, also public caching for CACHE_MAX_AGE seconds (POST answers are not cached)."""
    response.set_etag(etag)
    if request.method == "GET":
        response.cache_control.public = True
        response.cache_control.max_age = current_app.config["CACHE_MAX_AGE"]
    return response


def content_type(fmt: Format) -> str:
    return f"{fmt.media_type}; charset=utf-8" if fmt.media_type.startswith("text/") else fmt.media_type


def describe_service() -> Response:
    fmt = negotiate(GRAPH_FORMATS, "The service description")
    build = get_site().build
    store = build.store
    rows = store.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    named = {row["g"]: row["n"] for row in rows}
    sd = service_description(public_url("sparql"), build.iris, len(store) - sum(named.values()), named)
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
