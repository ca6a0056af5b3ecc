// The query UI of /sparql: YASGUI on this endpoint only, the example queries as tabs, the row-limit notice.
(function () {
  const host = document.getElementById("yasgui");
  const endpoint = window.location.origin + host.dataset.endpoint;
  const truncatedHeader = host.dataset.truncatedHeader;
  const notice = document.getElementById("truncated");
  // Show the endpoint's row-limit flag (a response header YASGUI does not display).
  const plainFetch = window.fetch.bind(window);
  window.fetch = async function (input, init) {
    const response = await plainFetch(input, init);
    const url = typeof input === "string" ? input : input.url;
    if (url.startsWith(endpoint)) {
      notice.hidden = response.headers.get(truncatedHeader) !== "true";
    }
    return response;
  };
  // Local-only autocompletion: no lookups of Linked Open Vocabularies.
  Yasgui.Yasqe.defaults.autocompleters = ["variables", "prefixes"];
  // Result cells: a literal shows its text; its language or datatype is on hover (title). Values are escaped.
  const Table = Yasgui.Yasr.plugins.table;
  const XSD = "http://www.w3.org/2001/XMLSchema#";
  const t = window.ptceT || function (s) { return s; };
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  Table.prototype.formatLiteral = function (binding) {
    let hint = "";
    if (binding["xml:lang"]) hint = t("langue : {lang}", { lang: binding["xml:lang"] });
    else if (binding.datatype) {
      const type = binding.datatype.indexOf(XSD) === 0 ? "xsd:" + binding.datatype.slice(XSD.length) : binding.datatype;
      hint = t("type : {type}", { type: type });
    }
    const text = escapeHtml(binding.value);
    return hint ? '<span class="literal" title="' + escapeHtml(hint) + '">' + text + "</span>" : text;
  };
  // Whole values by default (no ellipsis): columns as wide as what they hold, text wrapping.
  const draw = Table.prototype.draw;
  Table.prototype.draw = function (config) {
    return draw.call(this, Object.assign({ isEllipsed: false }, config));
  };
  const yasgui = new Yasgui(host, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }] },
    copyEndpointOnNewTab: true,
    populateFromUrl: false,
    persistenceId: null,
    tabName: "Requête",
    yasqe: { prefixCcApi: null },
  });
  const examples = JSON.parse(document.getElementById("examples").textContent);
  const blank = yasgui.getTab();
  examples.forEach(function (example, i) {
    yasgui.addTab(i === 0, { name: example.title, yasqe: { value: example.query }, requestConfig: { endpoint: endpoint } });
  });
  if (examples.length && blank) blank.close();
})();
