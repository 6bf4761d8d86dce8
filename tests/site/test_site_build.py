"""The built playbook site: pages, links, the status board, policy pages, escaping, profiles."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hostile_record import ALIAS, CONTACT, CUSTOMER, IMG, JINJA, JS_LINK, RAW, SCRIPT, TITLE
from hostile_record import ID as HOSTILE_ID
from sitebuild import (
    CHANGED_TARGET,
    HOSTILE_SEVERITY_NAME,
    NOW,
    ROOT,
    Build,
    build,
    scratch_copy,
)
from sitehtml import internal_targets, normalize, parse, readable_corpus, rows_with, tables

from escalate.duration import parse_duration
from escalate.records import ACTIVE_STATUSES
from escalate.repo import Repo
from escalate.rotation import next_shift, on_call
from escalate.scoring import score

pytestmark = pytest.mark.site

AT = datetime.fromisoformat(NOW.replace("Z", "+00:00"))
GENERATED = [
    "status/index.html",
    "escalations/index.html",
    "escalations/tags/index.html",
    "learnings/index.html",
    "metrics/index.html",
    "policy/index.html",
    "policy/severity/index.html",
    "policy/matrix/index.html",
    "policy/scoring/index.html",
    "policy/calendars/index.html",
    "policy/oncall/index.html",
]


def page(build: Build, path: str) -> Path:
    found = build.site / path
    assert found.is_file(), f"{path} was not built"
    return found


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


@pytest.fixture(scope="session")
def repo() -> Repo:
    return Repo.load(ROOT, use_cache=False)


# --- pages and links ---------------------------------------------------------------------------


def test_every_record_has_a_page(repo_site: Build, repo: Repo) -> None:
    assert len(repo.escalations) >= 30
    for escalation_id, escalation in repo.escalations.items():
        built = parse(page(repo_site, f"escalations/{escalation_id}/index.html"))
        assert escalation_id in built.text
        assert normalize(escalation.title) in built.text


def test_generated_index_pages_exist_and_reach_every_record(repo_site: Build, repo: Repo) -> None:
    for path in GENERATED:
        page(repo_site, path)
    index = parse(page(repo_site, "escalations/index.html"))
    hrefs = {element.attrs.get("href") for element in index.find("a")}
    for escalation_id in repo.escalations:
        assert f"{escalation_id}/" in hrefs


def test_every_internal_link_resolves(repo_site: Build) -> None:
    broken = []
    ids: dict[Path, set[str]] = {}
    for path in html_files(repo_site.site):
        for href, target, fragment in internal_targets(repo_site.site, parse(path)):
            if not target.is_file():
                broken.append(f"{path.relative_to(repo_site.site)}: {href}")
                continue
            if fragment and target.suffix == ".html":
                if target not in ids:
                    ids[target] = {e.attrs["id"] for e in parse(target).elements if "id" in e.attrs}
                if fragment not in ids[target]:
                    broken.append(f"{path.relative_to(repo_site.site)}: {href} (no #{fragment})")
    assert not broken, "\n".join(broken[:40])


def test_reference_page_links_reach_the_generated_pages(repo_site: Build) -> None:
    reference = parse(page(repo_site, "reference/index.html"))
    targets = {
        href: target
        for href, target, _ in internal_targets(repo_site.site, reference)
        if href.startswith("../")
        and href.split("/")[1] in {"policy", "status", "escalations", "learnings", "metrics"}
    }
    assert len(targets) >= 10
    assert all(target.is_file() for target in targets.values()), targets


_GENERATED_DIRS = ("policy", "status", "escalations", "learnings", "metrics")


def test_handbook_links_generated_pages_by_source_file() -> None:
    """Links to generated pages name their source (policy/severity.md), so --strict checks
    them; a site URL ("../policy/severity/") would be left as it is, checked by nothing."""
    url_links = []
    for path in sorted((ROOT / "docs").rglob("*.md")):
        for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text(encoding="utf-8")):
            parts = [
                part for part in target.split("#")[0].split("/") if part not in ("", "..", ".")
            ]
            if parts and parts[0] in _GENERATED_DIRS and not target.split("#")[0].endswith(".md"):
                url_links.append(f"{path.relative_to(ROOT)}: {target}")
    assert not url_links, url_links
    reference = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert "](policy/severity.md)" in reference and "](status/index.md)" in reference


def test_a_broken_link_to_a_generated_page_fails_the_strict_build(tmp_path: Path) -> None:
    repo = scratch_copy(tmp_path / "repo")
    reference = repo / "docs" / "reference.md"
    text = reference.read_text(encoding="utf-8")
    assert "](policy/severity.md)" in text
    reference.write_text(text.replace("](policy/severity.md)", "](policy/severities.md)", 1))
    result = build(repo, tmp_path / "site", tmp_path / "cache")
    assert result.returncode != 0
    assert "reference.md" in result.stderr and "policy/severities.md" in result.stderr


def test_the_logging_guide_commands_are_complete() -> None:
    """Every `escalate …` command in the guide parses: no required option is missing."""
    import shlex

    import click

    from escalate.cli import cli

    guide = (ROOT / "docs" / "playbook" / "logging.md").read_text(encoding="utf-8")
    commands = re.findall(r"`(escalate (?:ack|assign|raise|reclassify|pause|resume|update|"
                          r"note|mitigate|resolve|reopen|close) [^`]+)`", guide)  # fmt: skip
    assert len(commands) >= 12, commands
    for command in commands:
        name, *args = shlex.split(command.replace("…", "x"))[1:]
        sub = cli.get_command(click.Context(cli), name)
        assert sub is not None, command
        try:
            sub.make_context(name, args)
        except click.UsageError as exc:
            pytest.fail(f"{command}: {exc.format_message()}")


# --- the status board ---------------------------------------------------------------------------


def test_status_board_lists_the_active_escalations_by_urgency(repo_site: Build, repo: Repo) -> None:
    sla = pytest.importorskip("escalate.sla")

    expected = []
    for escalation in repo.escalations.values():
        if escalation.state.status not in ACTIVE_STATUSES or escalation.opened_at > AT:
            continue
        postmortem = repo.postmortems.get(escalation.id)
        clocks = sla.clocks_for(
            escalation,
            repo.policy,
            AT,
            postmortem=postmortem.data if postmortem else None,
        )
        case = [c for c in clocks if not c.clock.startswith("action:") and c.clock != "postmortem"]
        overdue = any(c.state == "overdue" for c in case)
        deadlines = [c.deadline for c in case if c.live and c.state != "paused" and c.deadline]
        nearest = min(deadlines, default=datetime.max.replace(tzinfo=AT.tzinfo))
        key = (
            escalation.drill,
            not overdue,
            -score(escalation, repo.policy).total,
            nearest,
            escalation.id,
        )
        expected.append((key, escalation.id))
    expected_ids = [escalation_id for _, escalation_id in sorted(expected)]
    assert expected_ids, "the repository should have open escalations at the test instant"
    assert rows_with(page(repo_site, "status/index.html"), "data-id") == expected_ids


def test_status_board_shows_the_next_upcoming_deadline_and_overdue_apart(repo_site: Build) -> None:
    rows = _rows(page(repo_site, "status/index.html"), "#")
    assert rows
    overdue = [row for row in rows if ": overdue" in row[8]]
    assert overdue, "the fixed instant should have overdue cases"
    for row in rows:
        deadline = row[9]
        assert not re.match(r"\S+ ago", deadline), row  # a passed deadline is not "next"
        if ": overdue" in row[8]:
            assert "overdue for " in deadline, row
        else:
            assert "overdue for" not in deadline, row
    assert any(row[9].startswith("in ") and "overdue for" in row[9] for row in overdue)


def test_status_board_has_an_as_of_stamp_and_live_times(repo_site: Build) -> None:
    status = parse(page(repo_site, "status/index.html"))
    assert "As of 2026-11-22 13:00 CET" in status.text
    assert status.find("div", data_asof="2026-11-22T12:00:00Z")
    since = [e for e in status.elements if "data-since" in e.attrs]
    deadlines = [e for e in status.elements if "data-deadline" in e.attrs]
    assert len(since) > 3 and deadlines
    for element in since + deadlines:
        value = element.attrs.get("data-since") or element.attrs["data-deadline"]
        assert datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    scripts = [e.attrs["src"] for e in status.find("script") if "src" in e.attrs]
    assert any(src.endswith("assets/escalate/escalate.js") for src in scripts)
    assert not any(src.startswith(("http:", "https:", "//")) for src in scripts), "no CDN"
    script = (repo_site.site / "assets" / "escalate" / "escalate.js").read_text()
    assert "data-since" in script and "data-deadline" in script


# --- one escalation -----------------------------------------------------------------------------


def test_escalation_page_shows_facts_score_clocks_timeline_and_postmortem(
    repo_site: Build, repo: Repo
) -> None:
    escalation = repo.escalation("ESC-2026-0001")
    built = parse(page(repo_site, "escalations/ESC-2026-0001/index.html"))
    result = score(escalation, repo.policy)
    assert f"score {result.total}" in built.text
    for name in (
        "Technical severity",
        "Business impact",
        "Customer tier",
        "Revenue",
        "Reputational risk",
    ):
        assert name in built.text
    assert "Nordlicht Mode GmbH" in built.text  # internal profile: everything
    assert "acknowledge" in built.text and "resolve" in built.text
    assert built.text.count("customer update by") == 3
    assert "The TLS certificate on PayLane" in built.text  # postmortem front matter
    assert "Measure the step the customer cares about" in built.text  # postmortem body
    related = {e.attrs.get("href") for e in built.find("a")}
    assert "../ESC-2026-0011/" in related  # repeated by ESC-2026-0011


def _rows(path: Path, first_header: str) -> list[list[str]]:
    found = [t for t in tables(path) if t and t[0] and t[0][0] == first_header]
    assert found, first_header
    return [row for table in found for row in table[1:]]


def test_clock_and_action_states_read_as_what_happened(repo_site: Build) -> None:
    clocks = {
        row[0]: row
        for row in _rows(page(repo_site, "escalations/ESC-2026-0031/index.html"), "Clock")
    }
    assert clocks["acknowledge"][5] == "met with 40m to spare"  # stopped: not "40m left"
    actions = [row for name, row in clocks.items() if name.startswith("action:")]
    assert actions
    for row in actions:
        assert row[2] == "due date" and row[4] == "—", row  # no target, so nothing "used"
    # A postmortem-only action of the drill has no SLA clock; its state uses the same words.
    learnings = page(repo_site, "learnings/index.html")
    states = {
        row[1].split(":")[0]: row[4]
        for row in _rows(learnings, "Escalation")
        if row[0] == "ESC-2026-0014"
    }
    assert states == {"A4": "running"}
    assert not [row for row in _rows(learnings, "Escalation") if row[4] == "open"]


def test_postmortem_sections_are_in_the_table_of_contents_and_lessons_appear_once(
    repo_site: Build,
) -> None:
    path = page(repo_site, "escalations/ESC-2026-0001/index.html")
    raw = path.read_text(encoding="utf-8")
    headings = re.findall(r'<h([23]) id="([^"]+)"', raw)
    after = headings[headings.index(("2", "postmortem")) + 1 :]
    assert [h for h in after if h[1].startswith("pm-")] == [
        ("3", f"pm-{name}")
        for name in ("summary", "impact", "timeline", "root-cause", "what-went-well",
                     "what-went-wrong", "actions", "lessons")
    ]  # fmt: skip
    toc = {
        e.attrs["href"] for e in parse(path).find("a") if "md-nav__link" in e.attrs.get("class", "")
    }
    assert {"#postmortem", "#pm-summary", "#pm-lessons"} <= toc
    text = parse(path).text
    assert (
        "Lessons Lessons" not in text and text.count("Lessons") == 2
    )  # the heading and its TOC entry
    # the front matter's lessons join the body's own, once each
    assert text.count("A vendor's green status page is not evidence") == 1
    assert text.count("Measure the step the customer cares about") == 1
    repeat = parse(page(repo_site, "escalations/ESC-2026-0025/index.html")).text
    assert repeat.count("Redundancy only helps if the redundant paths") == 1


def test_repeat_chains_are_labelled_by_their_first_case(repo_site: Build, repo: Repo) -> None:
    path = page(repo_site, "learnings/index.html")
    raw = path.read_text(encoding="utf-8")
    first = repo.escalation("ESC-2026-0001")
    label = re.search(r'<h3 id="repeat-esc-2026-0001">(.*?)<a', raw, re.S)
    assert label and html.unescape(label.group(1)).strip() == first.title
    toc = {
        e.attrs["href"] for e in parse(path).find("a") if "md-nav__link" in e.attrs.get("class", "")
    }
    assert "#repeat-esc-2026-0001" in toc
    assert "3 escalations since ESC-2026-0001" in parse(path).text


def test_escalation_pages_are_tagged(repo_site: Build) -> None:
    tags = json.loads((repo_site.site / "tags.json").read_text())
    text = json.dumps(tags)
    for tag in ("severity: sev1", "tier: enterprise", "category: payments", "area: checkout"):
        assert tag in text
    listing = parse(page(repo_site, "escalations/tags/index.html"))
    assert "severity: sev2" in listing.text and "ESC-2026-0001" in listing.text


# --- search ---------------------------------------------------------------------------------


def _search(site: Path, query: str) -> set[str]:
    """The pages Material's search returns for a query: every term in one entry's title or text.

    Material indexes title and text, splits both on its `separator` and matches terms by
    prefix (the search box adds a trailing wildcard); words glued together by markup without
    whitespace become one term that no query finds.
    """
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    separator = re.compile(index["config"]["separator"])

    def terms(text: str) -> list[str]:
        words = separator.split(html.unescape(re.sub(r"<[^>]+>", "", text)).casefold())
        return [word.strip(".,;:()!?'\"") for word in words if word.strip(".,;:()!?'\"")]

    wanted = terms(query)
    found = set()
    for entry in index["docs"]:
        have = terms(f"{entry['title']} {entry['text']}")
        if all(any(term.startswith(word) for term in have) for word in wanted):
            found.add(entry["location"].split("#", 1)[0])
    return found


def test_search_finds_a_record_by_id_title_customer_category_and_area(
    repo_site: Build, repo: Repo
) -> None:
    escalation = repo.escalation("ESC-2026-0031")
    page_location = "escalations/ESC-2026-0031/"
    customer = escalation.data["customer"]["name"]  # internal profile: customers are searchable
    category = repo.policy.categories[escalation.data["category"]].name
    for query in (
        escalation.id,
        "hostnames",  # a word of the title
        customer.split()[0],
        f"{category} {customer.split()[0]}",
        escalation.data["product_area"] + " " + customer.split()[0],
    ):
        assert page_location in _search(repo_site.site, query), query
    # an alias finds its customer's case too
    assert "escalations/ESC-2026-0009/" in _search(repo_site.site, "Kranich")


# --- policy pages -----------------------------------------------------------------------------


def _targets(path: Path) -> dict[str, dict[str, int]]:
    """Severity id -> clock -> seconds, read from the severity page's target tables."""
    from html.parser import HTMLParser

    found: dict[str, dict[str, int]] = {}

    class Reader(HTMLParser):
        level: str | None = None
        clock: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            if tag == "h2" and values.get("id"):
                self.level = values["id"]
            if tag == "td" and values.get("data-clock"):
                self.clock = values["data-clock"]

        def handle_endtag(self, tag: str) -> None:
            if tag == "td":
                self.clock = None

        def handle_data(self, data: str) -> None:
            if self.level and self.clock and data.strip() not in ("", "—"):
                found.setdefault(self.level, {})[self.clock] = parse_duration(data.strip())

    reader = Reader()
    reader.feed(path.read_text(encoding="utf-8"))
    return found


