"""The generated pages in a real headless Chromium: live ages and countdowns, accessibility.

The browser runs in a child process: Playwright's sync API allows one instance per process,
and tests/browser keeps its own open for the whole session.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hostile_record import ID as HOSTILE_ID
from sitebuild import NOW, Build

pytestmark = [pytest.mark.site, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PAGES = ["status/", "escalations/ESC-2026-0030/", "learnings/", "metrics/", "policy/oncall/"]

# The same arithmetic as escalate.js, done from the embedded instants and the browser's own
# clock, so the test checks what the script shows rather than repeating the script.
EXPECTED_JS = """
() => {
  const span = (s) => { const m = Math.floor(Math.abs(s) / 60), d = Math.floor(m / 1440),
    h = Math.floor((m % 1440) / 60), r = m % 60;
    return d ? d + "d" + h + "h" : h ? h + "h" + (r < 10 ? "0" : "") + r + "m" : r + "m"; };
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


# --- interactions: Material's search box, and the hostile record's page ----------------------

INTERACT = r"""
import functools, http.server, json, sys, tempfile, threading
from playwright.sync_api import sync_playwright

site, chromium, plan = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])

class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=site))
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_address[1]}"
args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
# Any of these called by a page is recorded (and does nothing): an injected alert(1) that ran.
TRAP = '''
window.__escalateCalls = [];
for (const name of ["alert", "confirm", "prompt", "print", "open"]) {
  window[name] = (...args) => { window.__escalateCalls.push([name, String(args[0])]); };
}
'''
report = {}
with sync_playwright() as playwright:
    context = playwright.chromium.launch_persistent_context(
        tempfile.mkdtemp(prefix="escalate-site-chromium-"), executable_path=chromium, args=args,
        headless=True, viewport={"width": 1280, "height": 900})
    # Nothing leaves the loopback server: a payload cannot fetch or beacon anywhere.
    requests = []
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(url)
                  else (requests.append(route.request.url), route.abort()))
    if "search" in plan:
        page = context.new_page()
        page.goto(f"{url}/")
        box = page.locator("input.md-search__input")
        box.click()
        box.press_sequentially(plan["search"]["query"], delay=20)
        target = page.locator(
            f".md-search-result__link[href*='/{plan['search']['target']}']").first
        target.wait_for(timeout=15_000)
        target.click()
        page.wait_for_url(f"**/{plan['search']['target']}**", timeout=15_000)
        report["search"] = {"url": page.url, "h1": page.locator("article h1").first.inner_text()}
        page.close()
    if "hostile" in plan:
        page = context.new_page()
        dialogs, errors = [], []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.add_init_script(TRAP)
        page.goto(f"{url}/{plan['hostile']}")
        page.wait_for_load_state("networkidle")
        # Give any handler that got through a chance to fire, then wait a little.
        page.evaluate('''() => document.querySelectorAll("article *").forEach(e => {
          for (const type of ["mouseover", "mouseenter", "focus", "click"]) {
            if (type === "click" && e.closest("a[href]")) continue;  // stay on the page
            e.dispatchEvent(new Event(type, {bubbles: true}));
          }
        })''')
        page.wait_for_timeout(500)
        report["hostile"] = {
            "dialogs": dialogs,
            "errors": errors,
            "calls": page.evaluate("window.__escalateCalls"),
            "inline_scripts": page.evaluate(
                "[...document.scripts].filter(s => !s.src).map(s => s.textContent)"),
            "script_srcs": page.evaluate("[...document.scripts].map(s => s.src).filter(Boolean)"),
            "handlers": page.evaluate(
                "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
                ".filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))"),
            "title_text": page.locator("article h1").first.inner_text(),
        }
        page.close()
    if "frozen" in plan:
        # The browser's clock stopped at the build's instant: the script must write exactly
        # what the build wrote.
        page = context.new_page()
        page.clock.set_fixed_time(plan["frozen"]["now"])
        page.goto(f"{url}/{plan['frozen']['path']}")
        page.wait_for_load_state("load")
        report["frozen"] = page.evaluate(
            "[...document.querySelectorAll('[data-since], [data-deadline]')].map(e => e.textContent)")
        page.close()
    report["outside_requests"] = requests
    report["origin"] = url
    context.close()
server.shutdown()
print(json.dumps(report))
"""


def _interact(site: Path, plan: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    pytest.importorskip("playwright.sync_api")
    result = subprocess.run(
        [sys.executable, "-c", INTERACT, str(site), CHROMIUM, json.dumps(plan)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def test_search_box_reaches_a_record_page(repo_site: Build) -> None:
    # ESC-2026-0031's customer, typed as a reader would (internal profile).
    report = _interact(
        repo_site.site, {"search": {"query": "Elbwerk", "target": "escalations/ESC-2026-0031/"}}
    )
    assert "/escalations/ESC-2026-0031/" in report["search"]["url"]
    assert report["search"]["h1"].startswith("ESC-2026-0031")


def test_the_hostile_record_page_runs_none_of_its_scripts(hostile_site: Build) -> None:
    report = _interact(hostile_site.site, {"hostile": f"escalations/{HOSTILE_ID}/"})
    hostile = report["hostile"]
    assert hostile["dialogs"] == []
    assert hostile["calls"] == []  # no alert/confirm/prompt/open from an injected handler
    assert hostile["errors"] == []
    assert hostile["handlers"] == []  # no on* attribute reached the DOM
    assert not [text for text in hostile["inline_scripts"] if "alert" in text]
    assert all(src.startswith(report["origin"] + "/") for src in hostile["script_srcs"])
    assert "<script>alert(1)</script>" in hostile["title_text"]  # shown, as text
    # The one outside reference the record may make: an https image in its postmortem.
    assert set(report["outside_requests"]) <= {"https://example.com/x.png"}


def test_the_script_writes_ages_and_countdowns_as_the_build_does(repo_site: Build) -> None:
    """At the build's own instant the live script changes nothing: one format (14d15h, 5h07m)."""
    path = "status/"
    built = (repo_site.site / path / "index.html").read_text(encoding="utf-8")
    server = re.findall(r'data-(?:since|deadline)="[^"]*"[^>]*>([^<]*)<', built)
    assert len(server) > 5 and any(re.fullmatch(r"\d+d\d+h", text) for text in server)
    report = _interact(repo_site.site, {"frozen": {"now": NOW, "path": path}})
    assert report["frozen"] == server
