"""The team's rules, read from policy/*.yaml into typed values the rest of the tool uses.

Each policy file is schema-checked first; a kind with schema errors is reported and left
empty, so one typo does not turn into a cascade of "unknown severity" errors in every
record. Checks *between* policy files (a category naming a team the roster lacks, a tier
on a calendar that does not exist) live in `validation`, not here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .calendar import Calendar, calendar_problems
from .duration import parse_duration
from .errors import Finding, ParseError, PolicyError
from .schema import SchemaStore
from .yamlio import load, read

# kind -> whether a repository must have it
POLICY_KINDS: dict[str, bool] = {
    "severity": True,
    "matrix": True,
    "scoring": True,
    "calendars": True,
    "roster": True,
    "publishing": False,
    "volumes": False,
}

CLOCKS = ("acknowledge", "customer_update", "mitigate", "resolve", "postmortem")


@dataclass(frozen=True)
class Severity:
    id: str
    name: str
    summary: str
    targets: Mapping[str, int]  # clock -> seconds of calendar time
    raw: Mapping[str, Any]

    @property
    def requires_postmortem(self) -> bool:
        return "postmortem" in self.targets


@dataclass(frozen=True)
class Tier:
    id: str
    name: str
    calendar: str
    region_calendars: Mapping[str, str]
    raw: Mapping[str, Any]

    def calendar_for(self, region: str | None) -> str:
        return self.region_calendars.get(region or "", self.calendar)


@dataclass(frozen=True)
class TargetRule:
    """A tier override of severity targets; the first rule that names a clock wins."""

    severity: str | None
    tier: str | None
    targets: Mapping[str, int]

    def matches(self, severity: str, tier: str) -> bool:
        return (self.severity in (None, severity)) and (self.tier in (None, tier))


@dataclass(frozen=True)
class Level:
    id: str
    name: str
    rank: int  # position on the escalation path, 0 for L1
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class Category:
    id: str
    name: str
    teams: Mapping[str, str]  # level id -> owning team
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class Person:
    handle: str
    name: str
    team: str
    timezone: str
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    level: str | None
    raw: Mapping[str, Any]


@dataclass
class Policy:
    """Everything in policy/, loaded once; missing or broken kinds are simply empty."""

    root: Path
    severities: dict[str, Severity] = field(default_factory=dict)
    at_risk_ratio: float = 0.75
    id_prefix: str = "ESC"
    tiers: dict[str, Tier] = field(default_factory=dict)
    target_rules: list[TargetRule] = field(default_factory=list)
    levels: dict[str, Level] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)
    triggers: list[Mapping[str, Any]] = field(default_factory=list)
    remedies: list[Mapping[str, Any]] = field(default_factory=list)
    scoring: Mapping[str, Any] = field(default_factory=dict)
    calendars: dict[str, Calendar] = field(default_factory=dict)
    default_timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    people: dict[str, Person] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    rotations: list[Mapping[str, Any]] = field(default_factory=list)
    publishing: Mapping[str, Any] = field(default_factory=dict)
    volumes: Mapping[str, int] = field(default_factory=dict)
    # kind -> the raw document, for the checks and pages that read more than the model
    documents: dict[str, Any] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    broken: set[str] = field(default_factory=set)  # kinds not usable this run

    def file(self, kind: str) -> str:
        return f"policy/{kind}.yaml"

    @cached_property
    def digest(self) -> str:
        """A hash of every policy file as read (and of which kinds are broken)."""
        hasher = hashlib.blake2b(digest_size=16)
        for kind in sorted(self.texts):
            hasher.update(f"{kind}\0{len(self.texts[kind])}\0".encode())
            hasher.update(self.texts[kind].encode())
        hasher.update(",".join(sorted(self.broken)).encode())
        return hasher.hexdigest()

    def usable(self, *kinds: str) -> bool:
        return self.broken.isdisjoint(kinds)

    def level_rank(self, level: str) -> int:
        found = self.levels.get(level)
        return found.rank if found else -1

    def target(self, clock: str, severity: str, tier: str) -> int | None:
        """Seconds of calendar time for a clock: the tier override first, else the severity."""
        for rule in self.target_rules:
            if clock in rule.targets and rule.matches(severity, tier):
                return rule.targets[clock]
        found = self.severities.get(severity)
        return found.targets.get(clock) if found else None

    def calendar_for(self, tier: str, region: str | None) -> Calendar | None:
        found = self.tiers.get(tier)
        if found is None:
            return None
        return self.calendars.get(found.calendar_for(region))

    def team_of(self, handle: str) -> str | None:
        person = self.people.get(handle)
        return person.team if person else None


def load_policy(
    root: Path, schemas: SchemaStore, *, verified: dict[str, str] | None = None
) -> tuple[Policy, list[Finding]]:
    """Read every policy file under root/policy; return the model and every problem found.

    `verified` (kind -> key of the copy last found schema-valid, kept by the parse cache)
    spares the schema check of an unchanged file; it is updated with what is found valid.
    """
    policy = Policy(root=root)
    findings: list[Finding] = []
    for kind, required in POLICY_KINDS.items():
        path = root / "policy" / f"{kind}.yaml"
        shown = policy.file(kind)
        if not path.is_file():
            if required:
                findings.append(
                    Finding(
                        file=shown,
                        rule="policy/missing",
                        message=f"missing policy file; create {shown} "
                        f"(see schema/{kind}.schema.json)",
                    )
                )
            policy.broken.add(kind)
            continue
        try:
            text = read(path, shown)
            document = load(text, shown)
        except ParseError as exc:
            findings.append(exc.as_finding())
            policy.broken.add(kind)
            continue
        policy.texts[kind] = text
        if not isinstance(document, dict):
            findings.append(
                Finding(
                    file=shown,
                    line=1,
                    column=1,
                    rule="schema/type",
                    message=f"expected a mapping of keys, found {type(document).__name__}",
                )
            )
            policy.broken.add(kind)
            continue
        try:
            schema = schemas.get(kind)
        except PolicyError as exc:
            findings.append(exc.as_finding())
            policy.broken.add(kind)
            continue
        key = f"{schema.digest}:{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"
        trusted = verified is not None and verified.get(kind) == key
        errors = [] if trusted else schema.errors(document, shown)
        if errors:
            findings.extend(locate_findings(errors, text))
            policy.broken.add(kind)
            continue
        policy.documents[kind] = document
        built = True
        try:
            if kind == "calendars":
                # An unchanged file had its holiday countries checked when it was verified;
                # checking imports the holidays package, a seventh of a warm validate.
                _calendars(policy, document, check_countries=not trusted)
            else:
                _BUILDERS[kind](policy, document)
        except* PolicyError as group:
            problems = [_finding_of(problem) for problem in group.exceptions]
            findings.extend(locate_findings(problems, text))
            policy.broken.add(kind)
            built = False
        if built and verified is not None:
            verified[kind] = key  # schema-valid and built: next time, neither check runs
    return policy, findings


def _finding_of(problem: BaseException) -> Finding:
    assert isinstance(problem, PolicyError)  # `except* PolicyError` holds nothing else
    return problem.as_finding()


def locate_findings(findings: list[Finding], text: str) -> list[Finding]:
    """Fill in line and column from each finding's JSON pointer (one parse of the text)."""
    from dataclasses import replace

    from .yamlio import compose_quiet, locate_in

    node = compose_quiet(text)
    located = []
    for finding in findings:
        if finding.line or (node is None and not finding.pointer):
            located.append(finding)
            continue
        on_key = finding.rule in ("schema/unknown-key", "duplicate-key")
        line, column = locate_in(node, finding.pointer, key=on_key) if node else (1, 1)
        located.append(replace(finding, line=line, column=column))
    return located


