"""Browser-test fixtures: one server per host (JupyterLab 4, Notebook 7) and one headless
Chromium per session, one page (and one kernel) per test. Harness: tests/browser/labkit.py.

Nothing is skipped: without Chromium or the built front ends each test fails with one line
saying what to install (`apt-get install -y chromium-headless-shell`) or build
(`cd js && npm ci && npm run build`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from labkit import (
    HOSTS,
    HarnessError,
    JupyterLab,
    Notebook,
    check_bundles,
    find_chromium,
    launch_browser,
)

# Every notebook starts like this: embmagic loaded, the fast deterministic fake encoder.
SETUP = """\
%load_ext embmagic
%config EmbMagics.model = "fake-64"
%config EmbMagics.show_progress = False
import json
"""


def _fail(exc: HarnessError) -> None:
    pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    try:
        return find_chromium()
    except HarnessError as exc:
        _fail(exc)
        raise


@pytest.fixture(scope="session")
def bundles() -> None:
    try:
        check_bundles()
    except HarnessError as exc:
        _fail(exc)


@pytest.fixture(scope="session", params=HOSTS)
def lab(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[JupyterLab]:
    """One server per host (JupyterLab 4, Notebook 7): every browser test runs in both."""
    server = JupyterLab(tmp_path_factory.mktemp(request.param), host=request.param)
    try:
        server.start()
    except HarnessError as exc:
        _fail(exc)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        try:
            b = launch_browser(p)
        except HarnessError as exc:
            _fail(exc)
        yield b
        b.close()


class Page:
    """What a test gets: the notebook (run cells, find widgets) plus the page's events."""

    def __init__(self, nb: Notebook) -> None:
        self.nb = nb
        self.page = nb.page
        self.dialogs: list[str] = []
        self.errors: list[str] = []

    def run(self, code: str, **kw: Any) -> str:
        return self.nb.run(code, **kw)


@pytest.fixture
def notebook(
    lab: JupyterLab, browser: Any, bundles: None, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Page]]:
    """`notebook(setup=True)` opens a fresh notebook in its own page and runs SETUP in it.

    Any `alert`/`confirm`/`prompt` the page raises is recorded (and dismissed); the test fails
    at teardown if one fired.
    """
    opened: list[tuple[Any, Page]] = []

    def open_(setup: bool = True) -> Page:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        name = re.sub(r"\W+", "_", request.node.name)[:60] + f"_{len(opened)}"
        dialogs: list[str] = []
        errors: list[str] = []

        def on_dialog(dialog: Any) -> None:
            dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        context.on("dialog", on_dialog)
        context.on("weberror", lambda err: errors.append(str(err.error)))
        try:
            nb = Notebook.open(lab, context, name)
        except Exception:
            context.close()
            raise
        p = Page(nb)
        p.dialogs, p.errors = dialogs, errors
        opened.append((context, p))
        if setup:
            p.run(SETUP)
        return p

    yield open_
    for context, p in opened:
        try:
            p.nb.close()
        finally:
            context.close()
    fired = [d for _, p in opened for d in p.dialogs]
    assert not fired, f"the page opened dialogs: {fired}"
