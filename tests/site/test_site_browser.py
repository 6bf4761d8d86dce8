"""The generated pages in a real headless Chromium: live ages and countdowns, accessibility.

The browser runs in a child process: Playwright's sync API allows one instance per process,
and tests/browser keeps its own open for the whole session.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sitebuild import Build

pytestmark = [pytest.mark.site, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PAGES = ["status/", "escalations/ESC-2026-0030/", "learnings/", "metrics/", "policy/oncall/"]

# The same arithmetic as escalate.js, done from the embedded instants and the browser's own
# clock, so the test checks what the script shows rather than repeating the script.
EXPECTED_JS = """
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

CHILD = r"""
import functools, http.server, json, sys, tempfile, threading
from playwright.sync_api import sync_playwright
from axe_playwright_python.sync_playwright import Axe

site, chromium, expected_js, *paths = sys.argv[1:]

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=site))
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_address[1]}"
args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
report = {}
with sync_playwright() as playwright:
    context = playwright.chromium.launch_persistent_context(
        tempfile.mkdtemp(prefix="escalate-site-chromium-"), executable_path=chromium, args=args,
        headless=True, viewport={"width": 1280, "height": 900})
    for path in paths:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{url}/{path}")
        violations = Axe().run(page).response["violations"]
        report[path] = {
            "errors": errors,
            "counts": page.evaluate(expected_js),
            "serious": [(v["id"], v["help"], len(v["nodes"])) for v in violations
                        if v["impact"] in ("serious", "critical")],
        }
        page.close()
    context.close()
server.shutdown()
print(json.dumps(report))
"""


@pytest.fixture(scope="module")
def browsed(repo_site: Build) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    pytest.importorskip("playwright.sync_api")
    pytest.importorskip("axe_playwright_python.sync_playwright")
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(repo_site.site), CHROMIUM, EXPECTED_JS, *PAGES],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def test_ages_and_countdowns_count_in_the_browser(browsed: dict[str, Any]) -> None:
    status = browsed["status/"]
    assert status["errors"] == []
    counts = status["counts"]
    assert counts["ages"] and counts["countdowns"]
    # The build's instant is fixed (2026-11-22T12:00Z): what shows is the browser's count from
    # the embedded timestamps, not the text written at build time. A minute may tick over
    # between the script's update and this check.
    for shown, expected in counts["ages"] + counts["countdowns"]:
        assert shown == expected or shown[:-3] == expected[:-3], (shown, expected)


@pytest.mark.parametrize("path", PAGES)
def test_generated_pages_have_no_serious_accessibility_violations(
    browsed: dict[str, Any], path: str
) -> None:
    assert browsed[path]["errors"] == []
    assert browsed[path]["serious"] == []