def _durations(targets: Mapping[str, Any], pointer: str) -> dict[str, int]:
    result = {}
    for clock, text in targets.items():
        if clock not in CLOCKS:
            continue
        try:
            result[clock] = parse_duration(text)
        except ValueError as exc:
            raise PolicyError(str(exc), pointer=f"{pointer}/{clock}", rule="duration") from None
    return result


def _severity(policy: Policy, document: Mapping[str, Any]) -> None:
    policy.at_risk_ratio = float(document.get("at_risk_ratio", 0.75))
    for index, entry in enumerate(document["levels"]):
        targets = _durations(entry.get("targets", {}), f"/levels/{index}/targets")
        policy.severities[entry["id"]] = Severity(
            entry["id"], entry.get("name", entry["id"]), entry.get("summary", ""), targets, entry
        )


def _matrix(policy: Policy, document: Mapping[str, Any]) -> None:
    policy.id_prefix = document.get("id_prefix", "ESC")
    for entry in document.get("tiers", []):
        policy.tiers[entry["id"]] = Tier(
            entry["id"],
            entry.get("name", entry["id"]),
            entry["calendar"],
            entry.get("region_calendars", {}),
            entry,
        )
    for index, entry in enumerate(document.get("targets", [])):
        policy.target_rules.append(
            TargetRule(
                entry.get("severity"), entry.get("tier"), _durations(entry, f"/targets/{index}")
            )
        )
    for rank, entry in enumerate(document.get("levels", [])):
        policy.levels[entry["id"]] = Level(entry["id"], entry.get("name", entry["id"]), rank, entry)
    for entry in document.get("categories", []):
        policy.categories[entry["id"]] = Category(
            entry["id"], entry.get("name", entry["id"]), entry.get("teams", {}), entry
        )
    for index, entry in enumerate(document.get("triggers", [])):
        when = entry.get("when", {})
        if "unresolved_for" in when:
            _durations({"resolve": when["unresolved_for"]}, f"/triggers/{index}/when")
        policy.triggers.append(entry)
    policy.remedies = list(document.get("remedies", []))


