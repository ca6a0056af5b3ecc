"""An existing SPARQL 1.1 server as the store, and publishing a build to it.

`SparqlStore` speaks the SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/) over HTTP: results are
fetched in the format the client asked for and passed through as bytes. `publish_to` replaces the dataset's
graph on the server with the SPARQL 1.1 Graph Store Protocol (https://www.w3.org/TR/sparql11-http-rdf-update/):
an HTTP PUT of the N-Triples dump, which the server applies as a whole (large builds: in pieces, then one SPARQL
Update `MOVE`; see `publish_to`).
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .formats import GRAPH_FORMATS, RESULT_FORMATS
from .namespaces import Iris, prefix_map
from .sparql_guard import QUERY_FORMS, analyse
from .store import Store, json_term_value

_MEDIA = {f.key: f.media_type for f in (*GRAPH_FORMATS, *RESULT_FORMATS)}
_DECLARED_RE = re.compile(r"\bPREFIX\s+([^\s:]*):", re.IGNORECASE)


# Triples per Graph Store Protocol request when publishing (see `publish_to`).
CHUNK_TRIPLES = 50_000
UPDATE_TYPE = "application/sparql-update"


class RemoteStoreError(OSError):
    """The SPARQL server could not be reached or answered with an error."""


def query_form(sparql: str) -> str:
    """'solutions', 'boolean' or 'graph': what the query returns (the guard's token-level reading of its form)."""
    form = analyse(sparql).form
    if form is None or form not in QUERY_FORMS:
        raise SyntaxError("not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE")
    return {"SELECT": "solutions", "ASK": "boolean"}.get(form, "graph")


@dataclass(frozen=True)
class RemoteResult:
    """A query not yet run: `SparqlStore.serialize` fetches it in the format asked for."""

    sparql: str
    form: str
    default_graph_uris: tuple[str, ...]
    named_graph_uris: tuple[str, ...]


class SparqlStore(Store):
    """A remote SPARQL 1.1 endpoint; queries read `graph` (the dataset's graph) unless they name their own."""

    def __init__(self, endpoint: str, graph: str | None = None, iris: Iris | None = None, timeout: float = 60.0):
        self.endpoint = endpoint
        self.graph = graph
        self.iris = iris or Iris()
        self.timeout = timeout
        self.prefixes = prefix_map(self.iris)

    def _with_prefixes(self, sparql: str) -> str:
        """The query with the usual prefixes declared, except those it declares itself."""
        declared = {m.group(1) for m in _DECLARED_RE.finditer(sparql)}
        lines = [f"PREFIX {p}: <{ns}>" for p, ns in self.prefixes.items() if p not in declared]
        return "\n".join([*lines, sparql])

    def query(self, sparql, default_graph_uris=None, named_graph_uris=None, whole_dataset=False) -> RemoteResult:
        """A query of the dataset graph (unless it names graphs, or `whole_dataset` asks the server's own)."""
        if not default_graph_uris and not named_graph_uris and self.graph and not whole_dataset:
            default_graph_uris = [self.graph]
        defaults, named = tuple(default_graph_uris or ()), tuple(named_graph_uris or ())
        return RemoteResult(self._with_prefixes(sparql), query_form(sparql), defaults, named)

    def query_bytes(self, result: RemoteResult, media_type: str) -> tuple[bytes, str]:
        """Run the query with `Accept: media_type`; the body and its content type."""
        form = [("query", result.sparql)]
        form += [("default-graph-uri", u) for u in result.default_graph_uris]
        form += [("named-graph-uri", u) for u in result.named_graph_uris]
        request = urllib.request.Request(
            self.endpoint,
            data=urllib.parse.urlencode(form).encode(),
            headers={"Accept": media_type, "Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read(), response.headers.get("Content-Type", media_type)
        except TimeoutError:
            raise TimeoutError(f"{self.endpoint} did not answer within {self.timeout:g} s") from None
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace").strip()
            if exc.code == 400:
                raise SyntaxError(body[:2000] or "malformed query") from None
            raise RemoteStoreError(f"{self.endpoint} answered {exc.code}: {body[:500]}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise RemoteStoreError(f"cannot reach {self.endpoint}: {exc}") from None

    def result_kind(self, result: RemoteResult) -> str:
        return result.form

    def graph_names(self) -> frozenset[str]:
        # `GRAPH ?g { }` would be shorter, but Virtuoso answers it with one unbound row.
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", dataset=False)
        return frozenset(row["g"] for row in rows if row.get("g"))

    def serialize(self, result: RemoteResult, format_key: str, output=None) -> bytes | None:
        body = self.query_bytes(result, _MEDIA[format_key])[0]
        if output is None:
            return body
        output.write(body)
        return None

    def _json(self, sparql: str, dataset: bool = True) -> dict:
        """Results as SPARQL JSON; `dataset=False` asks the server's whole dataset, not only `graph`."""
        result = self.query(sparql, whole_dataset=not dataset)
        body, _ = self.query_bytes(result, _MEDIA["json"])
        return json.loads(body)

    def select(self, sparql: str, dataset: bool = True) -> list[dict[str, Any]]:
        data = self._json(sparql, dataset)
        names = data["head"]["vars"]
        return [{n: json_term_value(row.get(n)) for n in names} for row in data["results"]["bindings"]]

    def ask(self, sparql: str) -> bool:
        return bool(self._json(sparql)["boolean"])

    def __len__(self) -> int:
        return self.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")[0]["n"]


# ---- publishing with the Graph Store Protocol ------------------------------------------------------


def _probe(url: str, authorization: str | None = None, content_type: str = "text/turtle") -> tuple[int, str]:
    """POST nothing to `url` (no triple for a Graph Store, an empty update for an update endpoint: harmless);
    its status and challenge.

    A probe with an empty body rather than HEAD: Virtuoso answers HEAD by building the graph, which hung
    while a previous piece of a large build was still being committed."""
    headers = {"Content-Type": content_type, **({"Authorization": authorization} if authorization else {})}
    request = urllib.request.Request(url, data=b"", headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.headers.get("WWW-Authenticate", "")
    except (urllib.error.URLError, OSError) as exc:
        raise RemoteStoreError(f"cannot reach {url}: {exc}") from None


def _authorization(url: str, method: str, auth: str | None, content_type: str = "text/turtle") -> str | None:
    """An Authorization header for `method url` answering the server's challenge (Basic or Digest), checked
    before any data is sent; None when the server asks for none."""
    status, challenge = _probe(url, content_type=content_type)
    if status != 401:
        return None
    if not auth:
        raise RemoteStoreError(f"{url} asks for credentials: use --auth USER:PASSWORD")
    user, _, password = auth.partition(":")
    scheme, _, params = challenge.partition(" ")

    def header(for_method: str) -> str:
        if scheme.lower() != "digest":
            return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, user, password)
        chal = urllib.request.parse_keqv_list(urllib.request.parse_http_list(params))
        request = urllib.request.Request(url, method=for_method)
        value = urllib.request.HTTPDigestAuthHandler(passwords).get_authorization(request, chal)
        if value is None:
            raise RemoteStoreError(f"{url}: unsupported digest challenge {params!r}")
        return f"Digest {value}"

    if _probe(url, header("POST"), content_type)[0] == 401:
        raise RemoteStoreError(f"{url} refused the credentials of user {user!r}")
    return header(method)


def _chunks(dump: Path, size: int) -> Iterator[bytes]:
    """The N-Triples dump in pieces of at most `size` triples (lines)."""
    with open(dump, "rb") as f:
        while lines := list(itertools.islice(f, size)):
            yield b"".join(lines)


def _send(target: str, method: str, body: bytes, auth: str | None, attempts: int = 5) -> None:
    """One Graph Store Protocol request; a transaction the server reports as deadlocked (SQLSTATE 40001,
    which Virtuoso answers to concurrent loads) is retried."""
    headers = {"Content-Type": "text/turtle; charset=utf-8"}  # N-Triples is Turtle: every server takes it
    for attempt in range(attempts):
        if header := _authorization(target, method, auth):
            headers["Authorization"] = header
        request = urllib.request.Request(target, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=3600) as response:
                response.read()
                return
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace").strip()
            if exc.code >= 500 and ("40001" in detail or "deadlock" in detail.lower()) and attempt + 1 < attempts:
                time.sleep(2**attempt)
                continue
            raise RemoteStoreError(f"{target} refused the graph ({exc.code} {exc.reason}): {detail[:500]}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise RemoteStoreError(f"cannot reach {target}: {exc}") from None


def _update(url: str, update: str, auth: str | None) -> None:
    """One SPARQL 1.1 Update request (`application/sparql-update`), answering a Basic or Digest challenge."""
    headers = {"Content-Type": UPDATE_TYPE}
    if header := _authorization(url, "POST", auth, UPDATE_TYPE):
        headers["Authorization"] = header
    request = urllib.request.Request(url, data=update.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=3600) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace").strip()
        hint = " (use --auth USER:PASSWORD)" if exc.code == 401 and not auth else ""
        raise RemoteStoreError(f"{url} refused the update ({exc.code} {exc.reason}){hint}: {detail[:500]}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise RemoteStoreError(f"cannot reach {url}: {exc}") from None


def _graph_target(url: str, graph: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode({'graph': graph})}"


def publish_to(
    url: str,
    build_dir: Path,
    graph: str | None = None,
    auth: str | None = None,
    chunk: int = CHUNK_TRIPLES,
    update_url: str | None = None,
) -> int:
    """Replace `graph` (default: the build's dataset IRI) on a Graph Store Protocol endpoint with the build.

    `url` is the server's GSP endpoint (Virtuoso: `/sparql-graph-crud-auth`, Fuseki: `/DATASET/data`,
    QLever: `/?access-token=TOKEN`); `auth` is `user:password`. A build of at most `chunk` triples goes in one
    PUT, which the server applies as a whole. A larger one is sent in pieces of `chunk` triples (Virtuoso 7.2
    hung on some requests of 200,000 triples and more): with `update_url`, the server's SPARQL Update endpoint,
    into a staging graph, then switched into place by one `MOVE` request, so readers see the old graph or the
    new one, never a part; without it, straight into `graph` (a PUT, then POSTs), so readers may see part of it
    until the last request. Returns the number of triples sent."""
    from .build_folder import BuildInfo

    build_dir = Path(build_dir)
    info = BuildInfo.read(build_dir)
    graph = graph or str(Iris(info.base_iri).dataset)
    staged = info.triples > chunk and update_url is not None
    loading = f"{graph}/staging-{info.version}" if staged else graph
    target = _graph_target(url, loading)
    for i, body in enumerate(_chunks(build_dir / info.dumps["nt"], chunk)):
        _send(target, "PUT" if i == 0 else "POST", body, auth)
    if staged:
        try:
            _update(update_url, f"MOVE <{loading}> TO <{graph}>", auth)
        except RemoteStoreError as exc:
            raise RemoteStoreError(f"{exc}; <{graph}> is unchanged, the build is in <{loading}>") from None
    return info.triples


STORE_SCHEME = "sparql:"


def store_url(spec: str) -> str:
    """The endpoint URL of a `sparql:URL` store option; ValueError when it is not one."""
    if not spec.startswith(STORE_SCHEME) or not spec[len(STORE_SCHEME) :].startswith(("http://", "https://")):
        raise ValueError(f"expected sparql:http(s)://HOST/PATH (a SPARQL endpoint URL), got {spec!r}")
    return spec[len(STORE_SCHEME) :]


def open_store(spec: str, iris: Iris, timeout: float = 60.0) -> SparqlStore:
    """The store a `--store sparql:URL` option names: the server's SPARQL endpoint, reading the dataset graph."""
    return SparqlStore(store_url(spec), graph=str(iris.dataset), iris=iris, timeout=timeout)
