"""The generated pages of the playbook site, as Markdown text, from a loaded Repo and `now`.

Pure: no MkDocs here. `build_site` reads the repository model, applies the publishing
profile *first* (hidden fields are removed before anything is derived, so they cannot reach a
page, the search index, tags or a score), and renders one Jinja2 template per page. Every
value a template prints goes through `escape.finalize`; see escape.py for why that is enough.
"""

from __future__ import annotations

import functools
import html
import json
import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from ..duration import format_duration
from ..errors import PolicyError
from ..policy import CLOCKS, Policy
from ..publishing import REDACTED, Profile, Scrubber, redact
from ..records import ACTIVE_STATUSES, STATUSES, Escalation, format_age, parse_instant
from ..repo import Repo, split_front_matter
from ..rotation import Shift, next_shift, shift_at
from ..scoring import Score, score
from . import charts, escape
from .comms_examples import code_block, comms_examples

__all__ = ["ASSETS", "Site", "SitePage", "build_site"]

TEMPLATES = Path(__file__).parent / "templates"
ASSETS_DIR = Path(__file__).parent / "assets"
ASSET_PREFIX = "assets/escalate"
ASSETS = {
    f"{ASSET_PREFIX}/escalate.css": "escalate.css",
    f"{ASSET_PREFIX}/escalate.js": "escalate.js",
}

STATUS_NAMES = {
    "open": "Open",
    "acknowledged": "Acknowledged",
    "waiting_on_customer": "Waiting on customer",
    "mitigated": "Mitigated",
    "resolved": "Resolved",
    "closed": "Closed",
}
ROOT_CAUSES = (
    "code-defect",
    "config-change",
    "capacity",
    "third-party",
    "process-gap",
    "data-quality",
    "security-control",
    "human-error",
    "unknown",
)
CASE_CLOCKS = frozenset(CLOCKS) - {"postmortem"}
_IDENT = re.compile(r"[a-z0-9][a-z0-9_-]*")
# A block-level end (or a line break) directly followed by the next tag: see _Renderer.render.
_JOINED_TAGS = re.compile(r"(</(?:td|th|tr|li|p|dd|dt|div)>|<br>)(?=<)")
_ID = re.compile(r"[A-Z][A-Z0-9]*-[0-9]{4}-[0-9]{4,}")

# Fields that are structure (times, handles, ids, enums), never free text: not scrubbed.
_STRUCTURE_KEYS = frozenset(
    {"id", "opened_at", "at", "by", "to", "owner", "level", "severity", "category",
     "product_area", "tier", "region", "timezone", "event", "reason", "channel", "due",
     "done_at", "related", "tags", "drill", "flags", "reputational_risk", "granted_by",
     "approved_by", "type", "currency", "reported_by", "status", "created", "reviewed_at",
     "authors"}
)  # fmt: skip


# --- the model the templates read --------------------------------------------------------


@dataclass
class PostmortemView:
    data: Mapping[str, Any]
    body: str
    path: str

    @property
    def status(self) -> str:
        return str(self.data.get("status", ""))

    @cached_property
    def document(self) -> PostmortemDocument:
        """The body cut at its headings, which go under the page's "Postmortem" heading."""
        intro, found = escape.render_markdown_sections(self.body)
        title = None
        # A document's own title (one level-1 heading, first) is shown, not made a section.
        levels = [level for level, _, _ in found]
        if levels[:1] == [1] and levels.count(1) == 1 and _blank(intro):
            title, intro, found = found[0][1], found[0][2], found[1:]
        base = min((level for level, _, _ in found), default=1)
        sections, seen = [], set()
        for level, text, fragment in found:
            anchor = f"pm-{_slug(text) or 'section'}"
            while anchor in seen:
                anchor += "-1"
            seen.add(anchor)
            # The shallowest heading of the document sits one below "## Postmortem".
            sections.append(PostmortemSection(min(3 + level - base, 6), text, anchor, fragment))
        return PostmortemDocument(title, None if _blank(intro) else intro, sections)

    @property
    def lessons_section(self) -> PostmortemSection | None:
        """The body's own "Lessons" section, where the front matter's lessons are shown too."""
        for section in self.document.sections:
            if section.title.casefold().startswith("lesson"):
                return section
        return None

    @property
    def extra_lessons(self) -> list[Any]:
        """The front matter's lessons the body's Lessons section does not already say."""
        section = self.lessons_section
        lessons = list(self.data.get("lessons") or [])
        if section is None:
            return lessons
        said = _words(re.sub(r"<[^>]+>", " ", html.unescape(str(section.html))))
        return [lesson for lesson in lessons if _words(str(lesson)) not in said]


