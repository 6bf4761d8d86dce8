"""`escalate validate`: every problem of every file, in one report.

Schema checks happen while files are read (see `repo`); this module adds what no single
file can know: references between records and policy, unique IDs, the lifecycle replay,
and the consistency of the policy files with each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any

from .errors import Finding
from .policy import Policy, locate_findings
from .records import Escalation
from .repo import Repo, SourceFile
from .schema import suggest


@dataclass
class Report:
    """The outcome of a validation run, shared by the text, JSON and GitHub reporters."""

    records: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "errors": [f.as_json() for f in self.errors],
            "warnings": [f.as_json() for f in self.warnings],
        }


def validate(repo: Repo, paths: Iterable[str] | None = None) -> Report:
    """Check the whole repository; with paths, report only findings in those files or dirs."""
    findings = list(repo.policy_findings)
    findings.extend(check_policy(repo.policy))
    for source in repo.sources:
        findings.extend(source.findings)
    findings.extend(check_records(repo))
    findings = _located(repo, findings)
    records = sum(1 for s in repo.sources if s.kind == "escalation")
    if paths is not None:
        prefixes = [p.rstrip("/") for p in paths]
        findings = [f for f in findings if _within(f.file, prefixes)]
        records = sum(
            1 for s in repo.sources if s.kind == "escalation" and _within(s.path, prefixes)
        )
    return Report(records=records, findings=sorted(set(findings)))


def _within(file: str, prefixes: list[str]) -> bool:
    return any(file == p or file.startswith(p + "/") or not p or p == "." for p in prefixes)


def _located(repo: Repo, findings: list[Finding]) -> list[Finding]:
    """Give cross-file findings (made from pointers) their line and column, one parse a file."""
    pending: dict[str, list[Finding]] = {}
    done = []
    for finding in findings:
        if finding.line or not finding.pointer:
            done.append(finding)
        else:
            pending.setdefault(finding.file, []).append(finding)
    for file, group in pending.items():
        try:
            text = (repo.root / file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            done.extend(group)
            continue
        if file.endswith(".md"):
            from .repo import split_front_matter

            try:
                text, _ = split_front_matter(text, file)
            except Exception:
                done.extend(group)
                continue
        done.extend(locate_findings(group, text))
    return done


# --- records -------------------------------------------------------------------------------


class _Checker:
    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.policy = repo.policy
        self.findings: list[Finding] = []

    def error(self, file: str, at: str, rule: str, message: str) -> None:
        self.findings.append(Finding(file=file, pointer=at, rule=rule, message=message))

    def warn(self, file: str, at: str, rule: str, message: str) -> None:
        self.findings.append(
            Finding(file=file, pointer=at, rule=rule, message=message, severity="warning")
        )

    def known(
        self, file: str, at: str, value: object, choices: Mapping[str, Any], what: str, where: str
    ) -> None:
        if value in choices:
            return
        options = ", ".join(choices)
        self.error(
            file,
            at,
            f"unknown-{what.replace(' ', '-')}",
            f"{value!r} is not one of {options}{suggest(str(value), choices)}"
            f" (the {what}s in {where})",
        )


def check_records(repo: Repo) -> list[Finding]:
    checker = _Checker(repo)
    seen: dict[str, str] = {}
    ids = {s.data.get("id") for s in repo.sources if s.kind == "escalation" and s.data}
    for source in repo.sources:
        if not source.valid:
            continue
        if source.kind == "escalation":
            escalation = Escalation.from_data(source.path, source.data)
            first = seen.setdefault(escalation.id, source.path)
            if first != source.path:
                checker.error(
                    source.path,
                    "/id",
                    "duplicate-id",
                    f"{escalation.id} is already used by {first}; "
                    f"run `escalate renumber {escalation.id}` on this branch's record",
                )
            _check_escalation(checker, escalation, ids)
        else:
            _check_postmortem(checker, source)
    return checker.findings


def _check_escalation(checker: _Checker, escalation: Escalation, ids: set[Any]) -> None:
    policy = checker.policy
    file = escalation.path
    data = escalation.data
    record_id = escalation.id
    parts = PurePosixPath(file).parts  # incidents/<year>/<ID>/escalation.yaml
    if len(parts) == 4 and parts[2] != record_id:
        checker.error(
            file,
            "/id",
            "id-directory",
            f"id {record_id} does not match its directory {parts[2]}; "
            f"move the file to incidents/{record_id[-9:-5]}/{record_id}/ or fix the id",
        )
    elif len(parts) == 4 and record_id.split("-")[-2] != parts[1]:
        checker.error(
            file,
            "/id",
            "id-year",
            f"{record_id} belongs in incidents/{record_id.split('-')[-2]}/, not {parts[1]}/",
        )
    prefix = record_id.split("-")[0]
    if policy.usable("matrix") and prefix != policy.id_prefix:
        checker.error(
            file,
            "/id",
            "id-prefix",
            f"IDs start with {policy.id_prefix}- (id_prefix in policy/matrix.yaml), not {prefix}-",
        )

    if policy.usable("severity"):
        checker.known(
            file,
            "/severity",
            data["severity"],
            policy.severities,
            "severity",
            "policy/severity.yaml",
        )
    if policy.usable("matrix"):
        checker.known(
            file,
            "/customer/tier",
            data["customer"]["tier"],
            policy.tiers,
            "tier",
            "policy/matrix.yaml",
        )
        checker.known(
            file, "/category", data["category"], policy.categories, "category", "policy/matrix.yaml"
        )
        checker.known(file, "/level", data["level"], policy.levels, "level", "policy/matrix.yaml")
    people = policy.people if policy.usable("roster") else None
    if people is not None:
        checker.known(
            file, "/reported_by", data["reported_by"], people, "person", "policy/roster.yaml"
        )
        checker.known(file, "/owner", data["owner"], people, "person", "policy/roster.yaml")
        for index, action in enumerate(data.get("actions") or []):
            checker.known(
                file,
                f"/actions/{index}/owner",
                action["owner"],
                people,
                "person",
                "policy/roster.yaml",
            )
        for index, remedy in enumerate(data.get("remedies") or []):
            for key in ("granted_by", "approved_by"):
                if key in remedy:
                    checker.known(
                        file,
                        f"/remedies/{index}/{key}",
                        remedy[key],
                        people,
                        "person",
                        "policy/roster.yaml",
                    )

    for event in escalation.events:
        at = event.pointer
        if people is not None:
            checker.known(file, f"{at}/by", event.by, people, "person", "policy/roster.yaml")
            if "to" in event.raw:
                checker.known(
                    file, f"{at}/to", event.raw["to"], people, "person", "policy/roster.yaml"
                )
        if "level" in event.raw and policy.usable("matrix"):
            checker.known(
                file,
                f"{at}/level",
                event.raw["level"],
                policy.levels,
                "level",
                "policy/matrix.yaml",
            )
        if "severity" in event.raw and policy.usable("severity"):
            checker.known(
                file,
                f"{at}/severity",
                event.raw["severity"],
                policy.severities,
                "severity",
                "policy/severity.yaml",
            )
    for problem in escalation.problems:
        checker.error(file, problem.pointer, problem.rule, problem.message)

    action_ids: set[str] = set()
    for index, action in enumerate(data.get("actions") or []):
        if action["id"] in action_ids:
            checker.error(
                file,
                f"/actions/{index}/id",
                "duplicate-action",
                f"action {action['id']} appears twice; number actions A1, A2, …",
            )
        action_ids.add(action["id"])

    for index, related in enumerate(data.get("related") or []):
        if related == record_id:
            checker.error(
                file, f"/related/{index}", "related-self", "a record cannot be related to itself"
            )
        elif related not in ids:
            checker.error(
                file,
                f"/related/{index}",
                "unknown-related",
                f"related escalation {related} does not exist{suggest(related, [str(i) for i in ids])}",
            )

    if policy.usable("matrix", "roster"):
        _check_remedies(checker, escalation)


def _check_remedies(checker: _Checker, escalation: Escalation) -> None:
    """A remedy must be within what its granter's level may grant, or carry an approver who may."""
    policy = checker.policy
    for index, remedy in enumerate(escalation.data.get("remedies") or []):
        kind = remedy["type"]
        grants = {entry["level"]: entry.get("grants", []) for entry in policy.remedies}
        if not any(g["type"] == kind for gs in grants.values() for g in gs):
            known = sorted({g["type"] for gs in grants.values() for g in gs})
            checker.error(
                escalation.path,
                f"/remedies/{index}/type",
                "unknown-remedy",
                f"{kind!r} is not a remedy in policy/matrix.yaml{suggest(kind, known)}",
            )
            continue

        def allowed(
            handle: str | None,
            kind: str = kind,
            remedy: Mapping[str, Any] = remedy,
            grants: Mapping[str, Any] = grants,
        ) -> bool:
            if handle is None:
                return False
            team = policy.teams.get(policy.team_of(handle) or "")
            if team is None or team.level is None:
                return False
            for grant in grants.get(team.level, []):
                if grant["type"] != kind:
                    continue
                if grant.get("unlimited") or "max_amount" not in grant:
                    return True
                amount = remedy.get("amount", 0)
                return bool(amount <= grant["max_amount"])
            return False

        if allowed(remedy["granted_by"]) or allowed(remedy.get("approved_by")):
            continue
        needed = [
            entry["level"]
            for entry in policy.remedies
            for grant in entry.get("grants", [])
            if grant["type"] == kind
            and (
                grant.get("unlimited")
                or "max_amount" not in grant
                or remedy.get("amount", 0) <= grant["max_amount"]
            )
        ]
        amount = (
            f" of {remedy['amount']} {remedy.get('currency', '')}".rstrip()
            if "amount" in remedy
            else ""
        )
        checker.error(
            escalation.path,
            f"/remedies/{index}",
            "remedy-limit",
            f"{remedy['granted_by']} may not grant {kind}{amount} alone; add approved_by: "
            f"someone at {' or '.join(needed) or 'a level that may'} (remedies in policy/matrix.yaml)",
        )


