"""Where the project's bundled files live (a source checkout or an editable install)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
ONTOLOGY_FILE = PROJECT_ROOT / "ontology" / "ptce.ttl"
SHAPES_DIR = PROJECT_ROOT / "shapes"
QUERIES_DIR = PROJECT_ROOT / "queries"
DEFAULT_BUILD_DIR = Path("dist")