def test_policy_pages_show_the_yaml(repo_site: Build, repo: Repo) -> None:
    document = yaml.safe_load((ROOT / "policy" / "severity.yaml").read_text())
    shown = _targets(page(repo_site, "policy/severity/index.html"))
    for level in document["levels"]:
        expected = {clock: parse_duration(text) for clock, text in level["targets"].items()}
        assert shown[level["id"]] == expected, level["id"]

    scoring = parse(page(repo_site, "policy/scoring/index.html")).text
    for factor in yaml.safe_load((ROOT / "policy" / "scoring.yaml").read_text())["factors"]:
        assert f"{factor['name']} · weight {factor['weight']}" in scoring
    assert "Worked example" in scoring

    matrix = parse(page(repo_site, "policy/matrix/index.html")).text
    for tier in repo.policy.tiers.values():
        assert tier.name in matrix
    for trigger in repo.policy.triggers:
        assert trigger["id"] in matrix

    calendars = parse(page(repo_site, "policy/calendars/index.html")).text
    for calendar in yaml.safe_load((ROOT / "policy" / "calendars.yaml").read_text())["calendars"]:
        assert calendar["timezone"] in calendars

    oncall = page(repo_site, "policy/oncall/index.html")
    rows = {e.attrs["data-rotation"] for e in parse(oncall).elements if "data-rotation" in e.attrs}
    assert rows == {rotation["id"] for rotation in repo.policy.rotations}
    html = oncall.read_text(encoding="utf-8")
    for rotation in repo.policy.rotations:
        handle = on_call(rotation, AT)
        row = html[html.index(f'data-rotation="{rotation["id"]}"') :]
        now_cell = row[
            row.index('class="esc-oncall-now"') : row.index(
                "</td>", row.index('class="esc-oncall-now"')
            )
        ]
        assert f"<code>{handle}</code>" in now_cell, rotation["id"]
        following = next_shift(rotation, AT)
        next_cell = row[row.index('class="esc-oncall-next"') :].split("</td>", 1)[0]
        assert f"<code>{following.handle}</code>" in next_cell, rotation["id"]
        assert following.handle != handle


