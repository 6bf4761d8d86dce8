"""The SLA tracking issue: `escalate.tracking` (render and plan) and `escalate watch`.

`escalate watch` is run end to end against a fake `gh`, first on PATH: a small Python script
that logs every call (argv and stdin) and keeps the repository's issues in a JSON state file,
answering `gh issue list` from it the way the real CLI does.
"""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from escalate.cli import main
from escalate.tracking import (
    LABEL,
    MARKER,
    TITLE,
    digest_of,
    find_duplicates,
    find_issue,
    overdue_rows,
    plan,
    render_issue,
)

ROOT = Path(__file__).resolve().parents[2]
FILE = "incidents/2026/{id}/escalation.yaml"

# (id, clock, overdue_seconds, owner, severity)
Row = tuple[str, str, float, str, str]


def report(rows: Iterable[Row], *, now: str = "2026-11-22T10:00:00Z") -> dict[str, Any]:
    """An `sla check --format json` report (contract keys only) with these overdue clocks."""
    escalations: dict[str, dict[str, Any]] = {}
    overdue = []
    for escalation_id, clock, seconds, owner, severity in rows:
        entry = escalations.setdefault(
            escalation_id,
            {
                "id": escalation_id,
                "file": FILE.format(id=escalation_id),
                "severity": severity,
                "owner": owner,
                "status": "acknowledged",
                "clocks": [],
            },
        )
        entry["clocks"].append(
            {
                "clock": clock,
                "state": "overdue",
                "target_seconds": 3600,
                "deadline": f"2026-11-2{len(clock) % 10}T08:00:00Z",
                "stopped_at": None,
                "elapsed_seconds": 3600 + seconds,
                "remaining_seconds": 0.0,
            }
        )
        overdue.append({"id": escalation_id, "clock": clock, "overdue_seconds": seconds})
    calm = {
        "id": "ESC-2026-0099",
        "file": FILE.format(id="ESC-2026-0099"),
        "severity": "sev4",
        "owner": "zoe",
        "status": "acknowledged",
        "clocks": [
            {
                "clock": "resolve",
                "state": "running",
                "target_seconds": 86400,
                "deadline": "2026-11-30T08:00:00Z",
                "stopped_at": None,
                "elapsed_seconds": 60.0,
                "remaining_seconds": 86340.0,
            }
        ],
    }
    return {
        "now": now,
        "escalations": [*escalations.values(), calm],
        "overdue": sorted(overdue, key=lambda item: -float(str(item["overdue_seconds"]))),
    }


TWO: list[Row] = [
    ("ESC-2026-0007", "acknowledge", 1800.0, "alice", "sev2"),
    ("ESC-2026-0042", "resolve", 7500.0, "dan", "sev1"),
]


# --- render_issue --------------------------------------------------------------------------------


def test_the_body_lists_overdue_clocks_most_overdue_first() -> None:
    title, body = render_issue(report(TWO), repo_url="https://github.com/acme/playbook")
    assert title == TITLE
    assert body.startswith(MARKER + "\n")
    assert digest_of(body) is not None
    table = [line for line in body.splitlines() if line.startswith("| ESC-")]
    assert len(table) == 2
    assert table[0].startswith("| ESC-2026-0042 | resolve | 2h5m |")
    assert "| dan | sev1 |" in table[0]
    assert table[1].startswith("| ESC-2026-0007 | acknowledge | 30m |")
    assert (
        "[escalation.yaml](https://github.com/acme/playbook/blob/HEAD/"
        "incidents/2026/ESC-2026-0042/escalation.yaml)" in table[0]
    )
    assert "**2 overdue SLA clocks** in 2 escalations as of 2026-11-22 10:00Z" in body
    assert "ESC-2026-0099" not in body  # running, not overdue


def test_without_a_repository_url_records_are_shown_as_paths() -> None:
    _, body = render_issue(report(TWO), repo_url=None)
    assert "| `incidents/2026/ESC-2026-0042/escalation.yaml` |" in body
    assert "](" not in body


def test_record_text_cannot_break_the_table_or_mention_people() -> None:
    data = report([("ESC-2026-0001", "acknowledge", 60.0, "@team|x", "sev2")])
    data["escalations"][0]["title"] = "<script>alert(1)</script> | pipes"
    _, body = render_issue(data, repo_url=None)
    row = next(line for line in body.splitlines() if line.startswith("| ESC-"))
    assert "<script>" not in body
    assert "&lt;script&gt;" in row and "\\| pipes" in row
    assert "@\u200bteam\\|x" in row
    assert row.count(" | ") == 6  # seven cells, none split