def _check_postmortem(checker: _Checker, source: SourceFile) -> None:
    data = source.data
    record_id = str(data["id"])
    directory = PurePosixPath(source.path).parent
    record = checker.repo.escalations.get(record_id)
    if record is None:
        checker.error(
            source.path,
            "/id",
            "postmortem-orphan",
            f"no escalation {record_id} exists; a postmortem lives beside its record",
        )
    elif PurePosixPath(record.path).parent != directory:
        checker.error(
            source.path,
            "/id",
            "postmortem-directory",
            f"{record_id} is recorded in {record.path}; move the postmortem beside it",
        )
    if checker.policy.usable("roster"):
        people = checker.policy.people
        for index, author in enumerate(data.get("authors") or []):
            checker.known(
                source.path, f"/authors/{index}", author, people, "person", "policy/roster.yaml"
            )
        for index, action in enumerate(data.get("actions") or []):
            checker.known(
                source.path,
                f"/actions/{index}/owner",
                action["owner"],
                people,
                "person",
                "policy/roster.yaml",
            )


# --- policy --------------------------------------------------------------------------------


def check_policy(policy: Policy) -> list[Finding]:
    """Consistency between policy files: every id one file names must exist in another."""
    findings: list[Finding] = []

    def error(kind: str, at: str, rule: str, message: str) -> None:
        findings.append(Finding(file=policy.file(kind), pointer=at, rule=rule, message=message))

    def must_exist(
        kind: str, at: str, value: object, choices: Mapping[str, Any], what: str, where: str
    ) -> None:
        if value not in choices:
            error(
                kind,
                at,
                f"unknown-{what}",
                f"{value!r} is not one of {', '.join(choices)}{suggest(str(value), choices)} (the {what}s in {where})",
            )

    matrix = policy.documents.get("matrix", {})
    if policy.usable("matrix", "calendars"):
        for index, tier in enumerate(matrix.get("tiers", [])):
            must_exist(
                "matrix",
                f"/tiers/{index}/calendar",
                tier["calendar"],
                policy.calendars,
                "calendar",
                "policy/calendars.yaml",
            )
            for region, calendar in (tier.get("region_calendars") or {}).items():
                must_exist(
                    "matrix",
                    f"/tiers/{index}/region_calendars/{region}",
                    calendar,
                    policy.calendars,
                    "calendar",
                    "policy/calendars.yaml",
                )
    if policy.usable("matrix", "roster"):
        for index, category in enumerate(matrix.get("categories", [])):
            for level, team in category.get("teams", {}).items():
                must_exist(
                    "matrix",
                    f"/categories/{index}/teams/{level}",
                    team,
                    policy.teams,
                    "team",
                    "policy/roster.yaml",
                )
                must_exist(
                    "matrix",
                    f"/categories/{index}/teams",
                    level,
                    policy.levels,
                    "level",
                    "the levels of policy/matrix.yaml",
                )
        for index, level in enumerate(matrix.get("levels", [])):
            for position, team in enumerate(level.get("teams", [])):
                must_exist(
                    "matrix",
                    f"/levels/{index}/teams/{position}",
                    team,
                    policy.teams,
                    "team",
                    "policy/roster.yaml",
                )
    if policy.usable("matrix", "severity"):
        for index, rule in enumerate(matrix.get("targets", [])):
            if "severity" in rule:
                must_exist(
                    "matrix",
                    f"/targets/{index}/severity",
                    rule["severity"],
                    policy.severities,
                    "severity",
                    "policy/severity.yaml",
                )
            if "tier" in rule:
                must_exist(
                    "matrix",
                    f"/targets/{index}/tier",
                    rule["tier"],
                    policy.tiers,
                    "tier",
                    "the tiers of policy/matrix.yaml",
                )
        for index, trigger in enumerate(matrix.get("triggers", [])):
            must_exist(
                "matrix",
                f"/triggers/{index}/level",
                trigger["level"],
                policy.levels,
                "level",
                "the levels of policy/matrix.yaml",
            )
            when = trigger.get("when", {})
            for position, severity in enumerate(when.get("severity", [])):
                must_exist(
                    "matrix",
                    f"/triggers/{index}/when/severity/{position}",
                    severity,
                    policy.severities,
                    "severity",
                    "policy/severity.yaml",
                )
            for position, tier in enumerate(when.get("tier", [])):
                must_exist(
                    "matrix",
                    f"/triggers/{index}/when/tier/{position}",
                    tier,
                    policy.tiers,
                    "tier",
                    "the tiers of policy/matrix.yaml",
                )
    if policy.usable("matrix"):
        for index, entry in enumerate(matrix.get("remedies", [])):
            must_exist(
                "matrix",
                f"/remedies/{index}/level",
                entry["level"],
                policy.levels,
                "level",
                "the levels of policy/matrix.yaml",
            )

    scoring = policy.documents.get("scoring", {})
    if policy.usable("scoring"):
        total = sum(factor["weight"] for factor in scoring.get("factors", []))
        if abs(total - 100) > 1e-9:
            error(
                "scoring",
                "/factors",
                "weights-sum",
                f"the factor weights sum to {total:g}, not 100; adjust them so the score stays on a 0-100 scale",
            )
        if policy.usable("matrix"):
            for index, band in enumerate(scoring.get("bands", [])):
                if "involve" in band:
                    must_exist(
                        "scoring",
                        f"/bands/{index}/involve",
                        band["involve"],
                        policy.levels,
                        "level",
                        "the levels of policy/matrix.yaml",
                    )
        minimums = [band["min"] for band in scoring.get("bands", [])]
        if minimums != sorted(minimums, reverse=True):
            error(
                "scoring",
                "/bands",
                "bands-order",
                "list bands from the highest min to the lowest; the first band whose min the score reaches applies",
            )
        elif minimums and minimums[-1] > 0:
            error(
                "scoring",
                f"/bands/{len(minimums) - 1}/min",
                "bands-floor",
                "the last band must start at 0 so every score has a priority",
            )

    roster = policy.documents.get("roster", {})
    if policy.usable("roster"):
        seen: set[str] = set()
        for index, person in enumerate(roster.get("people", [])):
            if person["handle"] in seen:
                error(
                    "roster",
                    f"/people/{index}/handle",
                    "duplicate-person",
                    f"{person['handle']} appears twice in people",
                )
            seen.add(person["handle"])
            must_exist(
                "roster",
                f"/people/{index}/team",
                person["team"],
                policy.teams,
                "team",
                "the teams of policy/roster.yaml",
            )
        if policy.usable("matrix"):
            for index, team in enumerate(roster.get("teams", [])):
                if team.get("level"):
                    must_exist(
                        "roster",
                        f"/teams/{index}/level",
                        team["level"],
                        policy.levels,
                        "level",
                        "the levels of policy/matrix.yaml",
                    )
        for index, rotation in enumerate(roster.get("rotations", [])):
            must_exist(
                "roster",
                f"/rotations/{index}/team",
                rotation["team"],
                policy.teams,
                "team",
                "the teams of policy/roster.yaml",
            )
            for position, member in enumerate(rotation.get("members", [])):
                must_exist(
                    "roster",
                    f"/rotations/{index}/members/{position}",
                    member,
                    policy.people,
                    "person",
                    "the people of policy/roster.yaml",
                )
            for position, override in enumerate(rotation.get("overrides", [])):
                must_exist(
                    "roster",
                    f"/rotations/{index}/overrides/{position}/handle",
                    override["handle"],
                    policy.people,
                    "person",
                    "the people of policy/roster.yaml",
                )
                if override["start"] >= override["end"] and _instant(override["start"]) >= _instant(
                    override["end"]
                ):
                    error(
                        "roster",
                        f"/rotations/{index}/overrides/{position}/end",
                        "override-order",
                        "an override must end after it starts",
                    )

    publishing = policy.documents.get("publishing", {})
    if policy.usable("publishing") and publishing:
        defaults = [p["id"] for p in publishing.get("profiles", []) if p.get("default")]
        if len(defaults) != 1:
            error(
                "publishing",
                "/profiles",
                "default-profile",
                f"exactly one profile must have default: true (found {len(defaults)})",
            )
    return [replace(f) for f in findings]


def _instant(text: str) -> Any:
    from .records import parse_instant

    return parse_instant(text)