def test_a_changed_policy_target_shows_after_a_rebuild(
    repo_site: Build, hostile_site: Build
) -> None:
    level, clock, old, new = CHANGED_TARGET
    before = _targets(page(repo_site, "policy/severity/index.html"))
    after = _targets(page(hostile_site, "policy/severity/index.html"))
    assert before[level][clock] == parse_duration(old)
    assert after[level][clock] == parse_duration(new)


# --- metrics ---------------------------------------------------------------------------------


def _cli_metrics() -> dict[tuple[str, str], str]:
    """(metric label, group) -> "median / p90" from `escalate metrics`' own text report."""
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "escalate"),
            "--repo",
            str(ROOT),
            "metrics",
            "--now",
            NOW,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[tuple[str, str], str] = {}
    label = ""
    for line in result.stdout.splitlines():
        heading = re.match(r"(Time to \w+) \(", line)
        if heading:
            label = heading.group(1)
            continue
        cells = line.split()
        if label and len(cells) == 7 and cells[0] != "GROUP":
            found[(label, cells[0])] = f"{cells[3]} / {cells[4]}".replace("-", "—")
        elif not line.strip():
            label = ""
    return found


def test_metrics_durations_agree_with_the_cli(repo_site: Build) -> None:
    """Per severity and per month, the site writes what `escalate metrics` writes."""
    expected = _cli_metrics()
    assert ("Time to acknowledge", "sev1") in expected and (
        "Time to resolve",
        "2026-11",
    ) in expected
    shown: dict[tuple[str, str], str] = {}
    for table in tables(page(repo_site, "metrics/index.html")):
        if not table or table[0][:2] not in (["Metric", "Group"], ["Metric", "Month"]):
            continue
        label = ""
        for row in table[1:]:
            label = row[0] or label
            shown[(label, row[1])] = row[3]
    assert shown == expected


