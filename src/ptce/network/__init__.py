"""The co-theme network: projection, analysis, report, exports and its RDF."""
