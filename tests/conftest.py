"""Shared fixtures: one real build of the bundled data, the app over it, and CLI runners."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Graph

from ptce.assets import DATA_DIR
from ptce.build.bundled import CACHE_ENV
from ptce.build.pipeline import publish_build
from ptce.rdf.namespaces import Iris
from ptce.web import create_app

from .browser import has_chromium, launch

IRIS = Iris()


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Commands run without a build make the bundled data's build in a cache: this session's own, never the user's."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(folder))
        yield folder


class FrenchBrowser:
    """A browser whose pages and contexts belong to a French visitor (Accept-Language: fr-FR) unless a test gives
    another `locale`: the site answers in the language the browser asks for, and Chromium asks for en-US."""

    def __init__(self, browser):
        self.browser = browser

    def new_page(self, **options):
        return self.browser.new_page(**{"locale": "fr-FR", **options})

    def new_context(self, **options):
        return self.browser.new_context(**{"locale": "fr-FR", **options})

    def __getattr__(self, name):
        return getattr(self.browser, name)


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright, a French visitor's (see FrenchBrowser); the test skips when
    Chromium is not installed."""
    if not has_chromium():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = launch(p)
        yield FrenchBrowser(chromium)
        chromium.close()


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory) -> Path:
    """The bundled data, built and published once per test session."""
    out = tmp_path_factory.mktemp("build") / "dist"
    publish_build(out)
    return out


@pytest.fixture(scope="session")
def graph(build_dir) -> Graph:
    """The published Turtle dump, parsed."""
    return Graph().parse(build_dir / "ptce.ttl")


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A private copy of the bundled data folder, for tests that break it."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


@pytest.fixture(scope="session")
def app(build_dir):
    return create_app({"BUILD_DIR": str(build_dir), "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory) -> Path:
    """A small synthetic national directory (200 organisations), written once per session."""
    from ptce.synth import generate

    out = tmp_path_factory.mktemp("synth") / "data"
    generate(out, orgs=200, seed=1)
    return out


@pytest.fixture(scope="session")
def synth_build(tmp_path_factory, synth_dir) -> Path:
    """The synthetic directory built as a large build: dumps through Oxigraph and the on-disk store."""
    out = tmp_path_factory.mktemp("synth-build") / "dist"
    publish_build(out, synth_dir, on_disk=True)
    return out


@pytest.fixture(scope="session")
def site_url(build_dir):
    """The app over the session's build, served over real HTTP in a thread (for the browser tests)."""
    from .live_server import threaded_server

    with threaded_server(create_app({"BUILD_DIR": str(build_dir)})) as url:
        yield url