def test_nothing_overdue_says_so() -> None:
    _, body = render_issue(report([]), repo_url=None)
    assert "No SLA clock is overdue as of 2026-11-22 10:00Z." in body
    assert "| Escalation |" not in body


def test_the_digest_ignores_growing_ages_but_not_a_new_clock_or_owner() -> None:
    _, first = render_issue(report(TWO), repo_url=None)
    later = [(i, c, s + 3600, o, sev) for i, c, s, o, sev in TWO]
    _, aged = render_issue(report(later, now="2026-11-22T11:00:00Z"), repo_url=None)
    assert aged != first and digest_of(aged) == digest_of(first)

    _, more = render_issue(
        report([*TWO, ("ESC-2026-0008", "mitigate", 60.0, "bob", "sev3")]), repo_url=None
    )
    assert digest_of(more) != digest_of(first)
    handed_over = [(*TWO[0][:3], "carol", TWO[0][4]), TWO[1]]
    _, other_owner = render_issue(report(handed_over), repo_url=None)
    assert digest_of(other_owner) != digest_of(first)


def test_a_clock_past_its_deadline_with_no_open_time_over_says_so() -> None:
    # A deadline on a closing time: overdue by the instant, 0 s of open time over yet.
    _, body = render_issue(
        report([("ESC-2026-0007", "acknowledge", 0.0, "alice", "sev2")]), repo_url=None
    )
    row = next(line for line in body.splitlines() if line.startswith("| ESC-"))
    assert row.startswith("| ESC-2026-0007 | acknowledge | past the deadline |")


def test_rows_join_the_overdue_list_with_the_escalations() -> None:
    rows = overdue_rows(report(TWO))
    assert [(row.id, row.clock, row.owner, row.severity) for row in rows] == [
        ("ESC-2026-0042", "resolve", "dan", "sev1"),
        ("ESC-2026-0007", "acknowledge", "alice", "sev2"),
    ]
    assert rows[0].file == "incidents/2026/ESC-2026-0042/escalation.yaml"


# --- plan ----------------------------------------------------------------------------------------


def test_plan_opens_when_overdue_and_none_is_open() -> None:
    action = plan(None, report(TWO))
    assert (action.kind, action.number, action.overdue) == ("open", None, 2)
    assert action.title == TITLE and MARKER in action.body


def test_plan_does_nothing_when_the_table_is_unchanged() -> None:
    _, body = render_issue(report(TWO), repo_url=None)
    action = plan({"number": 7, "title": TITLE, "body": body}, report(TWO))
    assert (action.kind, action.number) == ("none", 7)


def test_plan_updates_a_changed_or_hand_edited_table() -> None:
    _, body = render_issue(report(TWO[:1]), repo_url=None)
    assert plan({"number": 7, "body": body}, report(TWO)).kind == "update"
    assert plan({"number": 7, "body": "someone rewrote this"}, report(TWO)).kind == "update"


def test_plan_closes_when_nothing_is_overdue() -> None:
    action = plan({"number": 7, "body": MARKER}, report([]))
    assert (action.kind, action.number) == ("close", 7)
    assert "No SLA clock is overdue as of 2026-11-22 10:00Z" in action.comment


def test_plan_does_nothing_when_nothing_is_overdue_and_none_is_open() -> None:
    assert plan(None, report([])).kind == "none"


def test_find_issue_takes_the_oldest_of_ours() -> None:
    issues = [
        {"number": 12, "title": "Something else", "body": "unrelated"},
        {"number": 9, "title": "renamed by hand", "body": MARKER + "\n..."},
        {"number": 15, "title": TITLE, "body": ""},
    ]
    assert find_issue(issues) == issues[1]
    assert find_issue(issues[:1]) is None
    assert find_issue([]) is None


def test_find_duplicates_are_ours_but_the_oldest() -> None:
    issues = [
        {"number": 15, "title": TITLE, "body": ""},
        {"number": 12, "title": "Something else", "body": "unrelated"},
        {"number": 9, "title": "renamed by hand", "body": MARKER + "\n..."},
        {"number": 11, "title": TITLE, "body": MARKER},
    ]
    assert find_issue(issues) == issues[2]
    assert [issue["number"] for issue in find_duplicates(issues)] == [11, 15]
    assert find_duplicates(issues[2:3]) == []


