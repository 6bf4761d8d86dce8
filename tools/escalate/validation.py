"""`escalate validate`: every problem of every file, in one report.

Schema checks happen while files are read (see `repo`); this module adds what no single
file can know: references between records and policy, unique IDs, the lifecycle replay,
and the consistency of the policy files with each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import Any, NamedTuple

from .errors import Finding
from .policy import Policy, locate_findings
from .records import Escalation
from .repo import Derivation, Repo, SourceFile
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
    """Collects cross-file findings; skips values the schema already found wrong.

    Records with schema errors are still checked wherever their data is sound, so that one
    run names every problem: a key typo and an unknown tier in the same file both show.
    """

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.findings: list[Finding] = []
        self.errored: set[str] = set()  # pointers with a schema error in the current file

    def error(self, file: str, at: str, rule: str, message: str) -> None:
        self.findings.append(Finding(file=file, pointer=at, rule=rule, message=message))

    def warn(self, file: str, at: str, rule: str, message: str) -> None:
        self.findings.append(
            Finding(file=file, pointer=at, rule=rule, message=message, severity="warning")
        )

    def known(
        self, file: str, at: str, value: object, choices: Mapping[str, Any], what: str, where: str
    ) -> None:
        if value in choices or not isinstance(value, str) or at in self.errored:
            return  # a value that is not text already has its schema error
        options = ", ".join(choices)
        self.error(
            file,
            at,
            f"unknown-{what.replace(' ', '-')}",
            f"{value!r} is not one of {options}{suggest(str(value), choices)}"
            f" (the {_plural(what)} in {where})",
        )

    def sound(self, at: str) -> bool:
        """Whether nothing at or under this pointer has a schema error."""
        return not any(p == at or p.startswith(at + "/") for p in self.errored)


def _plural(what: str) -> str:
    return {"person": "people", "category": "categories", "severity": "severities"}.get(
        what, what + "s"
    )


def _field(data: Any, *keys: str) -> Any:
    """data[k1][k2]… or None where a level is missing or not a mapping."""
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _items(data: Mapping[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    """The mappings of a list field with their positions; anything else is the schema's."""
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


def _record_id(source: SourceFile) -> str | None:
    record_id = _field(source.data, "id")
    return record_id if isinstance(record_id, str) else None


def check_records(repo: Repo) -> list[Finding]:
    """Cross-file findings of every record and postmortem.

    What a file's findings depend on besides its own bytes is the policy, and for a few
    checks the set of IDs. The policy-dependent part is kept in the parse cache under the
    policy's digest, so an unchanged repository replays no timeline at all.
    """
    checker = _Checker(repo.policy)
    # A file that did not parse has its one finding already.
    checked = [(s, _Checked(*repo.derived(s, FILE_CHECKS))) for s in repo.sources if s.parsed]
    records: dict[str, str] = {}  # id -> the first file that claims it, valid or not
    for source, facts in checked:
        if source.kind == "escalation" and facts.id is not None:
            records.setdefault(facts.id, source.path)
    ids = set(records)
    for source, facts in checked:
        checker.errored = {f.pointer for f in source.findings if f.severity == "error"}
        checker.findings.extend(Finding(*f) for f in facts.findings)
        if source.kind == "escalation":
            _check_links(checker, source.path, facts, records, ids)
        else:
            _check_postmortem_place(checker, source.path, facts.id, records)
    repo.save_cache()
    return checker.findings


def check_file(policy: Policy, source: SourceFile) -> list[Finding]:
    """The cross-file findings of one parsed file that depend on it and the policy alone."""
    checker = _Checker(policy)
    checker.errored = {f.pointer for f in source.findings if f.severity == "error"}
    if source.kind == "escalation":
        _check_escalation(checker, source)
    else:
        _check_postmortem_people(checker, source)
    return checker.findings


class _Checked(NamedTuple):
    """What the cross-file checks need of one file, kept in the parse cache (FILE_CHECKS)."""

    findings: list[tuple[Any, ...]]  # check_file's, as Finding tuples
    id: str | None  # the id the file claims
    related: list[tuple[int, str]]  # a record's related ids, by their index


