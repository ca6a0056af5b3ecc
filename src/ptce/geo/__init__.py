"""The map: the PTCEs' locations for the web map, and the static map for reports."""
