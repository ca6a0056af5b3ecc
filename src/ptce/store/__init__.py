"""The query engine: the `Store` interface, the embedded Oxigraph store, bulk I/O, a remote SPARQL server."""
