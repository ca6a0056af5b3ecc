"""RDF basics: namespaces and identifiers, formats, serialisation, slugs, geometry, the SPARQL guard."""