def test_metrics_page_has_accessible_svg_charts(repo_site: Build) -> None:
    path = page(repo_site, "metrics/index.html")
    html_text = path.read_text(encoding="utf-8")
    text = parse(path).text
    assert "left out: 1 drill." in text and "drills left out" not in text
    assert "By month of opening" in text
    svgs = re.findall(r'<svg\b[^>]*class="esc-chart-svg"[^>]*>.*?</svg>', html_text, re.S)
    assert len(svgs) >= 5
    titles = []
    for svg in svgs:
        opening = re.match(r"<svg\b[^>]*>", svg)
        assert opening and 'role="img"' in opening.group(0), opening
        labelled = re.search(r'aria-labelledby="([^"]+)"', opening.group(0))
        assert labelled, opening.group(0)
        title_id, desc_id = labelled.group(1).split()
        title = re.search(rf'<title id="{title_id}">([^<]+)</title>', svg)
        desc = re.search(rf'<desc id="{desc_id}">([^<]+)</desc>', svg)
        assert title and desc and len(desc.group(1)) > 40, svg[:300]
        assert not re.search(r"(?:href|src)=", svg), "a chart loads nothing"
        titles.append(html.unescape(title.group(1)))
    assert {
        "Time to acknowledge by severity",
        "Time to resolve by severity",
        "SLA attainment per clock",
        "Load per owner",
        "Escalations per 1,000 tickets by month",
    } <= set(titles)
    # the charts carry the same numbers as the tables, and the page loads no chart library
    assert "sev1: 3m · p90 3m" in html.unescape(html_text)
    scripts = [e.attrs["src"] for e in parse(path).find("script") if "src" in e.attrs]
    assert not any(src.startswith(("http:", "https:", "//")) for src in scripts)