@dataclass(frozen=True)
class PostmortemSection:
    level: int  # heading level on the page: 3 for the document's top level
    title: str
    anchor: str
    html: Markup

    @property
    def marker(self) -> Markup:
        """The Markdown heading marker for its level: "###"."""
        return Markup("#" * self.level)


@dataclass(frozen=True)
class PostmortemDocument:
    title: str | None
    intro: Markup | None  # what comes before the first section
    sections: list[PostmortemSection]


def _blank(fragment: Markup) -> bool:
    return not str(fragment).replace("&#10;", "").strip()


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


@dataclass
class RecordView:
    """One escalation as this build publishes it: redacted, as of now, scored and clocked."""

    escalation: Escalation  # built from the published (redacted) data, timeline up to now
    score: Score
    clocks: list[Any] | None  # escalate.sla.Clock, or None when clocks are unavailable
    clocks_note: str
    postmortem: PostmortemView | None
    future: bool  # opened after now: not on the board

    @property
    def id(self) -> str:
        return self.escalation.id

    @property
    def data(self) -> Mapping[str, Any]:
        return self.escalation.data

    @property
    def state(self) -> Any:
        return self.escalation.state

    @property
    def src(self) -> str:
        return f"escalations/{self.id}.md"

    @property
    def active(self) -> bool:
        return not self.future and self.escalation.state.status in ACTIVE_STATUSES

    @property
    def live_clocks(self) -> list[Any]:
        return [clock for clock in self.clocks or [] if clock.live]

    @property
    def case_clocks(self) -> list[Any]:
        """The clocks of the case itself (not its postmortem or follow-up actions)."""
        return [clock for clock in self.clocks or [] if clock.clock in CASE_CLOCKS]

    @property
    def overdue(self) -> bool:
        return any(clock.state == "overdue" for clock in self.case_clocks)

    @property
    def deadlines(self) -> list[datetime]:
        """Deadlines of the case's clocks still counting (not paused), passed or not."""
        return [
            clock.deadline
            for clock in self.case_clocks
            if clock.live and clock.state != "paused" and clock.deadline is not None
        ]

    @property
    def earliest_deadline(self) -> datetime | None:
        """The board's tie-breaker: the deadline that came or comes first."""
        return min(self.deadlines, default=None)

    def next_deadline(self, now: datetime) -> datetime | None:
        """The next deadline still ahead of now (a passed one is overdue, not next)."""
        return min((at for at in self.deadlines if at > now), default=None)

    def overdue_since(self, now: datetime) -> datetime | None:
        """When the first deadline of an overdue clock passed."""
        passed = [
            clock.deadline
            for clock in self.case_clocks
            if clock.state == "overdue" and clock.deadline is not None and clock.deadline <= now
        ]
        return min(passed, default=None)

    def clock(self, name: str) -> Any:
        for clock in self.clocks or []:
            if clock.clock == name:
                return clock
        return None


@dataclass
class Site:
    """Everything one build knows; templates read it."""

    repo: Repo
    now: datetime
    profile: Profile
    commit: str | None
    use_directory_urls: bool = True
    records: list[RecordView] = field(default_factory=list)
    clocks_available: bool = True
    clocks_note: str = ""
    # Takes every hidden value out of a text; the identity when the profile hides nothing.
    scrub: Callable[[str], str] = str

    @property
    def policy(self) -> Policy:
        return self.repo.policy

    @property
    def public(self) -> bool:
        return bool(self.profile.hide)

    @cached_property
    def by_id(self) -> dict[str, RecordView]:
        return {record.id: record for record in self.records}

    @cached_property
    def board(self) -> list[RecordView]:
        """Active escalations, most urgent first: overdue, then score, then nearest deadline."""
        far = datetime.max.replace(tzinfo=UTC)
        return sorted(
            (record for record in self.records if record.active),
            key=lambda record: (
                record.escalation.drill,
                not record.overdue,
                -record.score.total,
                record.earliest_deadline or far,
                record.id,
            ),
        )

    @cached_property
    def related_by(self) -> dict[str, list[str]]:
        """id -> the later escalations that name it in `related` (repeats of it)."""
        found: dict[str, list[str]] = defaultdict(list)
        for record in self.records:
            for other in record.data.get("related") or []:
                found[str(other)].append(record.id)
        return found

    @cached_property
    def repeat_chains(self) -> list[list[RecordView]]:
        """Groups of escalations linked by `related`, largest and newest first."""
        neighbours: dict[str, set[str]] = defaultdict(set)
        for record in self.records:
            for other in record.data.get("related") or []:
                if str(other) in self.by_id:
                    neighbours[record.id].add(str(other))
                    neighbours[str(other)].add(record.id)
        seen: set[str] = set()
        chains = []
        for start in sorted(neighbours):
            if start in seen:
                continue
            group, todo = set(), [start]
            while todo:
                current = todo.pop()
                if current in group:
                    continue
                group.add(current)
                todo.extend(neighbours[current] - group)
            seen |= group
            members = sorted((self.by_id[i] for i in group), key=lambda r: r.escalation.opened_at)
            chains.append(members)
        chains.sort(key=lambda chain: (-len(chain), -chain[-1].escalation.opened_at.timestamp()))
        return chains

    @property
    def zone(self) -> ZoneInfo:
        return self.policy.default_timezone