def _file_checks(policy: Policy, source: SourceFile) -> tuple[Any, ...]:
    related = _field(source.data, "related") if source.kind == "escalation" else None
    return (
        [finding.as_tuple() for finding in check_file(policy, source)],
        _record_id(source),
        [(i, other) for i, other in enumerate(related or ()) if isinstance(other, str)]
        if isinstance(related, list)
        else [],
    )


# `Repo.load(derive=(FILE_CHECKS,))` checks each file in the parse workers, beside the
# schema check, and the parse cache keeps the result under the policy digest: a warm
# validate reads no file's contents.
FILE_CHECKS = Derivation("checks", _file_checks, version=2)


def _check_links(
    checker: _Checker, file: str, facts: _Checked, records: Mapping[str, str], ids: set[str]
) -> None:
    """What depends on the other records: a unique id, and related ids that exist."""
    record_id = facts.id
    if record_id is not None and records[record_id] != file:
        checker.error(
            file,
            "/id",
            "duplicate-id",
            f"{record_id} is already used by {records[record_id]}; "
            f"run `escalate renumber {record_id}` on this branch's record",
        )
    for index, other in facts.related:
        if not checker.sound(f"/related/{index}"):
            continue
        if other == record_id:
            checker.error(
                file, f"/related/{index}", "related-self", "a record cannot be related to itself"
            )
        elif other not in ids:
            checker.error(
                file,
                f"/related/{index}",
                "unknown-related",
                f"related escalation {other} does not exist{suggest(other, ids - {record_id})}",
            )


def _replayable(checker: _Checker, data: Mapping[str, Any]) -> bool:
    """Whether the fields the timeline replay reads are all schema-valid."""
    needed = ("/opened_at", "/owner", "/level", "/severity", "/timeline")
    return all(checker.sound(at) for at in needed) and all(
        isinstance(data.get(key), str) for key in ("opened_at", "owner", "level", "severity")
    )


def _check_escalation(checker: _Checker, source: SourceFile) -> None:
    """Everything about one record that depends only on it and the policy."""
    policy = checker.policy
    file = source.path
    data: dict[str, Any] = source.data
    record_id = _record_id(source)
    if record_id is not None and checker.sound("/id"):
        _check_id_place(checker, file, record_id)

    if policy.usable("severity"):
        checker.known(
            file, "/severity", data.get("severity"), policy.severities, "severity",
            "policy/severity.yaml",
        )  # fmt: skip
    if policy.usable("matrix"):
        checker.known(
            file, "/customer/tier", _field(data, "customer", "tier"), policy.tiers, "tier",
            "policy/matrix.yaml",
        )  # fmt: skip
        checker.known(
            file, "/category", data.get("category"), policy.categories, "category",
            "policy/matrix.yaml",
        )  # fmt: skip
        checker.known(
            file, "/level", data.get("level"), policy.levels, "level", "policy/matrix.yaml"
        )
    people = policy.people if policy.usable("roster") else None

    def person(at: str, value: object) -> None:
        if people is not None:
            checker.known(file, at, value, people, "person", "policy/roster.yaml")

    person("/reported_by", data.get("reported_by"))
    person("/owner", data.get("owner"))
    for index, action in _items(data, "actions"):
        person(f"/actions/{index}/owner", action.get("owner"))
    for index, remedy in _items(data, "remedies"):
        for key in ("granted_by", "approved_by"):
            person(f"/remedies/{index}/{key}", remedy.get(key))

    # The pointer of an event's field is only spelled out for a value that is unknown: a
    # timeline holds most of a record's references, and nearly all of them are fine.
    levels = policy.levels if policy.usable("matrix") else None
    severities = policy.severities if policy.usable("severity") else None
    for index, event in _items(data, "timeline"):
        for key, choices, what, where in (
            ("by", people, "person", "policy/roster.yaml"),
            ("to", people, "person", "policy/roster.yaml"),
            ("level", levels, "level", "policy/matrix.yaml"),
            ("severity", severities, "severity", "policy/severity.yaml"),
        ):
            value = event.get(key)
            if value is not None and choices is not None and value not in choices:
                checker.known(file, f"/timeline/{index}/{key}", value, choices, what, where)
    if _replayable(checker, data):
        for problem in Escalation.from_data(file, data).problems:
            checker.error(file, problem.pointer, problem.rule, problem.message)

    action_ids: set[str] = set()
    for index, action in _items(data, "actions"):
        action_id = action.get("id")
        if not isinstance(action_id, str):
            continue
        if action_id in action_ids:
            checker.error(
                file,
                f"/actions/{index}/id",
                "duplicate-action",
                f"action {action_id} appears twice; number actions A1, A2, …",
            )
        action_ids.add(action_id)

    if policy.usable("matrix", "roster"):
        remedies = [
            (index, remedy)
            for index, remedy in _items(data, "remedies")
            if checker.sound(f"/remedies/{index}")
        ]
        _check_remedies(checker, file, remedies)