# --- hostile text ---------------------------------------------------------------------------------


def test_hostile_text_shows_as_text(hostile_site: Build) -> None:
    built = parse(page(hostile_site, f"escalations/{HOSTILE_ID}/index.html"))
    for text in (TITLE, CUSTOMER, CONTACT, SCRIPT, IMG, JS_LINK, JINJA, RAW):
        assert normalize(text) in built.text, text
    assert f"{normalize(CUSTOMER)} (also {ALIAS})" in built.text  # internal: the aliases too
    # a list joined into one cell stays one piece of text, fences and all
    assert f"ZD-XSS-{SCRIPT}, ZD-FENCE ``` {SCRIPT} ```" in built.text
    assert "{{ 7*7 }}" in built.text and "49" not in built.text.replace("ESC-2026-0999", "")
    # the page title is the escaped title too
    title = parse(page(hostile_site, f"escalations/{HOSTILE_ID}/index.html")).find("title")
    assert title
    raw_title = re.search(r"<title>(.*?)</title>", built.path.read_text(encoding="utf-8"), re.S)
    assert raw_title and "<script" not in raw_title.group(1)
    board = parse(page(hostile_site, "status/index.html"))
    assert normalize(TITLE) in board.text


def test_free_text_renders_inline_markdown_but_titles_stay_plain(hostile_site: Build) -> None:
    path = page(hostile_site, f"escalations/{HOSTILE_ID}/index.html")
    raw = path.read_text(encoding="utf-8")
    built = parse(path)
    # the impact summary: **bold** is bold, raw HTML and the javascript: image are text
    lead = re.search(r'<p class="esc-lead">(.*?)</p>', raw, re.S)
    assert lead and lead.group(1).startswith("<strong>bold</strong>"), lead
    assert "<b onmouseover=alert(1)>hover</b>" in built.text
    # a timeline text: its javascript: link keeps its text and loses its href; "# heading?"
    # stays a line of text, not a heading of the page
    assert "# heading?" in built.text
    assert not [
        e
        for e in built.elements
        if e.tag in ("h1", "h2", "h3") and "heading" in e.attrs.get("id", "")
    ]
    # the title (and so the page heading) is plain text: its *em* is not emphasis
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", raw, re.S)
    assert heading and "<em>" not in heading.group(1) and "*em*" in html.unescape(heading.group(1))


def test_hostile_policy_text_shows_as_text(hostile_site: Build) -> None:
    severity = parse(page(hostile_site, "policy/severity/index.html"))
    assert f"sev1 · {HOSTILE_SEVERITY_NAME}" in severity.text
    assert severity.find("h2", id="sev1")
    assert (
        "Bob <img src=x onerror=alert(8)> Fischer"
        in parse(page(hostile_site, "policy/oncall/index.html")).text
    )
    assert (
        "EMEA <script>alert(7)</script> hours"
        in parse(page(hostile_site, "policy/calendars/index.html")).text
    )
    scoring = parse(page(hostile_site, "policy/scoring/index.html")).text
    assert "Technical <b>severity</b> {{ 7*7 }}" in scoring


