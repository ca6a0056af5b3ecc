"""The YAML sources: records, field checks with file and line, places, the loader."""
