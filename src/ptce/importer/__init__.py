"""`ptce import`: a regional map in plain text to YAML sources, with theme suggestions."""