def test_no_injected_markup_anywhere(hostile_site: Build, public_site: Build) -> None:
    for build_ in (hostile_site, public_site):
        for path in html_files(build_.site):
            text = path.read_text(encoding="utf-8")
            where = path.relative_to(build_.site)
            assert "<script>alert" not in text, where
            assert (
                "onerror=" not in text and "onmouseover=" not in text and "onload=" not in text
            ), where
            for element in parse(path).elements:
                for name, value in element.attrs.items():
                    assert not name.startswith("on"), (where, element)
                    if name in ("href", "src", "action", "formaction"):
                        probe = re.sub(r"\s+", "", value).lower()
                        assert not probe.startswith(("javascript:", "data:", "vbscript:")), (
                            where,
                            value,
                        )
                if element.tag in ("iframe", "object", "embed", "frame"):
                    pytest.fail(f"{where}: a <{element.tag}> element from record text")
        for path in build_.site.rglob("*.json"):
            raw = path.read_text(encoding="utf-8")
            assert "<script>alert" not in raw and "<img src=x" not in raw, path


def test_hostile_markdown_in_a_postmortem_is_sanitised(hostile_site: Build) -> None:
    path = page(hostile_site, f"escalations/{HOSTILE_ID}/index.html")
    built = parse(path)
    links = {e.attrs.get("href", "") for e in built.find("a")}
    assert "https://example.com/safe" in links
    assert "https://example.com/auto" in links
    assert not [
        href for href in links if "alert" in href and not href.startswith("https://example.com/")
    ]
    assert "<script>alert(1)</script>" in built.text  # the fenced code block and the table cell
    # unsafe Markdown links lose their href and keep their text; raw HTML is shown as text
    assert 'Body with link and <a href="javascript:alert(1)">raw</a> and' in built.text
    assert '<div onclick="alert(1)">div</div>' in built.text
    assert [
        e.attrs
        for e in built.find("a")
        if e.attrs.get("href") is None and "nofollow" in e.attrs.get("rel", "")
    ]


# --- the public profile -------------------------------------------------------------------------

STRUCTURAL = {"at", "by", "to", "event", "level", "severity", "reason", "channel", "type", "currency",
              "granted_by", "approved_by", "id", "due", "done_at", "owner", "tier", "region"}  # fmt: skip


def _hidden(value: Any, path: list[str], key: str = "") -> list[tuple[str, Any]]:
    """(key, value) of what a publishing path selects: written independently of the code."""
    if isinstance(value, list):
        return [found for item in value for found in _hidden(item, path, key)]
    if not path or not isinstance(value, dict):
        return [(key, value)] if not path else []
    match = re.fullmatch(r"([a-z_]+)(?:\[([a-z_]+)=([^\]]+)\])?", path[0])
    assert match
    name, sel_key, sel_value = match.groups()
    if name not in value:
        return []
    child = value[name]
    if sel_key:
        child = [
            item for item in child if isinstance(item, dict) and str(item.get(sel_key)) == sel_value
        ]
        if len(path) == 1:
            return [(name, item) for item in child]
    return _hidden(child, path[1:], name)


def _leaves(value: Any, key: str) -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, k)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v, key)]
    return [(key, value)]


def _public_corpora(site: Path, public_names: set[str]) -> dict[Path, str]:
    """What each file of a built site says, with the published names of staff blanked out.

    "Nora Lindqvist" works here and is on the on-call page; "Lindqvist" alone, the short name
    of a customer, must not be. Blanking the staff names lets the check below see the rest.
    """
    staff = sorted((name for name in public_names if " " in name), key=len, reverse=True)
    staff_pattern = re.compile("|".join(re.escape(name) for name in staff)) if staff else None
    corpora = {}
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".xml", ".txt", ".js", ".css"):
            corpus = readable_corpus(path)
            corpora[path] = staff_pattern.sub(" ", corpus) if staff_pattern else corpus
    return corpora


def _public_names(repo: Path) -> set[str]:
    roster = yaml.safe_load((repo / "policy" / "roster.yaml").read_text())
    return {p["handle"] for p in roster["people"]} | {p["name"] for p in roster["people"]}


def _public_hide(repo: Path) -> list[str]:
    publishing = yaml.safe_load((repo / "policy" / "publishing.yaml").read_text())
    return list(next(p["hide"] for p in publishing["profiles"] if p["id"] == "public"))


def _records(repo: Path) -> list[dict[str, Any]]:
    return [
        yaml.load(record_file.read_text(), Loader=yaml.BaseLoader)  # everything a string
        for record_file in sorted(repo.glob("incidents/*/*/escalation.yaml"))
    ]


