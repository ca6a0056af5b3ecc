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
  const yasgui = new Yasgui(host, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    endpointCatalogueOptions: { getData: () => [{ endpoint: endpoint }] },
    copyEndpointOnNewTab: true,
    populateFromUrl: false,
    persistenceId: null,
    yasqe: { prefixCcApi: null },
  });
  const examples = JSON.parse(document.getElementById("examples").textContent);
  const blank = yasgui.getTab();
  examples.forEach(function (example, i) {
    yasgui.addTab(i === 0, { name: example.title, yasqe: { value: example.query }, requestConfig: { endpoint: endpoint } });
  });
  if (examples.length && blank) blank.close();
})();