def _check_id_place(checker: _Checker, file: str, record_id: str) -> None:
    """The id matches its directory and year (incidents/<year>/<ID>/) and the prefix."""
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
    if checker.policy.usable("matrix") and prefix != checker.policy.id_prefix:
        checker.error(
            file,
            "/id",
            "id-prefix",
            f"IDs start with {checker.policy.id_prefix}- (id_prefix in policy/matrix.yaml), not {prefix}-",
        )


def _check_remedies(
    checker: _Checker, file: str, remedies: list[tuple[int, dict[str, Any]]]
) -> None:
    """A remedy must be within what its granter's level may grant, or carry an approver who may.

    A limited grant needs the remedy's amount to check; an amount in another currency than
    the limit's cannot be checked (the matrix says to convert at the day's rate), which is a
    warning. A granter or approver who is not in the roster has its own error already.
    """
    policy = checker.policy
    grants: dict[str, dict[str, Mapping[str, Any]]] = {}  # level -> type -> grant
    for entry in policy.remedies:
        for grant in entry.get("grants", []):
            grants.setdefault(str(entry["level"]), {}).setdefault(str(grant["type"]), grant)
    known = sorted({kind for by_type in grants.values() for kind in by_type})
    for index, remedy in remedies:
        kind = remedy["type"]
        at = f"/remedies/{index}"
        if kind not in known:
            checker.error(
                file,
                f"{at}/type",
                "unknown-remedy",
                f"{kind!r} is not a remedy in policy/matrix.yaml{suggest(kind, known)}",
            )
            continue
        signers = [
            remedy["granted_by"],
            *([remedy["approved_by"]] if "approved_by" in remedy else []),
        ]
        if any(handle not in policy.people for handle in signers):
            continue  # reported as unknown-person; a limit check would only add noise
        _check_remedy(checker, file, at, remedy, grants, signers)


def _money(amount: float) -> str:
    """1500 -> 1500, 99.5 -> 99.5: amounts as people write them."""
    return str(int(amount)) if float(amount).is_integer() else str(amount)


def _limit(grant: Mapping[str, Any] | None) -> tuple[float, str] | None:
    """A grant's (max_amount, currency), or None when it has no limit."""
    if grant is None or grant.get("unlimited") or "max_amount" not in grant:
        return None
    return float(grant["max_amount"]), str(grant.get("currency", ""))


