"""The generated pages as text, straight from escalate.site.pages (no MkDocs build)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from escalate.errors import PolicyError
from escalate.publishing import Profile
from escalate.repo import Repo
from escalate.site.escape import escape_text
from escalate.site.pages import build_site, relative_url

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.fromisoformat("2026-11-22T12:00:00+00:00")


@pytest.fixture(scope="module")
def repo() -> Repo:
    return Repo.load(ROOT, use_cache=False)


def test_every_page_renders_in_both_url_styles(repo: Repo) -> None:
    for directory_urls in (True, False):
        site, pages = build_site(repo, NOW, Profile("internal"), use_directory_urls=directory_urls)
        sources = {page.src for page in pages}
        assert {f"escalations/{i}.md" for i in repo.escalations} <= sources
        assert all(page.content.startswith("---\n") for page in pages)
        status = next(page for page in pages if page.src == "status/index.md")
        first = site.board[0].id
        link = "../escalations/" + first + ("/" if directory_urls else ".html")
        assert f'href="{link}"' in status.content


@pytest.mark.parametrize(
    ("origin", "target", "directory_urls", "expected"),
    [
        ("status/index.md", "escalations/ESC-1.md", True, "../escalations/ESC-1/"),
        ("escalations/ESC-1.md", "escalations/ESC-2.md", True, "../ESC-2/"),
        ("escalations/ESC-1.md", "escalations/index.md", True, "../"),
        ("escalations/index.md", "escalations/ESC-2.md", True, "ESC-2/"),
        ("status/index.md", "assets/escalate/escalate.js", True, "../assets/escalate/escalate.js"),
        ("escalations/ESC-1.md", "status/index.md", False, "../status/index.html"),
        ("escalations/index.md", "escalations/ESC-2.md", False, "ESC-2.html"),
        ("index.md", "status/index.md", True, "status/"),
    ],
)
def test_relative_urls_match_mkdocs(
    origin: str, target: str, directory_urls: bool, expected: str
) -> None:
    assert relative_url(origin, target, directory_urls) == expected


def test_a_profile_may_hide_the_title_but_not_the_case(repo: Repo) -> None:
    _, pages = build_site(repo, NOW, Profile("press", ("title", "impact.summary")))
    text = "\n".join(page.content for page in pages)
    for escalation in repo.escalations.values():
        assert escape_text(escalation.title) not in text
    assert escape_text("[hidden]") in text
    with pytest.raises(PolicyError, match="hides 'owner'"):
        build_site(repo, NOW, Profile("broken", ("owner",)))


def test_naive_now_is_refused(repo: Repo) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        build_site(repo, datetime(2026, 11, 22, 12), Profile("internal"))
