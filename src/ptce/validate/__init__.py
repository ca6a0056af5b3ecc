"""SHACL validation: readable reports, one plain run, and by partition for large graphs."""