@dataclass(frozen=True)
class SitePage:
    src: str  # path of the generated Markdown file, e.g. "status/index.md"
    content: str
    in_nav: bool = True  # False: reached by links only (one page per escalation)


# --- building -------------------------------------------------------------------------------


def _as_of(data: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The record as it stood at `now`: later timeline events have not happened yet."""
    result = dict(data)
    result["timeline"] = [
        event for event in data.get("timeline") or [] if parse_instant(str(event["at"])) <= now
    ]
    return result


def _scrub_record(value: Any, scrubber: Scrubber, key: str = "") -> Any:
    if key in _STRUCTURE_KEYS:
        return value
    if isinstance(value, str):
        return scrubber(value)
    if isinstance(value, Mapping):
        return {k: _scrub_record(v, scrubber, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_record(v, scrubber, key) for v in value]
    return value


def _postmortem_body(repo: Repo, path: str) -> str:
    text = (repo.root / path).read_text(encoding="utf-8")
    _, body_line = split_front_matter(text, path)
    return "\n".join(text.replace("\r\n", "\n").split("\n")[body_line - 1 :])


def _load_clocks() -> tuple[Callable[..., list[Any]] | None, str]:
    try:
        from .. import sla  # written alongside; the site works without it
    except ImportError:
        return None, "SLA clocks are not available in this build (escalate.sla is missing)."
    return sla.clocks_for, ""


# What every page is built from: a profile cannot hide these (it would hide the case itself).
_STRUCTURE_PATHS = ("id", "opened_at", "severity", "category", "owner", "level", "customer.tier", "timeline", "customer", "impact")  # fmt: skip
# Required text a profile may hide: shown as a placeholder.
_PLACEHOLDERS = {"title": REDACTED, "impact.summary": REDACTED}


def _check_profile(profile: Profile) -> None:
    for path in profile.hide:
        if path in _STRUCTURE_PATHS:
            raise PolicyError(
                f"profile {profile.id!r} hides {path!r}, which every escalation page is built "
                "from; hide fields inside it instead (e.g. customer.name)",
                path="policy/publishing.yaml",
                rule="publishing/structural",
            )


def _fill_placeholders(data: dict[str, Any]) -> dict[str, Any]:
    for path, text in _PLACEHOLDERS.items():
        head, _, tail = path.partition(".")
        if not tail and head not in data:
            data[head] = text
        elif tail and isinstance(data.get(head), dict) and tail not in data[head]:
            data[head] = {**data[head], tail: text}
    return data


def build_model(
    repo: Repo,
    now: datetime,
    profile: Profile,
    *,
    commit: str | None = None,
    use_directory_urls: bool = True,
) -> Site:
    """Redact, derive and measure every valid record of the repository as of now."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("the site needs a timezone-aware now")
    _check_profile(profile)
    site = Site(repo, now, profile, commit, use_directory_urls)
    clocks_for, site.clocks_note = _load_clocks()
    site.clocks_available = clocks_for is not None
    scrubber = Scrubber()
    if profile.hide:
        public_names = [*repo.policy.people, *(p.name for p in repo.policy.people.values())]
        for escalation in repo.escalations.values():
            scrubber.add_record(escalation.data, profile, public_names)
        site.scrub = scrubber
    for escalation_id in sorted(repo.escalations):
        original = repo.escalations[escalation_id]
        data = _fill_placeholders(redact(original.data, profile))
        if profile.hide:
            data = _scrub_record(data, scrubber)
        future = original.opened_at > now
        published = Escalation.from_data(original.path, _as_of(data, now))
        postmortem = None
        source = repo.postmortems.get(escalation_id)
        if source is not None and (not profile.hide or source.data.get("status") == "published"):
            front = dict(source.data)
            body = _postmortem_body(repo, source.path)
            if profile.hide:
                front = _scrub_record(front, scrubber)
                body = scrubber(body)
            postmortem = PostmortemView(front, body, source.path)
        clocks, note = None, site.clocks_note
        if clocks_for is not None and not future:
            try:
                clocks = clocks_for(
                    published,
                    repo.policy,
                    now,
                    postmortem=source.data if source is not None else None,
                )
            except (ValueError, LookupError, ArithmeticError) as exc:
                note = f"SLA clocks could not be measured: {exc}"
            except Exception as exc:  # an EscalateError from the policy: shown, not fatal
                if type(exc).__module__.startswith("escalate"):
                    note = f"SLA clocks could not be measured: {exc}"
                else:
                    raise
        site.records.append(
            RecordView(
                escalation=published,
                score=score(published, repo.policy),
                clocks=clocks,
                clocks_note=note,
                postmortem=postmortem,
                future=future,
            )
        )
    return site


# --- helpers the templates call ---------------------------------------------------------------


def page_url(src: str, use_directory_urls: bool) -> str:
    """The site URL MkDocs gives a page or file: status/index.md -> status/."""
    if not src.endswith(".md"):
        return src
    stem = src[: -len(".md")]
    if posixpath.basename(stem) == "index":
        directory = posixpath.dirname(stem)
        base = f"{directory}/" if directory else ""
        return base if use_directory_urls else f"{base}index.html"
    return f"{stem}/" if use_directory_urls else f"{stem}.html"


def relative_url(from_src: str, to_src: str, use_directory_urls: bool) -> str:
    """A link from one page to another page or file, relative, as MkDocs would write it."""
    target = page_url(to_src, use_directory_urls)
    origin = page_url(from_src, use_directory_urls)
    origin_dir = origin if origin.endswith("/") or not origin else posixpath.dirname(origin) + "/"
    relative = posixpath.relpath(target or ".", origin_dir or ".")
    if target.endswith("/") or not target:
        relative = relative.rstrip("/") + "/" if relative != "." else "./"
    return relative


def _local(site: Site, at: datetime | None) -> str:
    if at is None:
        return ""
    return at.astimezone(site.zone).strftime("%Y-%m-%d %H:%M %Z")


def _iso(at: datetime | None) -> str:
    if at is None:
        return ""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration(seconds: float | None) -> str:
    return "" if seconds is None else format_duration(seconds)


def _slug(value: Any) -> Markup:
    """An anchor id: lower-case letters, digits and dashes only (safe in attr_list syntax)."""
    return Markup(re.sub(r"[^a-z0-9]+", "-", str(value).lower()).strip("-") or "x")


def _join(items: Iterable[Any], separator: str = "") -> Markup:
    return Markup(escape.finalize(separator)).join(escape.finalize(item) for item in items)


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    return parse_instant(str(value)) if value else None


def _money(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,.0f}"
    return str(value)


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,}" if isinstance(value, int) else f"{value:g}"
    return "" if value is None else str(value)