def _scoring(policy: Policy, document: Mapping[str, Any]) -> None:
    policy.scoring = document


def _calendars(
    policy: Policy, document: Mapping[str, Any], *, check_countries: bool = True
) -> None:
    zone = document.get("default_timezone", "UTC")
    try:
        policy.default_timezone = ZoneInfo(zone)
    except (ValueError, KeyError):
        raise PolicyError(
            f"unknown time zone {zone!r}; use an IANA name such as Europe/Berlin",
            pointer="/default_timezone",
            rule="timezone",
        ) from None
    problems: list[PolicyError] = []
    for index, entry in enumerate(document.get("calendars", [])):
        calendar, found = calendar_problems(
            entry,
            path=policy.file("calendars"),
            pointer=f"/calendars/{index}",
            check_country=check_countries,
        )
        problems.extend(found)
        if calendar is not None:
            policy.calendars[calendar.id] = calendar
    if problems:
        raise ExceptionGroup("calendars", problems)  # every broken calendar, at once


def _roster(policy: Policy, document: Mapping[str, Any]) -> None:
    for entry in document.get("people", []):
        policy.people[entry["handle"]] = Person(
            entry["handle"],
            entry.get("name", entry["handle"]),
            entry.get("team", ""),
            entry.get("timezone", "UTC"),
            entry,
        )
    for entry in document.get("teams", []):
        policy.teams[entry["id"]] = Team(
            entry["id"], entry.get("name", entry["id"]), entry.get("level"), entry
        )
    policy.rotations = list(document.get("rotations", []))


def _publishing(policy: Policy, document: Mapping[str, Any]) -> None:
    policy.publishing = document


def _volumes(policy: Policy, document: Mapping[str, Any]) -> None:
    policy.volumes = dict(document.get("tickets", {}))


_BUILDERS = {
    "severity": _severity,
    "matrix": _matrix,
    "scoring": _scoring,
    "calendars": _calendars,
    "roster": _roster,
    "publishing": _publishing,
    "volumes": _volumes,
}