@pytest.mark.parametrize("rows", [TWO, []], ids=["overdue", "nothing-overdue"])
def test_plan_closes_duplicates_pointing_at_the_one_kept(rows: list[Row]) -> None:
    _, body = render_issue(report(TWO), repo_url=None)
    kept = {"number": 7, "title": TITLE, "body": body}
    duplicates = [{"number": 9, "body": MARKER}, {"number": 12, "title": TITLE}]
    action = plan(kept, report(rows), duplicates=duplicates)
    assert action.kind == ("none" if rows else "close")
    assert (action.number, action.duplicates) == (7, (9, 12))
    assert action.duplicate_comment.startswith("Duplicate of #7:")
    assert plan(kept, report(rows)).duplicates == ()


# --- escalate watch against a fake gh ----------------------------------------------------------

FAKE_GH = '''\
#!{python}
"""A stand-in for the GitHub CLI: logs each call, keeps issues in a JSON file."""
import json
import os
import sys

args = sys.argv[1:]
stdin = sys.stdin.read() if "--body-file" in args else None
with open(os.environ["FAKE_GH_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({{"argv": args, "stdin": stdin}}) + "\\n")
if os.environ.get("FAKE_GH_FAIL"):
    sys.stderr.write("HTTP 401: Bad credentials (https://api.github.com/graphql)\\n")
    sys.exit(1)

path = os.environ["FAKE_GH_STATE"]
state = json.load(open(path, encoding="utf-8"))


def option(name):
    return args[args.index(name) + 1] if name in args else None


if args[:2] == ["issue", "list"]:
    fields = option("--json").split(",")
    found = [
        {{key: issue[key] for key in fields}}
        for issue in state["issues"]
        if issue["state"] == option("--state") and option("--label") in issue["labels"]
    ]
    print(json.dumps(found))
elif args[:2] == ["label", "create"]:
    if args[2] not in state["labels"]:
        state["labels"].append(args[2])
elif args[:2] == ["issue", "create"]:
    label = option("--label")
    if label not in state["labels"]:
        sys.stderr.write(f"could not add label: '{{label}}' not found\\n")
        sys.exit(1)
    number = len(state["issues"]) + 1
    state["issues"].append(
        {{"number": number, "title": option("--title"), "body": stdin,
          "labels": [label], "state": "open", "comments": []}}
    )
    print(f"https://github.com/acme/playbook/issues/{{number}}")
elif args[:2] == ["issue", "edit"]:
    state["issues"][int(args[2]) - 1]["body"] = stdin
elif args[:2] == ["issue", "close"]:
    issue = state["issues"][int(args[2]) - 1]
    issue["state"] = "closed"
    issue["comments"].append(option("--comment"))
else:
    sys.stderr.write(f"fake gh: unknown command {{args}}\\n")
    sys.exit(2)
with open(path, "w", encoding="utf-8") as out:
    json.dump(state, out)
'''


@dataclass
class Outcome:
    code: int
    out: str
    err: str
    calls: list[dict[str, Any]]  # the gh calls of this run

    def commands(self) -> list[list[str]]:
        return [call["argv"][:2] for call in self.calls]


class FakeGitHub:
    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.tmp_path = tmp_path
        self.monkeypatch = monkeypatch
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        gh = bin_dir / "gh"
        gh.write_text(FAKE_GH.format(python=sys.executable), encoding="utf-8")
        gh.chmod(gh.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        self.state_file = tmp_path / "state.json"
        self.state_file.write_text(json.dumps({"issues": [], "labels": []}), encoding="utf-8")
        self.log_file = tmp_path / "gh-log.jsonl"
        self.log_file.touch()
        monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
        monkeypatch.setenv("FAKE_GH_STATE", str(self.state_file))
        monkeypatch.setenv("FAKE_GH_LOG", str(self.log_file))
        for name in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GH_REPO", "FAKE_GH_FAIL"):
            monkeypatch.delenv(name, raising=False)
        self.runs = 0

    @property
    def issues(self) -> list[dict[str, Any]]:
        issues: list[dict[str, Any]] = json.loads(self.state_file.read_text("utf-8"))["issues"]
        return issues

    def _log(self) -> list[dict[str, Any]]:
        lines = self.log_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]

    def watch(
        self, data: dict[str, Any], *extra: str, capsys: pytest.CaptureFixture[str]
    ) -> Outcome:
        self.runs += 1
        saved = self.tmp_path / f"report-{self.runs}.json"
        saved.write_text(json.dumps(data), encoding="utf-8")
        before = len(self._log())
        capsys.readouterr()
        code = main(["watch", "--report", str(saved), *extra])
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err, self._log()[before:])


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    return FakeGitHub(tmp_path, monkeypatch)


