"""`ptce publish`: a build loaded into an existing SPARQL server with the Graph Store Protocol (and SPARQL Update
for large builds, atomically), answering Basic or Digest challenges."""

from __future__ import annotations

import base64
import itertools
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from ptce.build_folder import NETWORK_DUMP, BuildInfo
from ptce.rdf.namespaces import Iris
from ptce.store.remote import RemoteStoreError

CHUNK_TRIPLES = 50_000  # triples per Graph Store request: a piece a server commits without trouble
UPDATE_TYPE = "application/sparql-update"


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
    until the last request. The co-theme network (`network.nq`) replaces its own named graph the same way.
    Returns the number of triples of the dataset's graph."""
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
    network = build_dir / NETWORK_DUMP
    if network.is_file():
        network_graph = str(Iris(info.base_iri).network_graph)
        suffix = f" <{network_graph}> .".encode()
        for i, body in enumerate(_chunks(network, chunk)):
            triples = b"".join(
                line.removesuffix(b"\n").removesuffix(suffix) + b" .\n" for line in body.splitlines(True)
            )
            _send(_graph_target(url, network_graph), "PUT" if i == 0 else "POST", triples, auth)
    return info.triples
