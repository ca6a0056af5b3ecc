"""The co-theme network: an interactive page (/network), node-link JSON (/network.json), downloads (/network.<fmt>)."""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict

from flask import Blueprint, Response, current_app, render_template, request, url_for

from ptce.build_folder import NETWORK_SHAPE
from ptce.i18n import N_
from ptce.network.cotheme import Network, NetworkParams, SavedShape, build_network, read_shape
from ptce.network.export import export, node_link
from ptce.rdf.formats import NETWORK_FORMATS
from ptce.web.caching import cached
from ptce.web.i18n import _, language
from ptce.web.site import get_site

bp = Blueprint("network", __name__)

BY_SUFFIX = {f.suffix: f for f in NETWORK_FORMATS}
QUERY_PARAMS = ("project", "weight", "min_weight", "top_k", "broader", "method", "resolution", "seed", "lang")
WEIGHT_LABELS = {  # in French; the catalogue translates them
    "shared": N_("nombre de thématiques partagées"),
    "jaccard": N_("indice de Jaccard"),
    "newman": N_("poids de Newman"),
}
CACHE_SIZE = 32


class BadRequest(ValueError):
    """A query parameter the user can fix."""


def _number(name: str, cast):
    raw = request.args.get(name)
    try:
        return None if raw in (None, "") else cast(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a number; got {raw!r}") from None


def params_from_request(lang: str | None = None) -> NetworkParams:
    """NetworkParams from the query string (unknown values are a BadRequest, never a server error); labels in
    `lang`, else in the `lang` the query string names."""
    values = {k: request.args[k] for k in ("project", "weight", "method", "lang") if request.args.get(k)}
    if lang:
        values["lang"] = lang
    for name, cast in (("min_weight", float), ("top_k", int), ("resolution", float), ("seed", int)):
        if (value := _number(name, cast)) is not None:
            values[name] = value
    values["broader"] = request.args.get("broader", "") in ("1", "true", "on", "yes")
    try:
        return NetworkParams(**values)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None


class NetworkCache:
    """Networks already computed for the current build, by parameters (least recently used dropped); the
    default network's analysis comes from the shape the build kept (NETWORK_SHAPE)."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self.items: OrderedDict = OrderedDict()
        self.shapes: dict[str, SavedShape | None] = {}  # by build version: the shape each build kept
        self.lock = threading.Lock()

    def get(self, params: NetworkParams) -> Network:
        build = get_site().build
        key = (build.info.version, params)
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
            if build.info.version not in self.shapes:
                self.shapes = {build.info.version: read_shape(build.folder / NETWORK_SHAPE)}
            saved = self.shapes[build.info.version]
        net = build_network(build.store, params, build_version=build.info.version, saved=saved)
        with self.lock:
            self.items[key] = net
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return net


def network_for(params: NetworkParams) -> Network:
    """The network for these parameters, from the app's cache."""
    cache = current_app.extensions.setdefault("ptce_network", NetworkCache())
    return cache.get(params)


@bp.errorhandler(BadRequest)
def bad_request(exc: BadRequest):
    return Response(f"Bad request: {exc}\n", status=400, mimetype="text/plain")


def _query(params: NetworkParams) -> dict:
    """The query string of `params`, defaults left out."""
    default = NetworkParams()
    values = {k: getattr(params, k) for k in QUERY_PARAMS if getattr(params, k) != getattr(default, k)}
    if values.get("broader"):
        values["broader"] = "1"
    return values


def downloads(params: NetworkParams) -> list[dict]:
    """Download links for every export format, for the PTCE and the theme projection, with the page's parameters."""
    out = []
    for project, title in (("ptce", _("Réseau des PTCE")), ("theme", _("Réseau des thématiques"))):
        query = _query(dataclasses.replace(params, project=project))
        links = [
            {"label": _(f.label), "suffix": f.suffix, "url": url_for("network.download", suffix=f.suffix, **query)}
            for f in NETWORK_FORMATS
        ]
        out.append({"title": title, "links": links})
    return out


@bp.get("/network")
@cached
def page():
    params = params_from_request(language())
    if params.project != "ptce":
        raise BadRequest("this page shows the PTCE network; the theme network is in the downloads (project=theme)")
    net = network_for(params)
    g = net.graph
    held = net.bipartite.incidence.sum(axis=0).A1
    themes = sorted((t for k, t in enumerate(net.bipartite.themes) if held[k] > 0), key=lambda t: t.label.casefold())
    departments = sorted({(p.group, p.group_label) for p in net.bipartite.ptces if p.group}, key=lambda d: d[1])
    nodes = sorted(g.nodes(data=True), key=lambda n: n[1]["label"].casefold())
    build = get_site().build
    return render_template(
        "network.html",
        net=net,
        params=params,
        nodes=[{"iri": n, "path": build.iris.path_of(n) or n, **d} for n, d in nodes],
        themes=themes,
        departments=departments,
        weights={key: _(label) for key, label in WEIGHT_LABELS.items()},
        downloads=downloads(params),
        data_url=url_for("network.node_link_json", **_query(params)),
        base_iri=build.iris.base,
    )


@bp.get("/network.json")
@cached
def node_link_json():
    net = network_for(params_from_request())
    return node_link(net)


@bp.get("/network.<suffix>")
@cached
def download(suffix: str):
    fmt = BY_SUFFIX.get(suffix)
    if fmt is None:
        known = ", ".join(f".{s}" for s in BY_SUFFIX)
        return Response(f"Not found: no network export .{suffix}; try one of {known}\n", 404, mimetype="text/plain")
    params = params_from_request()
    body = export(network_for(params), fmt.key)
    name = f"ptce-network-{params.project}-{params.weight}.{fmt.suffix}"
    inline = fmt.key in ("report", "json", "svg", "png")
    disposition = f'{"inline" if inline else "attachment"}; filename="{name}"'
    # content_type, not mimetype: the media types that carry a charset already say so (once)
    return Response(body, content_type=fmt.media_type, headers={"Content-Disposition": disposition})