def test_public_profile_leaks_no_hidden_value(public_site: Build, hostile_repo: Path) -> None:
    hide = _public_hide(hostile_repo)
    public_names = _public_names(hostile_repo)
    corpora = _public_corpora(public_site.site, public_names)
    strings: dict[str, str] = {}
    for data in _records(hostile_repo):
        for path in hide:
            for key, value in _hidden(data, path.split(".")):
                for leaf_key, leaf in _leaves(value, key):
                    text = normalize(str(leaf)).strip()
                    if leaf_key in STRUCTURAL or text in public_names or len(text) < 4:
                        continue
                    if not re.fullmatch(r"\d+(\.\d+)?", text):
                        strings[text] = f"{data['id']} {path}"
    assert len(strings) > 100  # the check below really covers the records
    leaks = [f"{where}: {text!r} in {path.relative_to(public_site.site)}"
             for text, where in strings.items() for path, corpus in corpora.items() if text in corpus]  # fmt: skip
    assert not leaks, "\n".join(leaks[:20])

    for escalation_page in (public_site.site / "escalations").glob("ESC-*/index.html"):
        text = parse(escalation_page).text
        for label in (
            "Reported by",
            "Customer contact",
            "ARR",
            "Revenue at risk",
            "Tickets",
            "Orders",
            "Remedies",
            "Notes",
        ):
            assert label not in text, (escalation_page, label)


# Written independently of escalate.publishing: what a reader would call a customer for short.
_LEGAL = {"GmbH", "AG", "SE", "KG", "SA", "SAS", "SARL", "BV", "NV", "Ltd", "Ltd.", "Limited",
          "LLC", "Inc", "Inc.", "Corp.", "Co.", "plc", "Pty", "AB", "AS", "ApS", "Oy", "Srl"}  # fmt: skip
# Leading words that say what kind of business it is, or where: not a name on their own.
_NOT_A_NAME = {"Southern", "Studio", "Atelier", "Boulangerie", "Game"}


def _short_names(name: str) -> tuple[set[str], set[str]]:
    """(any-case forms, as-written words) of a customer name: every shorter leading part that
    ends in a capitalised word, and the first word when it is long, capitalised and not
    generic. "Southern Cross Pharmacy Group" -> Southern Cross Pharmacy, Southern Cross."""
    words = name.split()
    while len(words) > 1 and words[-1] in _LEGAL:
        words = words[:-1]
    phrases = {
        " ".join(words[:end])
        for end in range(2, len(words) + 1)
        if words[end - 1][:1].isupper() and len(words[end - 1]) > 2
    }
    first = (
        {words[0]} if len(words) > 1 and len(words[0]) >= 6 and words[0][:1].isupper() else set()
    )
    return phrases, first - _NOT_A_NAME


def test_public_profile_leaks_no_short_form_of_a_customer_name(
    public_site: Build, hostile_repo: Path
) -> None:
    """Harbourline for Harbourline Grocers Pty Ltd, Southern Cross, aliases: nowhere."""
    assert "customer.name" in _public_hide(hostile_repo)
    corpora = _public_corpora(public_site.site, _public_names(hostile_repo))
    any_case: dict[str, str] = {}
    as_written: dict[str, str] = {}
    for data in _records(hostile_repo):
        customer = data["customer"]
        for alias in customer.get("aliases") or []:
            any_case[alias] = data["id"]
        phrases, words = _short_names(normalize(customer["name"]))
        any_case.update(dict.fromkeys(phrases, data["id"]))
        as_written.update(dict.fromkeys(words, data["id"]))
    # The short forms the reviewer found, and the hostile record's alias, are covered.
    for expected in ("Southern Cross", "Evilcorp", "Kranich"):
        assert expected in any_case, expected
    for expected in ("Harbourline", "Aurelia", "Nordlicht", "Lindqvist"):
        assert expected in as_written, expected
    leaks = []
    for path, corpus in corpora.items():
        where = path.relative_to(public_site.site)
        folded = corpus.casefold()
        for text, escalation_id in any_case.items():
            if re.search(rf"(?<!\w){re.escape(text.casefold())}(?!\w)", folded):
                leaks.append(f"{escalation_id}: {text!r} in {where}")
        for word, escalation_id in as_written.items():
            if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", corpus):
                leaks.append(f"{escalation_id}: {word!r} in {where}")
    assert not leaks, "\n".join(leaks[:20])


def _generated_corpora(site: Path) -> dict[str, str]:
    """The text of everything the plugin builds from records: its pages, their search index
    entries, the sitemap and the tags. The hand-written playbook in docs/ is left out: its
    examples use round numbers of their own ("1200 customers affected")."""
    prefixes = ("status/", "escalations/", "learnings/", "metrics/", "policy/")
    found = {
        str(path.relative_to(site)): readable_corpus(path)
        for path in site.rglob("*.html")
        if str(path.relative_to(site)).startswith(prefixes)
    }
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    for entry in index["docs"]:
        if entry["location"].startswith(prefixes):
            found[f"search: {entry['location']}"] = normalize(
                html.unescape(re.sub(r"<[^>]+>", " ", f"{entry['title']} {entry['text']}"))
            )
    for name in ("sitemap.xml", "tags.json"):
        if (site / name).is_file():
            found[name] = readable_corpus(site / name)
    return found


