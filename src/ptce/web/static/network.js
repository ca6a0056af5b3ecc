/* The interactive co-theme network (/network): sigma.js + graphology, positions computed on the server.
   Data comes from the node-link JSON named in #network-graph[data-src]; no inline script (CSP). */
(function () {
  "use strict";

  var container = document.getElementById("network-graph");
  if (!container) return;
  var info = document.getElementById("network-info");
  var controls = document.getElementById("network-controls");
  var count = document.getElementById("network-count");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#network-table tbody tr"));
  var base = container.dataset.base;
  var state = { colorBy: "community", sizeBy: "strength", theme: "", department: "", hovered: null };
  var t = window.ptceT || function (s) { return s; };

  document.querySelectorAll(".swatch[data-color]").forEach(function (el) {
    el.style.backgroundColor = el.dataset.color;
  });

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function pathOf(iri) {
    return iri.indexOf(base) === 0 ? "/" + iri.slice(base.length) : iri;
  }

  function fmt(x) {
    return Math.abs(x) >= 100 || x === Math.round(x) ? String(Math.round(x * 100) / 100) : x.toPrecision(3);
  }

  function visible(graph, node) {
    var a = graph.getNodeAttributes(node);
    if (state.theme && (a.themes_iris || []).indexOf(state.theme) < 0) return false;
    if (state.department && a.department !== state.department) return false;
    return true;
  }

  function showPanel(title, lines) {
    info.replaceChildren(el("h2", title));
    lines.forEach(function (line) { info.appendChild(line); });
  }

  function nodePanel(graph, node) {
    var a = graph.getNodeAttributes(node);
    var facts = el("p", t("{department} · communauté {community} ({name})",
      { department: a.department_label || "", community: a.community, name: a.community_name }));
    var themes = el("p", t("Thématiques : {themes}", { themes: (a.themes || []).join(", ") }));
    var list = el("ul");
    var links = [];
    graph.forEachEdge(node, function (edge, e, s, t) {
      links.push({ other: s === node ? t : s, e: e });
    });
    links.sort(function (x, y) { return y.e.weight - x.e.weight; });
    links.forEach(function (l) {
      var other = graph.getNodeAttribute(l.other, "label");
      list.appendChild(el("li", other + " — " + (l.e[graph.getAttribute("shared_attribute")] || []).join(", ")));
    });
    var heading = el("p", t("{count} PTCE partagent des thématiques :", { count: links.length }));
    showPanel(a.label, [facts, themes, heading, list]);
  }

  function edgePanel(graph, edge) {
    var e = graph.getEdgeAttributes(edge);
    var ends = graph.extremities(edge).map(function (n) { return graph.getNodeAttribute(n, "label"); });
    var shared = el("ul");
    (e[graph.getAttribute("shared_attribute")] || []).forEach(function (t) { shared.appendChild(el("li", t)); });
    var weights = el("p", t("{count} thématique(s) partagée(s) · Jaccard {jaccard} · Newman {newman} · p = {p}",
      { count: e.shared, jaccard: fmt(e.jaccard), newman: fmt(e.newman), p: e.p_value.toPrecision(2) }));
    showPanel(ends.join(" — "), [weights, shared]);
  }

  var MAX_LABELLED = 200;
  var LABEL_SIZE = 14;  // sigma's defaults: 14px Arial, drawn right of the node, 3px away
  var measure = document.createElement("canvas").getContext("2d");
  measure.font = "normal " + LABEL_SIZE + "px Arial";

  // Each shown node's label as a box in the container's pixels, where sigma draws it.
  function labelBoxes(graph, renderer) {
    var boxes = [];
    graph.forEachNode(function (node, a) {
      var d = renderer.getNodeDisplayData(node);
      if (!d || d.hidden || !a.label) return;
      var p = renderer.graphToViewport({ x: a.x, y: a.y });
      var left = p.x + renderer.scaleSize(d.size) + 3;
      boxes.push({ node: node, x: p.x, y: p.y, left: left, right: left + measure.measureText(a.label).width,
        top: p.y - LABEL_SIZE / 2 - 1, bottom: p.y + LABEL_SIZE / 2 + 1 });
    });
    return boxes;
  }

  function overlap(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }

  // Move nodes apart, vertically, until no two labels overlap and every label is inside the frame; the frame is
  // fixed first so that moving a node does not rescale the others.
  function separateLabels(graph, renderer, box) {
    renderer.setCustomBBox(null);
    renderer.refresh();
    renderer.setCustomBBox(renderer.getBBox());
    var width = box.clientWidth, height = box.clientHeight, pad = 4;
    var boxes = labelBoxes(graph, renderer);
    for (var round = 0; round < 400; round += 1) {
      var moved = false;
      boxes.forEach(function (b) {  // inside the frame
        var dx = Math.min(0, width - pad - b.right) + Math.max(0, pad - (b.x - 10));
        var dy = Math.min(0, height - pad - b.bottom) + Math.max(0, pad - b.top);
        if (dx || dy) { shift(b, dx, dy); moved = true; }
      });
      for (var i = 0; i < boxes.length; i += 1) {
        for (var j = i + 1; j < boxes.length; j += 1) {
          var a = boxes[i], b = boxes[j];
          if (!overlap(a, b)) continue;
          var push = (Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top)) / 2 + 0.5;
          var up = a.y < b.y || (a.y === b.y && i < j) ? a : b, down = up === a ? b : a;
          shift(up, 0, -push);
          shift(down, 0, push);
          moved = true;
        }
      }
      if (!moved) break;
    }
    boxes.forEach(function (b) {
      var g = renderer.viewportToGraph({ x: b.x, y: b.y });
      graph.mergeNodeAttributes(b.node, { x: g.x, y: g.y });
    });
    renderer.refresh();
  }

  function shift(b, dx, dy) {
    b.x += dx; b.left += dx; b.right += dx;
    b.y += dy; b.top += dy; b.bottom += dy;
  }

  function build(data) {
    var graph = new graphology.Graph({ type: "undirected" });
    graph.replaceAttributes(data.graph);
    data.nodes.forEach(function (n) { graph.addNode(n.id, n); });
    data.links.forEach(function (l) { graph.addEdge(l.source, l.target, l); });
    return graph;
  }

  function sizes(graph) {
    var top = 0;
    graph.forEachNode(function (n, a) { top = Math.max(top, a[state.sizeBy] || 0); });
    return function (a) { return 4 + 16 * (top ? (a[state.sizeBy] || 0) / top : 0); };
  }

  function start(data) {
    var graph = build(data);
    var topWeight = 0;
    graph.forEachEdge(function (e, a) { topWeight = Math.max(topWeight, a.weight); });
    var sizeOf = sizes(graph);
    var every = graph.order <= MAX_LABELLED;
    var renderer = new Sigma(graph, container, {
      enableEdgeEvents: true,
      labelRenderedSizeThreshold: 0,
      // A small network shows every name (its labels are moved apart below); a large one lets sigma choose.
      labelDensity: every ? 1e6 : 1,
      labelGridCellSize: every ? 1 : 100,
      defaultEdgeColor: "#b8bfcc",
      nodeReducer: function (node, a) {
        var out = { x: a.x, y: a.y, label: a.label, size: sizeOf(a) };
        out.color = state.colorBy === "department" ? (a.department_color || "#999999") : a.color;
        if (!visible(graph, node)) out.hidden = true;
        if (state.hovered && state.hovered !== node && !graph.areNeighbors(state.hovered, node)) {
          out.color = "#dde1e8";
          out.label = "";
        }
        if (state.hovered === node) out.highlighted = true;
        return out;
      },
      edgeReducer: function (edge, a) {
        var ends = graph.extremities(edge);
        var out = { size: 0.5 + 4 * a.weight / (topWeight || 1), color: "#b8bfcc" };
        if (!visible(graph, ends[0]) || !visible(graph, ends[1])) out.hidden = true;
        if (state.hovered && ends.indexOf(state.hovered) < 0) out.hidden = true;
        return out;
      }
    });

    function update() {
      sizeOf = sizes(graph);
      var shown = 0;
      graph.forEachNode(function (n) { if (visible(graph, n)) shown += 1; });
      rows.forEach(function (row) { row.hidden = !visible(graph, row.dataset.node); });
      container.dataset.visibleNodes = String(shown);
      count.textContent = t("{shown} PTCE affiché(s) sur {total}", { shown: shown, total: graph.order });
      renderer.refresh();
    }

    renderer.on("enterNode", function (ev) { state.hovered = ev.node; nodePanel(graph, ev.node); renderer.refresh(); });
    renderer.on("leaveNode", function () { state.hovered = null; renderer.refresh(); });
    renderer.on("enterEdge", function (ev) { edgePanel(graph, ev.edge); });
    renderer.on("clickNode", function (ev) { window.location.assign(pathOf(ev.node)); });

    [["color-by", "colorBy"], ["size-by", "sizeBy"], ["filter-theme", "theme"], ["filter-department", "department"]]
      .forEach(function (pair) {
        document.getElementById(pair[0]).addEventListener("change", function (ev) {
          state[pair[1]] = ev.target.value;
          update();
        });
      });
    if (every) {
      separateLabels(graph, renderer, container);
      window.addEventListener("resize", function () { separateLabels(graph, renderer, container); });
    }
    controls.hidden = false;
    container.querySelectorAll(".network-fallback").forEach(function (p) { p.remove(); });
    container.dataset.nodes = String(graph.order);
    container.dataset.edges = String(graph.size);
    update();
    window.ptceNetwork = { graph: graph, renderer: renderer };
    container.dataset.ready = "true";
  }

  fetch(container.dataset.src, { headers: { Accept: "application/json" } })
    .then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    })
    .then(function (data) {
      if (typeof Sigma === "undefined" || typeof graphology === "undefined") {
        throw new Error(t("WebGL indisponible"));
      }
      start(data);
    })
    .catch(function (err) {
      container.dataset.error = String(err.message || err);
      info.appendChild(el("p", t("Le graphe interactif n'a pas pu s'afficher ({error}) : le tableau ci-dessous donne les mêmes informations.",
        { error: container.dataset.error })));
    });
})();