def _tags(record: RecordView) -> list[str]:
    data = record.data
    tags = [f"severity: {record.state.severity}", f"category: {data.get('category')}"]
    tier = (data.get("customer") or {}).get("tier")
    if tier:
        tags.append(f"tier: {tier}")
    if data.get("product_area"):
        tags.append(f"area: {data['product_area']}")
    tags.extend(str(tag) for tag in data.get("tags") or [])
    # Tags reach Material's templates unescaped: only identifiers are ever used as tags.
    return [tag for tag in tags if all(_IDENT.fullmatch(part) for part in tag.split(": "))]


def _front_matter(meta: Mapping[str, Any]) -> str:
    # JSON is YAML: each value as a JSON document is exact and far faster than yaml.safe_dump.
    lines = [f"{key}: {json.dumps(value, ensure_ascii=True)}" for key, value in meta.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\n"


def _month(site: Site, record: RecordView) -> str:
    return record.escalation.opened_at.astimezone(site.zone).strftime("%Y-%m")


@dataclass(frozen=True)
class ActionState:
    """Where a follow-up action stands, in the words of its clock (running, overdue, met…)."""

    state: str  # running | at_risk | overdue | done; missed/met become done (+ late)
    late: bool  # done after its due date
    clock: Any  # the escalate.sla clock when the record has one for it


def _action_state(site: Site, record: RecordView, action: Mapping[str, Any]) -> ActionState:
    clock = record.clock(f"action:{action.get('id')}")
    done = bool(action.get("done_at"))
    if clock is not None:
        state = clock.state
    else:
        # A record whose clocks could not be measured (they are noted on its page): the
        # action measured the same way, due at the end of its due date in the default zone.
        due = date.fromisoformat(str(action["due"]))
        due_end = datetime.combine(due, datetime.min.time(), site.zone) + timedelta(days=1)
        end = _instant(action.get("done_at")) if done else site.now
        state = (
            "missed"
            if done and end and end > due_end
            else "met"
            if done
            else ("overdue" if site.now > due_end else "running")
        )
    return ActionState(
        "done" if done and state in ("met", "missed") else state, done and state == "missed", clock
    )


def _actions(site: Site) -> list[dict[str, Any]]:
    """Every follow-up action of every escalation and postmortem, once, with its state."""
    found = []
    for record in site.records:
        seen: set[str] = set()
        sources: list[Iterable[Mapping[str, Any]]] = [record.data.get("actions") or []]
        if record.postmortem is not None:
            sources.append(record.postmortem.data.get("actions") or [])
        for source in sources:
            for action in source:
                key = str(action.get("id"))
                if key in seen:
                    continue
                seen.add(key)
                state = _action_state(site, record, action)
                found.append(
                    {
                        "record": record,
                        "action": action,
                        "state": state.state,
                        "late": state.late,
                        "open": not action.get("done_at"),
                        "clock": state.clock,
                    }
                )
    found.sort(key=lambda item: (str(item["action"]["due"]), item["record"].id))
    return found


def _clock_target(clock: Any) -> str:
    if clock.target_seconds is None:
        return "due date" if clock.clock.startswith("action:") else "—"
    return _duration(clock.target_seconds)


def _clock_used(clock: Any) -> str:
    # An action's clock measures nothing until its due date passes: no target, no "used".
    return "—" if clock.target_seconds is None else _duration(clock.elapsed_seconds)


def _clock_left(clock: Any) -> str:
    """What is left of a clock, or how it ended: "40m left", "met with 40m to spare"."""
    remaining = clock.remaining_seconds
    if clock.state == "met":
        return f"met with {_duration(remaining)} to spare" if remaining else "met"
    if clock.state == "missed":
        return (
            f"missed by {_duration(clock.overdue_seconds)}" if clock.overdue_seconds else "missed"
        )
    if clock.overdue_seconds:
        return f"{_duration(clock.overdue_seconds)} over"
    return "" if remaining is None else f"{_duration(remaining)} left"


def _oncall(site: Site) -> list[dict[str, Any]]:
    rows = []
    for rotation in site.policy.rotations:
        try:
            current: Shift | None = shift_at(rotation, site.now)
            following: Shift | None = next_shift(rotation, site.now)
        except (ValueError, KeyError):
            current = following = None
        overrides = [
            entry
            for entry in rotation.get("overrides") or []
            if parse_instant(str(entry["end"])) > site.now
        ]
        rows.append(
            {"rotation": rotation, "now": current, "next": following, "overrides": overrides}
        )
    return rows


def _calendar_holidays(site: Site, calendar: Mapping[str, Any]) -> list[tuple[date, str]]:
    """The next closed days of a calendar: its own dates and its country's public holidays."""
    today = site.now.astimezone(site.zone).date()
    days: dict[date, str] = {}
    for text in calendar.get("holidays") or []:
        day = date.fromisoformat(str(text))
        days[day] = "company closure"
    country = calendar.get("holiday_country")
    if country:
        try:
            import holidays

            for day, name in holidays.country_holidays(
                str(country), years=[today.year, today.year + 1]
            ).items():
                days.setdefault(day, str(name))
        except (ImportError, NotImplementedError, KeyError):
            pass
    upcoming = sorted((day, name) for day, name in days.items() if day >= today)
    return upcoming[:12]


# What the metrics page calls the records `escalate metrics` leaves out: (one, several).
_EXCLUDED = {
    "drill": ("drill", "drills"),
    "outside_period": ("record opened outside the period", "records opened outside the period"),
    "invalid": ("invalid record", "invalid records"),
    "not_yet_opened": ("record opened after this build", "records opened after this build"),
}


def _plural(count: int, forms: tuple[str, str]) -> str:
    return f"{count} {forms[0] if count == 1 else forms[1]}"


def _span(seconds: float | None) -> str:
    """A measured duration as `escalate metrics` writes it (whole minutes, cut, not rounded)."""
    return "—" if seconds is None else format_age(max(seconds, 0.0))


def _percent(value: float | None) -> str:
    """A share as `escalate metrics` writes it."""
    return "—" if value is None else f"{value * 100:.1f}%"


def _duration_chart(result: Any, name: str, chart_id: str, what: str) -> Markup | None:
    metric = result.durations.get(name)
    if metric is None or not metric.by_severity:
        return None
    bars, words = [], []
    for severity, group in metric.by_severity.items():
        median, p90 = group.elapsed.median_seconds, group.elapsed.p90_seconds
        text = f"{_span(median)} · p90 {_span(p90)}" if median is not None else "none yet"
        bars.append(charts.Bar(severity, median, text, mark=p90))
        words.append(f"{severity}: {text} ({_plural(group.count, ('case', 'cases'))})")
    return charts.bar_chart(
        chart_id,
        f"{metric.label} by severity",
        f"Median and 90th percentile of the real time from opening to {what}, per current "
        f"severity. " + "; ".join(words) + ".",
        bars,
        legend=[("esc-chart-bar", "median"), ("esc-chart-mark", "90th percentile")],
    )


def _metrics_charts(result: Any) -> dict[str, Markup | None]:
    sla_bars, sla_words = [], []
    for clock in result.sla:
        name = clock.clock.replace("_", " ")
        stopped = clock.met + clock.missed
        text = (
            f"{_percent(clock.attainment)} ({clock.met} of {stopped})"
            if clock.attainment is not None
            else "no clock stopped yet"
        )
        value = clock.attainment * 100 if clock.attainment is not None else None
        sla_bars.append(charts.Bar(name, value, text))
        sla_words.append(f"{name}: {text}")
    owner_bars, owner_words = [], []
    for owner in result.owners:
        active, outside = owner.active_seconds / 3600, owner.out_of_hours_seconds / 3600
        text = f"{active:.1f} h, {outside:.1f} h out of hours"
        owner_bars.append(charts.Bar(owner.handle, active, text, part=outside))
        owner_words.append(f"{owner.handle}: {text}, {_plural(owner.cases, ('case', 'cases'))}")
    month_bars, month_words = [], []
    for month in result.volumes:
        text = (
            f"{month.per_1000:.3f} ({month.escalations} of {month.tickets:,})"
            if month.per_1000 is not None
            else f"no volume ({month.escalations})"
        )
        month_bars.append(charts.Bar(month.month, month.per_1000, text))
        month_words.append(f"{month.month}: {text}")
    return {
        "acknowledge": _duration_chart(
            result, "time_to_acknowledge", "chart-mtta", "the first acknowledgement"
        ),
        "resolve": _duration_chart(result, "time_to_resolve", "chart-mttr", "the first resolution"),
        "sla": charts.bar_chart(
            "chart-sla",
            "SLA attainment per clock",
            "Share of stopped clocks that met their target. " + "; ".join(sla_words) + ".",
            sla_bars,
            maximum=100.0,
        )
        if sla_bars
        else None,
        "owners": charts.bar_chart(
            "chart-owners",
            "Load per owner",
            "Hours each person owned active cases, and of those the urgent hours outside their "
            "working time. " + "; ".join(owner_words) + ".",
            owner_bars,
            legend=[("esc-chart-bar", "active hours"), ("esc-chart-part", "out of hours")],
        )
        if owner_bars
        else None,
        "volumes": charts.bar_chart(
            "chart-per-1000",
            "Escalations per 1,000 tickets by month",
            "Escalations opened per 1,000 tickets created, per month. "
            + "; ".join(month_words)
            + ".",
            month_bars,
        )
        if month_bars
        else None,
    }


def _metrics(site: Site) -> dict[str, Any]:
    """The metrics of `escalate metrics` (escalate.metrics), as of now, with their charts."""
    try:
        from .. import metrics
    except ImportError:
        return {
            "result": None,
            "note": "Metrics are not available in this build (escalate.metrics is missing).",
        }
    result = metrics.compute(site.repo, site.now)
    excluded = [
        _plural(count, _EXCLUDED.get(why, (why, why)))
        for why, count in result.excluded.items()
        if count
    ]
    # A rate over a field the profile hides would publish that field in aggregate.
    compensation = "remedies" not in {
        path.split(".")[0].split("[")[0] for path in site.profile.hide
    }
    return {
        "result": result,
        "note": "",
        "excluded": excluded,
        "charts": _metrics_charts(result),
        "show_compensation": compensation,
    }


def _worked_example(policy: Policy) -> tuple[dict[str, Any], Score]:
    """An example case like DESIGN.md's, scored with this repository's model."""
    data = {
        "id": f"{policy.id_prefix}-2026-0042",
        "title": "EU card payments failing at checkout",
        "opened_at": "2026-11-20T09:12:00+01:00",
        "reported_by": "example",
        "severity": "sev2",
        "category": "payments",
        # Odd numbers on purpose: an example must not repeat a real (possibly hidden) value.
        "customer": {"name": "Example", "tier": "enterprise", "arr": 187500, "region": "emea"},
        "impact": {
            "customers_affected": 1350,
            "revenue_at_risk": 47500,
            "reputational_risk": "high",
            "flags": ["payment"],
            "summary": "Card payments fail.",
        },
        "owner": "example",
        "level": "L2",
        "timeline": [],
    }
    example = Escalation.from_data("example", data)
    return data, score(example, policy)


# --- small HTML fragments, in Python: called hundreds of times a page, Jinja macros are slow ---
# Every value goes through escape.finalize (text) or escape.attribute (attribute values).

_e = escape.finalize
_a = escape.attribute


def _time_tag(at: datetime | None, site: Site) -> Markup:
    if at is None:
        return Markup("")
    return Markup(f'<time datetime="{_a(_iso(at))}">{_e(_local(site, at))}</time>')


def _live_span(seconds: float) -> str:
    """An age or countdown as escalate.js writes it when it updates the page (format_age)."""
    return format_age(abs(seconds))


def _age(since: datetime | None, site: Site) -> Markup:
    if since is None:
        return Markup("")
    text = _live_span((site.now - since).total_seconds())
    return Markup(
        f'<span class="esc-age" data-since="{_a(_iso(since))}" '
        f'title="since {_a(_local(site, since))}">{_e(text)}</span>'
    )


def _countdown(deadline: datetime | None, site: Site) -> Markup:
    if deadline is None:
        return Markup("")
    seconds = (deadline - site.now).total_seconds()
    text = f"in {_live_span(seconds)}" if seconds >= 0 else f"{_live_span(seconds)} ago"
    return Markup(
        f'<span class="esc-countdown" data-deadline="{_a(_iso(deadline))}" '
        f'title="{_a(_local(site, deadline))}">{_e(text)}</span>'
    )


def _badge(kind: str, value: Any, label: Any = None) -> Markup:
    kind_, value_ = _a(kind), _a(value)
    text = _e(value if label is None else label)
    return Markup(f'<span class="esc-badge esc-{kind_} esc-{kind_}--{value_}">{text}</span>')


def _state_badge(value: str) -> Markup:
    return _badge("state", value, str(value).replace("_", " "))


def _status_badge(value: str) -> Markup:
    return _badge("status", value, STATUS_NAMES.get(value, value))


def _person(handle: Any, site: Site) -> Markup:
    if not handle:
        return Markup("")
    who = site.policy.people.get(str(handle))
    title = f' title="{_a(who.name)}"' if who else ""
    return Markup(f'<span class="esc-person"{title}>{_e(handle)}</span>')


# --- rendering --------------------------------------------------------------------------------


@functools.cache
def _environment() -> jinja2.Environment:
    """One environment per process: `mkdocs serve` rebuilds reuse the compiled templates."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=escape.finalize,
    )
    env.filters.update(
        local=lambda at, site: _local(site, at),
        iso=_iso,
        duration=_duration,
        span=_span,
        percent=_percent,
        money=_money,
        number=_number,
        attr=escape.attribute,
        safe_url=escape.safe_url,
        markdown=escape.render_markdown,
        inline=escape.render_inline_markdown,
        slug=_slug,
        instant=_instant,
        # Jinja's own join escapes items with markupsafe only (no Markdown entities, line
        # breaks kept): every item goes through escape.finalize instead.
        join=_join,
    )
    env.globals.update(
        time_tag=_time_tag,
        age=_age,
        countdown=_countdown,
        badge=_badge,
        state_badge=_state_badge,
        status_badge=_status_badge,
        person=_person,
        clock_target=_clock_target,
        clock_used=_clock_used,
        clock_left=_clock_left,
    )
    return env


class _Renderer:
    def __init__(self, site: Site) -> None:
        self.site = site
        self.env = _environment()

    def render(self, src: str, template: str, meta: Mapping[str, Any], **context: Any) -> SitePage:
        site = self.site

        def url(target: str) -> str:
            return relative_url(src, target, site.use_directory_urls)

        def record_link(escalation_id: str) -> Markup:
            record = site.by_id.get(str(escalation_id))
            if record is None:
                return Markup("<span>{}</span>").format(escape.finalize(escalation_id))
            return Markup('<a href="{}">{}</a>').format(
                escape.attribute(url(record.src)), escape.finalize(record.id)
            )

        body = self.env.get_template(template).render(
            site=site,
            src=src,
            url=url,
            record_link=record_link,
            action_state=lambda record, action: _action_state(site, record, action),
            status_names=STATUS_NAMES,
            **context,
        )
        # Material's search index keeps the text between tags as it is: without whitespace
        # between two cells or rows, "Product area" "api" "Customer" "Elbwerk" would be
        # indexed as one word and no search for the customer would find the page.
        body = _JOINED_TAGS.sub("\\1\n", body)
        return SitePage(
            src, _front_matter(meta) + body, in_nav=not src.startswith("escalations/ESC")
        )


def build_pages(site: Site) -> list[SitePage]:
    """Every generated page of the site."""
    renderer = _Renderer(site)
    pages = [
        renderer.render(
            "status/index.md",
            "status.md.j2",
            {"title": "Status board", "hide": ["navigation", "toc"]},
        ),
        renderer.render(
            "escalations/index.md",
            "escalations_index.md.j2",
            {"title": "Escalations", "hide": ["navigation"]},
            by_status=_group(site.records, lambda r: r.state.status, STATUSES),
            by_month=_group(
                sorted(site.records, key=lambda r: r.escalation.opened_at, reverse=True),
                lambda r: _month(site, r),
            ),
        ),
        renderer.render(
            "escalations/tags.md",
            "tags.md.j2",
            {"title": "Escalations by tag"},
        ),
        renderer.render(
            "learnings/index.md",
            "learnings.md.j2",
            {"title": "Learnings"},
            by_cause=_group(
                [r for r in site.records if r.postmortem is not None],
                lambda r: str(r.postmortem.data["root_cause"]["category"]) if r.postmortem else "",
                ROOT_CAUSES,
            ),
            actions=_actions(site),
        ),
        renderer.render("policy/index.md", "policy_index.md.j2", {"title": "Policy"}),
        renderer.render(
            "policy/severity.md",
            "policy_severity.md.j2",
            {"title": "Severity taxonomy"},
            clocks=CLOCKS,
        ),
        renderer.render(
            "policy/matrix.md", "policy_matrix.md.j2", {"title": "Escalation matrix"}, clocks=CLOCKS
        ),
        renderer.render(
            "policy/scoring.md",
            "policy_scoring.md.j2",
            {"title": "Scoring model"},
            example=_worked_example(site.policy),
        ),
        renderer.render(
            "policy/calendars.md",
            "policy_calendars.md.j2",
            {"title": "Calendars"},
            closed_days=lambda calendar: _calendar_holidays(site, calendar),
        ),
        renderer.render(
            "metrics/index.md", "metrics.md.j2", {"title": "Metrics"}, m=_metrics(site)
        ),
        renderer.render(
            "policy/oncall.md", "policy_oncall.md.j2", {"title": "On-call"}, rotations=_oncall(site)
        ),
        renderer.render(
            "comms/index.md",
            "comms.md.j2",
            {"title": "Communication examples"},
            examples=comms_examples(site, site.scrub),
            code_block=code_block,
        ),
    ]
    for record in site.records:
        title = f"{record.id} · {record.escalation.title}"
        pages.append(
            renderer.render(
                record.src,
                "escalation.md.j2",
                {
                    # Material prints page titles unescaped in <title>, the header and tag
                    # listings: the title is escaped here, and ids are safe by schema.
                    "title": escape.escape_text(title),
                    "tags": _tags(record),
                },
                record=record,
                related_by=site.related_by.get(record.id, []),
            )
        )
    return pages


def _group(
    records: Sequence[RecordView], key: Callable[[RecordView], str], order: Sequence[str] = ()
) -> list[tuple[str, list[RecordView]]]:
    groups: dict[str, list[RecordView]] = defaultdict(list)
    for record in records:
        groups[key(record)].append(record)
    ordered = [name for name in order if name in groups]
    ordered += [name for name in groups if name not in ordered]
    return [(name, groups[name]) for name in ordered]


def asset_text(name: str) -> str:
    return (ASSETS_DIR / name).read_text(encoding="utf-8")


def build_site(
    repo: Repo,
    now: datetime,
    profile: Profile,
    *,
    commit: str | None = None,
    use_directory_urls: bool = True,
) -> tuple[Site, list[SitePage]]:
    """The site model and every generated page, as of now, for one publishing profile."""
    site = build_model(repo, now, profile, commit=commit, use_directory_urls=use_directory_urls)
    return site, build_pages(site)