def test_public_profile_leaks_no_hidden_number_anywhere(
    public_site: Build, hostile_repo: Path
) -> None:
    """ARR, revenue at risk and remedy amounts: on no generated page, not only the record's."""
    hide = _public_hide(hostile_repo)
    numbers: dict[int, str] = {}
    for data in _records(hostile_repo):
        for path in hide:
            for key, value in _hidden(data, path.split(".")):
                for leaf_key, leaf in _leaves(value, key):
                    text = str(leaf).strip()
                    if leaf_key in STRUCTURAL or not re.fullmatch(r"\d+(\.\d+)?", text):
                        continue
                    if float(text) >= 1000:
                        numbers[int(float(text))] = f"{data['id']} {path}"
    assert {987654, 123457, 4321} <= set(numbers)  # the hostile record's ARR, revenue, credit
    corpora = _generated_corpora(public_site.site)
    assert any(where.startswith("search: escalations/") for where in corpora)
    leaks = []
    for number, where in numbers.items():
        forms = {str(number), f"{number:,}", f"{number:,}".replace(",", "."),
                 f"{number:,}".replace(",", " "), f"{number:,}".replace(",", "\u202f")}  # fmt: skip
        pattern = re.compile(
            "|".join(rf"(?<![\d.,]){re.escape(form)}(?![\d]|[.,]\d)" for form in forms)
        )
        leaks += [f"{where}: {number} in {name}" for name, corpus in corpora.items()
                  if pattern.search(corpus)]  # fmt: skip
    assert not leaks, "\n".join(leaks[:20])


def test_public_profile_still_publishes_the_case(public_site: Build) -> None:
    built = parse(page(public_site, f"escalations/{HOSTILE_ID}/index.html"))
    assert "customer update" in built.text and "Hello" in built.text  # customer-facing updates stay
    assert "secret-note-token" not in built.text and "secret-update-token" not in built.text
    assert "Evil" not in built.text and "Mallory" not in built.text
    board = parse(page(public_site, "status/index.html"))
    assert HOSTILE_ID in board.text and "profile public" in board.text
    oncall = parse(page(public_site, "policy/oncall/index.html"))
    assert "@example.com" not in oncall.text  # staff e-mail addresses stay internal


def test_the_pages_workflow_deploys_the_public_profile_only(public_site: Build) -> None:
    """GitHub Pages is outside single sign-on: every site build there is the public one."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text())
    builds, guards = [], []
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            run = step.get("run", "")
            env = {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}
            if "mkdocs build" in run:
                builds.append(env.get("ESCALATE_PROFILE"))
            if "site/status/index.html" in run:
                guards.append(run)
    assert builds == ["public"]
    # The guard looks for the profile stamp the public build really writes.
    stamp = re.search(r"grep -q '([^']+)' site/status/index\.html", "\n".join(guards))
    assert stamp, guards
    status = (public_site.site / "status" / "index.html").read_text(encoding="utf-8")
    assert stamp.group(1) in status
    assert stamp.group(1).replace("public", "internal") not in status


# --- failures ---------------------------------------------------------------------------------------


def test_an_invalid_record_fails_the_strict_build(tmp_path: Path) -> None:
    repo = scratch_copy(tmp_path / "repo")
    record = repo / "incidents" / "2026" / "ESC-2026-0001" / "escalation.yaml"
    record.write_text(record.read_text().replace("tier: enterprise", "tier: gold", 1))
    result = build(repo, tmp_path / "site", tmp_path / "cache")
    assert result.returncode != 0
    assert "incidents/2026/ESC-2026-0001/escalation.yaml:" in result.stderr
    assert "gold" in result.stderr
    assert not (tmp_path / "site" / "status").exists()


def test_a_bad_now_or_profile_fails_clearly(tmp_path: Path) -> None:
    repo = scratch_copy(tmp_path / "repo")
    shutil.rmtree(repo / "incidents")
    (repo / "incidents").mkdir()
    result = build(repo, tmp_path / "site", tmp_path / "cache", profile="press")
    assert result.returncode != 0 and "no publishing profile 'press'" in result.stderr


def test_build_time_is_modest(repo_site: Build) -> None:
    assert repo_site.seconds < 60, f"the site took {repo_site.seconds:.1f} s to build"


def test_the_communication_examples_show_every_template(repo_site: Build, repo: Repo) -> None:
    from escalate import comms

    path = page(repo_site, "comms/index.html")
    shown, text = path.read_text(encoding="utf-8"), parse(path).text
    for moment in comms.MOMENTS:
        assert f"{comms.MOMENT_NAMES[moment]} ({moment})" in text, moment
    # Each moment shows e-mail, chat, its Block Kit JSON and the status-page entry as tabs.
    assert shown.count('class="tabbed-set') == len(comms.MOMENTS)
    assert "Subject: [ESC-2026-" in text and '"type": "header"' in text
    # The sample customer is fictional; no real customer's name is on the page.
    assert "Hello Alex Example," in text
    for escalation in repo.escalations.values():
        assert escalation.data["customer"]["name"] not in text
    # The handbook's Communication page links here (--strict checks the link).
    guide = page(repo_site, "playbook/communication/index.html").read_text(encoding="utf-8")
    assert 'href="../../comms/"' in guide
