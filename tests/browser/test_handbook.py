"""The written playbook in a real browser: it loads, search works, and it is accessible."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_home_page_loads_without_console_errors(browser: Any, site_url: str) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{site_url}/")
    assert "Escalation playbook" in page.title()
    assert page.locator("nav").first.is_visible()
    assert errors == []
    page.close()


def test_search_finds_a_handbook_page(browser: Any, site_url: str) -> None:
    page = browser.new_page()
    page.goto(f"{site_url}/")
    search = page.locator("input.md-search__input")
    search.click()
    search.press_sequentially("postmortem", delay=20)
    result = page.locator(".md-search-result__link").first
    result.wait_for(timeout=10_000)
    result.click()
    page.wait_for_load_state()
    assert "postmortem" in page.url.lower() or "postmortem" in page.content().lower()
    page.close()


@pytest.mark.parametrize("path", ["", "playbook/when/", "playbook/sla/"])
def test_no_serious_accessibility_violations(browser: Any, site_url: str, path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page()
    page.goto(f"{site_url}/{path}")
    results = Axe().run(page)
    serious = [
        violation
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == [], [(v["id"], v["help"], len(v["nodes"])) for v in serious]
    page.close()