LIST = ["issue", "list"]


def test_nothing_overdue_and_no_issue_does_nothing(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = github.watch(report([]), capsys=capsys)
    assert outcome.code == 0, outcome.err
    assert outcome.commands() == [LIST]
    assert outcome.calls[0]["argv"] == [
        "issue", "list", "--label", LABEL, "--state", "open",
        "--json", "number,title,body", "--limit", "100",
    ]  # fmt: skip
    assert "nothing overdue" in outcome.out
    assert github.issues == []


def test_the_whole_life_of_the_tracking_issue(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    # Overdue and no issue: the label is made and the issue opened.
    first = github.watch(report(TWO), capsys=capsys)
    assert first.code == 0, first.err
    assert first.commands() == [LIST, ["label", "create"], ["issue", "create"]]
    create = first.calls[2]
    assert create["argv"] == [
        "issue", "create", "--title", TITLE, "--body-file", "-", "--label", LABEL,
    ]  # fmt: skip
    assert MARKER in create["stdin"] and "ESC-2026-0042" in create["stdin"]
    assert "opened #1: 2 overdue clocks" in first.out
    assert [(i["number"], i["state"]) for i in github.issues] == [(1, "open")]

    # The same again: nothing is written.
    again = github.watch(report(TWO), capsys=capsys)
    assert (again.code, again.commands()) == (0, [LIST])
    assert "#1 is up to date: 2 overdue clocks" in again.out

    # An hour later, the same clocks only more overdue: still nothing written.
    later = [(i, c, s + 3600, o, sev) for i, c, s, o, sev in TWO]
    aged = github.watch(report(later, now="2026-11-22T11:00:00Z"), capsys=capsys)
    assert (aged.code, aged.commands()) == (0, [LIST])

    # A clock more: the body is rewritten in place.
    more = [*TWO, ("ESC-2026-0008", "mitigate", 60.0, "bob", "sev3")]
    changed = github.watch(report(more), capsys=capsys)
    assert changed.code == 0, changed.err
    assert changed.commands() == [LIST, ["issue", "edit"]]
    assert changed.calls[1]["argv"] == ["issue", "edit", "1", "--body-file", "-"]
    assert "ESC-2026-0008" in changed.calls[1]["stdin"]
    assert "ESC-2026-0008" in github.issues[0]["body"]
    assert "updated #1: 3 overdue clocks" in changed.out

    # Nothing overdue: the issue is closed with a comment.
    clear = github.watch(report([]), capsys=capsys)
    assert clear.code == 0, clear.err
    assert clear.commands() == [LIST, ["issue", "close"]]
    assert clear.calls[1]["argv"][:3] == ["issue", "close", "1"]
    assert github.issues[0]["state"] == "closed"
    assert "No SLA clock is overdue" in github.issues[0]["comments"][0]
    assert "closed #1" in clear.out

    # Closed stays closed while nothing is overdue; a new overdue clock opens a new issue.
    assert github.watch(report([]), capsys=capsys).commands() == [LIST]
    reopened = github.watch(report(TWO[:1]), capsys=capsys)
    assert reopened.commands() == [LIST, ["label", "create"], ["issue", "create"]]
    assert [(i["number"], i["state"]) for i in github.issues] == [(1, "closed"), (2, "open")]


def test_duplicate_tracking_issues_are_closed_and_the_oldest_kept(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two runs raced (or someone opened one by hand): three open issues carry the marker or
    # the title; a fourth only shares the label.
    _, body = render_issue(report(TWO), repo_url=None)
    seeded = [
        (1, TITLE, body),
        (2, "Unrelated, labelled by mistake", "Not ours."),
        (3, TITLE, body),
        (4, "SLA watch (copy)", MARKER + "\nold table"),
    ]
    state = {
        "labels": [LABEL],
        "issues": [
            {"number": n, "title": t, "body": b, "labels": [LABEL], "state": "open", "comments": []}
            for n, t, b in seeded
        ],
    }
    github.state_file.write_text(json.dumps(state), encoding="utf-8")

    outcome = github.watch(report(TWO), capsys=capsys)
    assert outcome.code == 0, outcome.err
    assert outcome.commands() == [LIST, ["issue", "close"], ["issue", "close"]]
    assert [call["argv"][2] for call in outcome.calls[1:]] == ["3", "4"]
    assert [(i["number"], i["state"]) for i in github.issues] == [
        (1, "open"),
        (2, "open"),
        (3, "closed"),
        (4, "closed"),
    ]
    assert github.issues[2]["comments"][0].startswith("Duplicate of #1:")
    assert "#1 is up to date: 2 overdue clocks; closed duplicates #3, #4" in outcome.out

    # Idempotent: the next run finds one issue and changes nothing.
    again = github.watch(report(TWO), capsys=capsys)
    assert (again.code, again.commands()) == (0, [LIST])


def test_duplicates_are_closed_with_the_last_issue_when_nothing_is_overdue(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    state = {
        "labels": [LABEL],
        "issues": [
            {"number": n, "title": TITLE, "body": MARKER, "labels": [LABEL], "state": "open",
             "comments": []}
            for n in (1, 2)
        ],
    }  # fmt: skip
    github.state_file.write_text(json.dumps(state), encoding="utf-8")
    outcome = github.watch(report([]), capsys=capsys)
    assert outcome.code == 0, outcome.err
    assert [call["argv"][:3] for call in outcome.calls[1:]] == [
        ["issue", "close", "1"],
        ["issue", "close", "2"],
    ]
    assert all(issue["state"] == "closed" for issue in github.issues)
    assert "closed #1: nothing overdue; closed duplicate #2" in outcome.out


def test_overdue_clocks_do_not_fail_the_watch_and_the_help_says_so(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    assert github.watch(report(TWO), capsys=capsys).code == 0  # the issue is the signal
    capsys.readouterr()
    assert main(["watch", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "Exit 0 whether or not clocks are overdue" in help_text
    assert "escalate sla check" in help_text


def test_gh_failing_is_exit_1_naming_the_command_and_its_error(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_GH_FAIL", "1")
    outcome = github.watch(report(TWO), capsys=capsys)
    assert outcome.code == 1
    assert "`gh issue list --label escalate-sla-watch --state open" in outcome.err
    assert "failed (exit 1)" in outcome.err
    assert "HTTP 401: Bad credentials" in outcome.err


def test_gh_not_installed_is_exit_1(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = github.tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    outcome = github.watch(report(TWO), capsys=capsys)
    assert outcome.code == 1
    assert "gh (the GitHub CLI) is not on PATH" in outcome.err


def test_dry_run_prints_the_gh_commands_and_changes_nothing(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = github.watch(report(TWO), "--dry-run", capsys=capsys)
    assert outcome.code == 0, outcome.err
    assert outcome.commands() == [LIST]  # only read
    assert github.issues == []
    assert "gh label create escalate-sla-watch" in outcome.out
    assert (
        f"gh issue create --title '{TITLE}' --body-file - --label escalate-sla-watch "
        "<<'ESCALATE_BODY'\n" + MARKER in outcome.out
    )
    assert outcome.out.rstrip().endswith("ESCALATE_BODY")
    assert "(dry run) opened" in outcome.err


def test_gh_repo_and_repo_url_are_passed_on(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/playbook")
    outcome = github.watch(report(TWO), "--gh-repo", "acme/playbook", capsys=capsys)
    assert outcome.code == 0, outcome.err
    assert all(call["argv"][-2:] == ["--repo", "acme/playbook"] for call in outcome.calls)
    assert (
        "(https://github.example/acme/playbook/blob/HEAD/incidents/" in outcome.calls[-1]["stdin"]
    )


def test_a_report_that_is_not_one_is_a_usage_error(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["watch", "--report", str(bad)]) == 2
    assert "--report" in capsys.readouterr().err
    bad.write_text('{"now": "2026-11-22T10:00:00Z"}', encoding="utf-8")
    assert main(["watch", "--report", str(bad)]) == 2
    assert github._log() == []


@pytest.mark.skipif(
    importlib.util.find_spec("escalate.sla") is None, reason="escalate.sla not there yet"
)
def test_without_a_report_the_clocks_are_measured_in_process(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    # The repository's own example escalations, measured by `sla check` and by `watch`.
    at = ["--repo", str(ROOT), "--no-cache"]
    now = ["--now", "2026-11-22T10:00:00Z"]
    capsys.readouterr()
    main([*at, "sla", "check", *now, "--format", "json", "--fail-on", "never"])
    overdue = json.loads(capsys.readouterr().out)["overdue"]

    code = main([*at, "watch", *now, "--dry-run"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    if overdue:
        assert "gh issue create --title" in captured.out
        rows = [line for line in captured.out.splitlines() if line.startswith("| ESC-")]
        assert len(rows) == len(overdue)
    else:
        assert captured.out == ""