def _check_remedy(
    checker: _Checker,
    file: str,
    at: str,
    remedy: Mapping[str, Any],
    grants: Mapping[str, Mapping[str, Mapping[str, Any]]],
    signers: list[str],
) -> None:
    """One remedy against the grants of the levels of who granted and who approved it."""
    policy = checker.policy
    kind = remedy["type"]
    amount: float | None = remedy.get("amount")
    currency: str | None = remedy.get("currency")

    def level_of(handle: str) -> str | None:
        team = policy.teams.get(policy.team_of(handle) or "")
        return team.level if team is not None else None

    # (who, their level, their grant of this kind or None)
    signed = [(h, level_of(h), grants.get(level_of(h) or "", {}).get(kind)) for h in signers]
    if any(grant is not None and _limit(grant) is None for _, _, grant in signed):
        return  # someone who signed may grant any amount of it
    limited = [(h, str(level), limit) for h, level, g in signed if (limit := _limit(g)) is not None]
    if amount is None and limited:
        handle, level, (most, unit) = limited[-1]
        checker.error(
            file,
            at,
            "remedy-amount",
            f"{kind} has no amount, so the limit of {handle} ({level}: up to {_money(most)} "
            f"{unit}) cannot be checked; add amount: and currency: {unit}",
        )
        return
    foreign = [entry for entry in limited if currency and entry[2][1] and entry[2][1] != currency]
    if amount is not None and foreign:
        handle, level, (most, unit) = foreign[-1]
        checker.warn(
            file,
            f"{at}/currency",
            "remedy-currency",
            f"{_money(amount)} {currency} cannot be checked against the limit of {handle} "
            f"({level}: up to {_money(most)} {unit}); policy/matrix.yaml limits are in "
            f"{unit}: write the amount converted to {unit} at the day's rate",
        )
        return
    if amount is not None and any(amount <= most for _, _, (most, _) in limited):
        return
    money = f" of {_money(amount)} {currency or ''}".rstrip() if amount is not None else ""
    may = [
        level
        for level, by_type in grants.items()
        if kind in by_type
        and (amount is None or (limit := _limit(by_type[kind])) is None or amount <= limit[0])
    ]
    levels = " or ".join(may) or "a level that may"
    if len(signers) > 1:
        approver, rank, grant = signed[-1]
        if grant is None:
            can = f"{rank or 'their team'} may not grant {kind}"
        else:
            most, unit = _limit(grant) or (0.0, "")
            can = f"{rank} may grant up to {_money(most)} {unit}"
        checker.error(
            file,
            f"{at}/approved_by",
            "remedy-approver",
            f"{approver} may not approve {kind}{money} either ({can}); approved_by must be "
            f"someone at {levels} (remedies in policy/matrix.yaml)",
        )
        return
    checker.error(
        file,
        at,
        "remedy-limit",
        f"{remedy['granted_by']} may not grant {kind}{money} alone; add approved_by: "
        f"someone at {levels} (remedies in policy/matrix.yaml)",
    )


def _check_postmortem_place(
    checker: _Checker, file: str, record_id: str | None, records: Mapping[str, str]
) -> None:
    """A postmortem names a record that exists, and lives in that record's directory."""
    if record_id is None or not checker.sound("/id"):
        return
    # Any record that claims the id counts, valid or not: its own errors are reported on
    # it, and calling the postmortem an orphan would send the reader the wrong way.
    record = records.get(record_id)
    if record is None:
        checker.error(
            file,
            "/id",
            "postmortem-orphan",
            f"no escalation {record_id} exists; a postmortem lives beside its record",
        )
    elif PurePosixPath(record).parent != PurePosixPath(file).parent:
        checker.error(
            file,
            "/id",
            "postmortem-directory",
            f"{record_id} is recorded in {record}; move the postmortem beside it",
        )


def _check_postmortem_people(checker: _Checker, source: SourceFile) -> None:
    if not checker.policy.usable("roster"):
        return
    people = checker.policy.people
    authors = source.data.get("authors")
    for index, author in enumerate(authors if isinstance(authors, list) else []):
        checker.known(
            source.path, f"/authors/{index}", author, people, "person", "policy/roster.yaml"
        )
    for index, action in _items(source.data, "actions"):
        checker.known(
            source.path,
            f"/actions/{index}/owner",
            action.get("owner"),
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
                f"{value!r} is not one of {', '.join(choices)}{suggest(str(value), choices)} (the {_plural(what)} in {where})",
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
