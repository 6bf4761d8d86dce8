"""The generated pages in a real headless Chromium: live ages and countdowns, accessibility."""

from __future__ import annotations

import functools
import http.server
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import Build

pytestmark = [pytest.mark.site, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = ["status/", "escalations/ESC-2026-0030/", "learnings/", "metrics/", "policy/oncall/"]


@pytest.fixture(scope="module")
def site_url(repo_site: Build) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(repo_site.site))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tempfile.mkdtemp(prefix="escalate-site-chromium-")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=ARGS, headless=True
        )
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


# The same arithmetic as escalate.js, done here from the embedded instants and the browser's
# own clock, so the test checks the script rather than repeating it.
_EXPECTED = """
() => {
  const span = (s) => { const m = Math.floor(Math.abs(s) / 60), d = Math.floor(m / 1440),
    h = Math.floor((m % 1440) / 60), r = m % 60;
    return d ? d + "d" + (h ? h + "h" : "") : h ? h + "h" + (r < 10 ? "0" : "") + r + "m" : r + "m"; };
  const now = Date.now();
  return {
    ages: [...document.querySelectorAll("[data-since]")].map(e =>
      [e.textContent, span((now - Date.parse(e.dataset.since)) / 1000)]),
    countdowns: [...document.querySelectorAll("[data-deadline]")].map(e => {
      const left = (Date.parse(e.dataset.deadline) - now) / 1000;
      return [e.textContent, left >= 0 ? "in " + span(left) : span(left) + " ago"]; }),
  };
}
"""


def test_ages_and_countdowns_count_in_the_browser(browser: Any, site_url: str) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{site_url}/status/")
    found = page.evaluate(_EXPECTED)
    page.close()
    assert not errors
    assert found["ages"] and found["countdowns"]
    # The build's instant is fixed (2026-11-22T12:00Z): the text shown is the browser's
    # count from the embedded timestamps, not the build-time text. A minute boundary may
    # pass between the script's tick and this check.
    for shown, expected in found["ages"] + found["countdowns"]:
        assert shown == expected or shown[:-3] == expected[:-3], (shown, expected)


@pytest.mark.parametrize("path", PAGES)
def test_generated_pages_have_no_serious_accessibility_violations(
    browser: Any, site_url: str, path: str
) -> None:
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    page = browser.new_page()
    page.goto(f"{site_url}/{path}")
    results = axe_module.Axe().run(page)
    page.close()
    serious = [
        (violation["id"], violation["help"], len(violation["nodes"]))
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == []
