"""New files from templates: escalation records and postmortems, and IDs to put them under.

Templates are Jinja2 with `StrictUndefined` (a misspelt variable is an error, not an empty
string) and `keep_trailing_newline`. Every value goes through a filter that makes it safe
where it lands: `yaml` writes a YAML scalar (plain when that reads back as the same value,
else double-quoted), `md` and `cell` escape Markdown and HTML. A repository's own
`templates/<name>.j2` wins over the built-in one.

IDs are `<prefix>-<year>-<number>`, numbered per year. The directory of a new record is
reserved with an atomic `mkdir`, so two commands started at the same instant in one
checkout cannot take the same number. Two branches can still take the same one: when they
merge, git leaves both records in one file with conflict markers, and renumbering splits
that file into the two records again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .edits import (
    CONFLICT_MARKERS,
    instant_text,
    record_sources,
    replace_front_matter_scalar,
    replace_scalar,
)
from .errors import RecordError
from .records import Escalation, State
from .render import render_template

if TYPE_CHECKING:
    from jinja2 import Environment

    from .policy import Policy
    from .repo import Repo

RECORD_TEMPLATE = "escalation.yaml.j2"
POSTMORTEM_TEMPLATE = "postmortem.md.j2"
MAX_ID_ATTEMPTS = 1000


# --- IDs --------------------------------------------------------------------------------------


def id_pattern(prefix: str, year: int) -> re.Pattern[str]:
    return re.compile(rf"{re.escape(prefix)}-{year}-(\d{{4,}})")


def format_id(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:04d}"


def used_numbers(root: Path, prefix: str, year: int, ids: Iterable[str] = ()) -> set[int]:
    """Numbers taken in a year: by a directory under incidents/<year>/ or by a record's id."""
    pattern = id_pattern(prefix, year)
    taken = {int(m.group(1)) for i in ids if (m := pattern.fullmatch(i))}
    year_dir = root / "incidents" / str(year)
    if year_dir.is_dir():
        taken.update(
            int(m.group(1))
            for entry in os.scandir(year_dir)
            if (m := pattern.fullmatch(entry.name))
        )
    return taken


def reserve_id(root: Path, prefix: str, year: int, ids: Iterable[str] = ()) -> tuple[str, Path]:
    """The next free ID of the year and its new, empty directory (created atomically)."""
    year_dir = root / "incidents" / str(year)
    year_dir.mkdir(parents=True, exist_ok=True)
    taken = used_numbers(root, prefix, year, ids)
    number = max(taken, default=0) + 1
    for _ in range(MAX_ID_ATTEMPTS):
        candidate = format_id(prefix, year, number)
        directory = year_dir / candidate
        try:
            os.mkdir(directory)
        except FileExistsError:  # someone else took it a moment ago: try the next one
            number += 1
            continue
        return candidate, directory
    raise RecordError(f"could not reserve an ID under {year_dir}; check its permissions")


def record_ids(repo: Repo) -> list[str]:
    return [
        str(s.data["id"])
        for s in repo.sources
        if s.kind == "escalation" and isinstance(s.data, dict) and "id" in s.data
    ]


# --- the new record ------------------------------------------------------------------------------------


@dataclass
class NewRecord:
    """What `escalate new` knows about a case; None for what it was not told."""

    id: str
    title: str
    opened_at: str
    reported_by: str
    severity: str
    category: str
    customer: str
    tier: str
    summary: str
    owner: str
    level: str
    product_area: str | None = None
    arr: float | None = None
    region: str | None = None
    customers_affected: int | None = None
    revenue_at_risk: float | None = None
    reputational_risk: str | None = None
    flags: list[str] = field(default_factory=list)
    tickets: list[str] = field(default_factory=list)
    drill: bool = False

    def context(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "opened_at": self.opened_at,
            "reported_by": self.reported_by,
            "severity": self.severity,
            "category": self.category,
            "product_area": self.product_area,
            "customer": {
                "name": self.customer,
                "tier": self.tier,
                "arr": _number(self.arr),
                "region": self.region,
            },
            "impact": {
                "customers_affected": self.customers_affected,
                "revenue_at_risk": _number(self.revenue_at_risk),
                "reputational_risk": self.reputational_risk,
                "flags": list(self.flags),
                "summary": self.summary,
            },
            "owner": self.owner,
            "level": self.level,
            "tickets": list(self.tickets),
            "drill": self.drill,
        }


def _number(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def render_record(env: Environment, record: NewRecord) -> str:
    return render_template(env, RECORD_TEMPLATE, record.context())


def check_new_record(policy: Policy, values: Mapping[str, str | None]) -> list[str]:
    """Every value (by option name) that the policy does not know, each with its fix."""
    from .schema import suggest

    known: dict[str, tuple[Mapping[str, Any], str]] = {
        "--severity": (policy.severities, "policy/severity.yaml"),
        "--category": (policy.categories, "policy/matrix.yaml"),
        "--tier": (policy.tiers, "policy/matrix.yaml"),
        "--level": (policy.levels, "policy/matrix.yaml"),
        "--reported-by": (policy.people, "policy/roster.yaml"),
        "--owner": (policy.people, "policy/roster.yaml"),
    }
    problems = []
    for option, value in values.items():
        choices, where = known[option]
        if value is None or value in choices:
            continue
        hint = suggest(value, choices)
        if not hint and len(choices) <= 12:
            hint = f" (one of {', '.join(choices)})"
        problems.append(f"{option} {value!r} is not in {where}{hint}")
    return problems


# --- the postmortem ------------------------------------------------------------------------------------


def _details(event: Mapping[str, Any]) -> str:
    parts = []
    for key in ("to", "level", "severity", "reason", "channel"):
        if key in event:
            parts.append(f"{key} {event[key]}")
    if "text" in event:
        parts.append(str(event["text"]))
    return "; ".join(parts)


def postmortem_context(
    escalation: Escalation, policy: Policy, now: datetime, score: Any = None
) -> dict[str, Any]:
    data = escalation.data
    state: State = escalation.state
    created = now.astimezone(policy.default_timezone).date().isoformat()
    actions = [
        {
            key: action[key]
            for key in ("id", "title", "owner", "due", "done_at", "link")
            if key in action
        }
        for action in data.get("actions") or []
    ]
    timeline = [
        {"at": e["at"], "event": e["event"], "by": e["by"], "details": _details(e)}
        for e in data.get("timeline") or []
    ]
    return {
        "id": escalation.id,
        "title": escalation.title,
        "created": created,
        "authors": [state.owner],
        "owner": state.owner,
        "level": state.level,
        "status": state.status,
        "severity": state.severity,
        "severity_at_opening": data["severity"],
        "score": score,
        "category": data["category"],
        "product_area": data.get("product_area"),
        "customer": {
            key: data["customer"].get(key) for key in ("name", "tier", "arr", "region", "contact")
        },
        "impact": {
            key: data["impact"].get(key)
            for key in (
                "customers_affected",
                "revenue_at_risk",
                "reputational_risk",
                "flags",
                "summary",
            )
        },
        "opened_at": data["opened_at"],
        "acknowledged_at": _iso(state.acknowledged_at),
        "mitigated_at": _iso(state.mitigated_at),
        "resolved_at": _iso(state.resolved_at),
        "timeline": timeline,
        "actions": actions,
        "related": list(data.get("related") or []),
    }


def _iso(value: datetime | None) -> str | None:
    return instant_text(value) if value is not None else None


def score_of(escalation: Escalation, policy: Policy) -> Any:
    """The escalation's score when the scoring module can compute one, else None."""
    try:
        from . import scoring
    except ImportError:  # pragma: no cover - scoring ships with the tool
        return None
    from .errors import EscalateError

    if not policy.usable("scoring"):
        return None
    try:
        return scoring.score(escalation, policy)
    except EscalateError:
        return None


def render_postmortem(env: Environment, context: Mapping[str, Any]) -> str:
    return render_template(env, POSTMORTEM_TEMPLATE, context)


# --- renumbering ---------------------------------------------------------------------------------------


@dataclass
class Renumbering:
    """What `escalate renumber` will do: move one record and rewrite references to it."""

    old_id: str
    new_id: str
    source_dir: Path  # absolute
    target_dir: Path  # absolute, reserved (empty)
    rewrites: dict[str, str]  # repo-relative path (after the move) -> new text
    references: list[str]  # files whose `related:` were rewritten
    ambiguous: list[str]  # files whose `related:` name a duplicated ID: left alone


def choose_duplicate(repo: Repo, escalation_id: str, given: str | None = None) -> str:
    """The record file to renumber: the given one, else the later of the duplicates."""
    sources = [s for s in record_sources(repo, escalation_id) if isinstance(s.data, dict)]
    if given is not None:
        wanted = given.rstrip("/")
        if not wanted.endswith(".yaml"):
            wanted += "/escalation.yaml"
        for source in sources:
            if source.path == wanted:
                return source.path
        raise RecordError(
            f"{given} is not a record with the id {escalation_id}; "
            f"records with it: {', '.join(s.path for s in sources) or 'none'}",
            rule="unknown-id",
        )
    if not sources:
        from .edits import record_source

        broken = record_source(repo, escalation_id).path  # raises "no escalation" with hints
        raise RecordError(
            f"{broken} does not parse; run `escalate validate {broken}` and fix it first",
            rule="invalid-record",
        )

    def opened(source: Any) -> tuple[str, str]:
        return (str(source.data.get("opened_at", "")), source.path)

    return max(sources, key=opened).path


def plan_renumbering(repo: Repo, escalation_id: str, relative: str) -> Renumbering:
    """Reserve the next free ID and compute every file edit; nothing is moved yet."""
    root = repo.root
    duplicated = len(record_sources(repo, escalation_id)) > 1
    year_match = re.fullmatch(r".*-(\d{4})-\d+", escalation_id)
    year = int(year_match.group(1)) if year_match else int(relative.split("/")[1])
    prefix = repo.policy.id_prefix
    new_id, target = reserve_id(root, prefix, year, record_ids(repo))
    source_dir = (root / relative).parent
    try:
        new_dir = target.relative_to(root).as_posix()
        rewrites: dict[str, str] = {}
        record_text = _read_text(root / relative)
        rewrites[f"{new_dir}/escalation.yaml"] = replace_scalar(
            record_text, "/id", new_id, relative
        )
        postmortem = source_dir / "postmortem.md"
        if postmortem.is_file():
            shown = f"{source_dir.relative_to(root).as_posix()}/postmortem.md"
            text = _read_text(postmortem)
            pm_source = next((s for s in repo.sources if s.path == shown), None)
            if (
                pm_source is not None
                and isinstance(pm_source.data, dict)
                and pm_source.data.get("id") == escalation_id
            ):
                rewrites[f"{new_dir}/postmortem.md"] = replace_front_matter_scalar(
                    text, "/id", new_id, shown
                )
        references: list[str] = []
        ambiguous: list[str] = []
        for source in repo.sources:
            if source.kind != "escalation" or source.path == relative:
                continue
            related = source.data.get("related") if isinstance(source.data, dict) else None
            if not isinstance(related, list) or escalation_id not in related:
                continue
            if duplicated:
                ambiguous.append(source.path)
                continue
            text = _read_text(root / source.path)
            for index, value in enumerate(related):
                if value == escalation_id:
                    text = replace_scalar(text, f"/related/{index}", new_id, source.path)
            rewrites[source.path] = text
            references.append(source.path)
    except BaseException:
        target.rmdir()
        raise
    return Renumbering(escalation_id, new_id, source_dir, target, rewrites, references, ambiguous)


def _read_text(path: Path) -> str:
    """A file's text with its byte-order mark, if any, kept (edits write it back)."""
    return path.read_bytes().decode("utf-8")


def apply_renumbering(root: Path, plan: Renumbering) -> None:
    """Move the record's directory into the reserved one and write every rewritten file."""
    from .yamlio import atomic_write

    for entry in sorted(os.listdir(plan.source_dir)):
        os.rename(plan.source_dir / entry, plan.target_dir / entry)
    plan.source_dir.rmdir()
    for relative, text in plan.rewrites.items():
        atomic_write(root / relative, text)


# --- splitting a record two branches both created ----------------------------------------------


@dataclass
class Split:
    """What `escalate renumber` does with a record file git left with conflict markers."""

    escalation_id: str
    new_id: str
    relative: str  # the conflicted file; keeps one side
    target_dir: Path  # absolute, reserved (empty): the other side goes here
    kept: str  # the label of the side that keeps the ID ("HEAD")
    moved: str  # the label of the side that gets the new ID (the other branch)
    rewrites: dict[str, str]  # repo-relative path -> new text
    ambiguous: list[str]  # files whose `related:` name the ID the two cases shared


@dataclass(frozen=True)
class ConflictSides:
    ours: str
    theirs: str
    ours_label: str
    theirs_label: str


def conflict_sides(text: str, path: str = "") -> ConflictSides | None:
    """The two versions of a file git left with conflict markers; None when it has none.

    Lines outside the markers belong to both sides; a diff3 base section is dropped.
    """
    if CONFLICT_MARKERS.search(text) is None:
        return None
    ours: list[str] = []
    theirs: list[str] = []
    labels = ["", ""]
    where = "both"
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        bare = line.rstrip("\r\n")
        marker = CONFLICT_MARKERS.fullmatch(bare)
        kind = marker.group(1)[0] if marker is not None else None
        expected = {"<": "both", "|": "ours", "=": "ours", ">": "theirs"}
        if kind == "=" and where == "base":
            expected["="] = "base"
        if kind is not None and expected[kind] == where:
            if kind == "<":
                labels[0] = bare[8:] or labels[0]
            elif kind == ">":
                labels[1] = bare[8:] or labels[1]
            where = {"<": "ours", "|": "base", "=": "theirs", ">": "both"}[kind]
            continue
        if kind is not None:
            raise RecordError(
                f"{path}:{number}: a conflict marker {bare[:7]} out of place; resolve the "
                "conflict by hand",
                path=path,
                line=number,
                rule="git-conflict",
            )
        if where in ("both", "ours"):
            ours.append(line)
        if where in ("both", "theirs"):
            theirs.append(line)
    if where != "both":
        raise RecordError(
            f"{path}: a conflict is not closed with >>>>>>>; resolve it by hand",
            path=path,
            rule="git-conflict",
        )
    return ConflictSides("".join(ours), "".join(theirs), labels[0] or "ours", labels[1] or "theirs")


def conflicted_record(repo: Repo, escalation_id: str, given: str | None = None) -> str | None:
    """The record file of this ID (or the one given) that holds git conflict markers."""
    from .edits import conflict_line

    candidates = (
        [given] if given is not None else [s.path for s in record_sources(repo, escalation_id)]
    )
    for relative in candidates:
        path = repo.root / relative
        if path.is_file() and conflict_line(path.read_bytes().decode("utf-8", "replace")):
            return relative
    return None


def plan_split(repo: Repo, escalation_id: str, relative: str) -> Split:
    """Split a conflicted record: the earlier case keeps the ID, the later gets the next one.

    Refuses (RecordError) when a side is not a record of its own, or when both sides are
    the same case (two branches added events to it: keep both, there is nothing to split).
    """
    from .errors import ParseError
    from .records import parse_instant
    from .yamlio import load

    text = _read_text(repo.root / relative)
    sides = conflict_sides(text, relative)
    assert sides is not None
    data = []
    for side, label in ((sides.ours, sides.ours_label), (sides.theirs, sides.theirs_label)):
        try:
            loaded = load(side, relative)
        except ParseError as exc:
            raise RecordError(
                f"{relative}: the {label} side of the conflict is not a record on its own "
                f"({exc.message}); resolve the conflict by hand",
                rule="git-conflict",
            ) from None
        if not isinstance(loaded, dict) or loaded.get("id") != escalation_id:
            raise RecordError(
                f"{relative}: the {label} side of the conflict is not a record with the id "
                f"{escalation_id}; resolve the conflict by hand",
                rule="git-conflict",
            )
        data.append(loaded)
    ours, theirs = data
    if {k: v for k, v in ours.items() if k != "timeline"} == {
        k: v for k, v in theirs.items() if k != "timeline"
    }:
        raise RecordError(
            f"{relative}: both sides of the conflict are the same case ({escalation_id}), "
            "with events added on two branches; keep the events of both in time order, "
            "delete the marker lines, and run `escalate validate`",
            rule="git-conflict",
        )

    def opened(record: Mapping[str, Any]) -> datetime | None:
        try:
            return parse_instant(str(record.get("opened_at")))
        except ValueError:
            return None

    ours_at, theirs_at = opened(ours), opened(theirs)
    move_ours = ours_at is not None and theirs_at is not None and ours_at > theirs_at
    kept_text, moved_text = (sides.theirs, sides.ours) if move_ours else (sides.ours, sides.theirs)
    kept, moved = (
        (sides.theirs_label, sides.ours_label)
        if move_ours
        else (sides.ours_label, sides.theirs_label)
    )
    year_match = re.fullmatch(r".*-(\d{4})-\d+", escalation_id)
    year = int(year_match.group(1)) if year_match else int(relative.split("/")[1])
    new_id, target = reserve_id(repo.root, repo.policy.id_prefix, year, record_ids(repo))
    try:
        new_dir = target.relative_to(repo.root).as_posix()
        rewrites = {
            relative: kept_text,
            f"{new_dir}/escalation.yaml": replace_scalar(moved_text, "/id", new_id, relative),
        }
    except BaseException:
        target.rmdir()
        raise
    ambiguous = [
        source.path
        for source in repo.sources
        if source.kind == "escalation"
        and source.path != relative
        and isinstance(source.data, dict)
        and escalation_id in (source.data.get("related") or [])
    ]
    return Split(escalation_id, new_id, relative, target, kept, moved, rewrites, ambiguous)


def apply_split(root: Path, plan: Split) -> None:
    """Write the moved side into its reserved directory, then the kept side in place."""
    from .yamlio import atomic_write

    for relative, text in reversed(plan.rewrites.items()):
        atomic_write(root / relative, text)
