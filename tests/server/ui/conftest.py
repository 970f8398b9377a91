"""A seeded store behind a real ``autolog server`` process, and headless Chromium (Debian's
``chromium`` package, driven by Playwright for Python) to look at it.

Screenshots of every page a test visits go to ``$AUTOLOG_UI_SCREENSHOTS`` when set, else
``ui-screenshots/`` under pytest's base temporary directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import Server, start_server, stop_server

CHROMIUM = os.environ.get("AUTOLOG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[3]


def _missing(what: str) -> None:
    message = f"{what}; `make system-deps` and `make setup` install what the browser tests need"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The store of ``tests/server/ui/seed.py``, written by a separate process."""
    root = tmp_path_factory.mktemp("ui-store")
    done = subprocess.run(
        [sys.executable, "-m", "tests.server.ui.seed", str(root)], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "AUTOLOG_TRACKING_URI": str(root / "store")},
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


@pytest.fixture(scope="session")
def ui_server(seeded: dict[str, Any]) -> Iterator[Server]:
    running = start_server(seeded["uri"], None)
    try:
        yield running
    finally:
        stop_server(running)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python is not installed (pip install playwright)")
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        _missing(f"Chromium is not at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = Path(os.environ.get("AUTOLOG_UI_SCREENSHOTS") or tmp_path_factory.getbasetemp() / "ui-screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where


class Page:
    """A browser tab on the server, collecting what the page complained about."""

    def __init__(self, page: Any, base: str, shots: Path) -> None:
        self.page, self.base, self.shots = page, base, shots
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("console", self._console)
        page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))

    def _console(self, msg: Any) -> None:
        # an answer of 400 is how the server reports a bad filter: the page shows it inline
        if msg.type == "error" and "status of 400" not in msg.text:
            self.errors.append(f"console {msg.type}: {msg.text}")

    def open(self, route: str) -> Any:
        self.page.goto(f"{self.base}/#{route}")
        return self.page

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def tab(browser: Any, ui_server: Server, shots: Path) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = Page(context.new_page(), ui_server.url, shots)
    page.page.set_default_timeout(20_000)
    try:
        yield page
    finally:
        context.close()
    # a stored value that ran as code, or a CSP violation, shows up here
    assert page.dialogs == [], page.dialogs
    assert page.errors == [], page.errors
