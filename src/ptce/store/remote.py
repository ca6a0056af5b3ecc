"""An existing SPARQL 1.1 server as the store, and publishing a build to it.

`SparqlStore` speaks the SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/) over HTTP: results are
fetched in the format the client asked for and passed through as bytes. `publish_to` replaces the dataset's
graph on the server with the SPARQL 1.1 Graph Store Protocol (https://www.w3.org/TR/sparql11-http-rdf-update/):
an HTTP PUT of the N-Triples dump, which the server applies as a whole (large builds: in pieces, then one SPARQL
Update `MOVE`; see `publish_to`).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from ptce.errors import PtceError
from ptce.query.guard import QUERY_FORMS, analyse
from ptce.rdf.formats import GRAPH_FORMATS, RESULT_FORMATS
from ptce.rdf.namespaces import Iris, prefix_map
from ptce.store.engine import Store, json_term_value

_MEDIA = {f.key: f.media_type for f in (*GRAPH_FORMATS, *RESULT_FORMATS)}
_DECLARED_RE = re.compile(r"\bPREFIX\s+([^\s:]*):", re.IGNORECASE)


# Triples per Graph Store Protocol request when publishing (see `publish_to`).


class RemoteStoreError(PtceError, OSError):
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
        """The query with the dataset's base and the usual prefixes declared (except those it declares itself), all
        on one line before it: the server's error positions are the user's, one line down (`_user_lines`)."""
        declared = {m.group(1) for m in _DECLARED_RE.finditer(sparql)}
        prologue = [f"BASE <{self.iris.base}>"] + [
            f"PREFIX {p}: <{ns}>" for p, ns in self.prefixes.items() if p not in declared
        ]
        return " ".join(prologue) + "\n" + sparql

    def query(self, sparql, default_graph_uris=None, named_graph_uris=None, sort_keys=False,
              whole_dataset=False) -> RemoteResult:  # fmt: skip
        """A query of the dataset graph (unless it names graphs, or `whole_dataset` asks the server's own). The
        planner's texts, which read a build's sort keys (`sort_keys`), are for the build's own store only."""
        if sort_keys:
            raise ValueError("a remote store holds no sort keys")
        own = analyse(sparql)  # FROM or FROM NAMED in the query: its own dataset (the protocol's would override it)
        names_its_graphs = bool(own.from_graphs or own.from_named_graphs)
        if (
            not default_graph_uris
            and not named_graph_uris
            and self.graph
            and not whole_dataset
            and not names_its_graphs
        ):
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
                raise SyntaxError(_user_lines(body[:2000]) or "malformed query") from None
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


_LINE_RE = re.compile(r"(\bline |\bat )(\d+)(?=[:\s,)])", re.IGNORECASE)  # "line 2", "at 2:5"
STORE_SCHEME = "sparql:"


def _user_lines(message: str) -> str:
    """A server's syntax error with its line numbers counted in the user's query (without the prologue line)."""
    return _LINE_RE.sub(lambda m: f"{m.group(1)}{max(1, int(m.group(2)) - 1)}", message)


def store_url(spec: str) -> str:
    """The endpoint URL of a `sparql:URL` store option; ValueError when it is not one."""
    if not spec.startswith(STORE_SCHEME) or not spec[len(STORE_SCHEME) :].startswith(("http://", "https://")):
        raise ValueError(f"expected sparql:http(s)://HOST/PATH (a SPARQL endpoint URL), got {spec!r}")
    return spec[len(STORE_SCHEME) :]


def remote_store(spec: str, iris: Iris, timeout: float = 60.0) -> SparqlStore:
    """The store a `--store sparql:URL` option names: the server's SPARQL endpoint, reading the dataset graph."""
    return SparqlStore(store_url(spec), graph=str(iris.dataset), iris=iris, timeout=timeout)
