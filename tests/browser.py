"""Headless Debian Chromium for the browser tests, driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
# Headless, and no background connections: the machine's network is closed to all but the local server.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def has_chromium() -> bool:
    return Path(CHROMIUM).exists()


def launch(playwright):
    """A Chromium browser from Playwright's sync API object."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
