"""`escalate sla check` end to end: the JSON contract, exit codes, and the CI formats.

Each test gets a scratch playbook (this repository's policy/ and schema/, records written
here) and its own parse cache. Targets used (policy/severity.yaml and policy/matrix.yaml,
enterprise tier, always-open calendar): sev2 acknowledge 15m, customer_update 2h, mitigate
8h, resolve 3d; sev3 acknowledge 1h, customer_update 8h, resolve 5d.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from escalate.cli import main

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-22T12:00:00Z"


def _record(
    record_id: str,
    opened: str,
    timeline: str,
    *,
    severity: str = "sev2",
    extra: str = "",
) -> str:
    return f"""\
# yaml-language-server: $schema=../../../schema/escalation.schema.json
id: {record_id}
title: Card payments failing for one shop
opened_at: {opened}
reported_by: bob
severity: {severity}
category: payments
customer: {{name: Acme GmbH, tier: enterprise, region: emea}}
impact:
  summary: Card payments fail with 3-D Secure timeouts.
owner: alice
level: L2
timeline:
{timeline}{extra}"""


# Opened 09:00Z, never acknowledged: at 12:00 acknowledge is 3 h - 15m = 2h45m (9900 s)
# over, the update cadence 3 h - 2 h = 1 h over; mitigate has 3 h of 8 h.
OVERDUE = _record(
    "ESC-2026-0101",
    "2026-11-22T09:00:00Z",
    "  - {at: 2026-11-22T09:05:00Z, event: note, by: bob, text: Paged the on-call.}\n",
)
# sev3 opened 18 Nov 15:00Z: resolve has 3d21h = 334800 s of 5d = 432000 (77.5 %): at risk.
# The last update at 11:00Z leaves the 8h cadence at 1 h; acknowledge was met.
AT_RISK = _record(
    "ESC-2026-0102",
    "2026-11-18T15:00:00Z",
    "  - {at: 2026-11-18T15:20:00Z, event: acknowledged, by: alice}\n"
    "  - {at: 2026-11-22T11:00:00Z, event: customer_update, by: alice, text: Fix ships Monday.}\n",
    severity="sev3",
)
# Resolved and closed in time, nothing left to do.
CLOSED = _record(
    "ESC-2026-0103",
    "2026-11-10T09:00:00Z",
    "  - {at: 2026-11-10T09:20:00Z, event: acknowledged, by: alice}\n"
    "  - {at: 2026-11-10T10:00:00Z, event: customer_update, by: alice, text: Fixed.}\n"
    "  - {at: 2026-11-10T10:00:00Z, event: resolved, by: alice}\n"
    "  - {at: 2026-11-11T10:00:00Z, event: closed, by: alice}\n",
    severity="sev3",
)
DRILL = _record(
    "ESC-2026-0105",
    "2026-11-22T09:00:00Z",
    "  - {at: 2026-11-22T09:05:00Z, event: note, by: bob, text: Game day.}\n",
    extra="drill: true\n",
)
BROKEN = OVERDUE.replace("ESC-2026-0101", "ESC-2026-0104").replace("severity:", "severty:")


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def playbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "playbook"
    root.mkdir()
    for name in ("policy", "schema"):
        shutil.copytree(ROOT / name, root / name)
    monkeypatch.setenv("ESCALATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ESCALATE_NOW", raising=False)
    return root


def write(root: Path, *texts: str) -> None:
    for text in texts:
        record_id = text.split("\nid: ", 1)[1].split("\n", 1)[0]
        folder = root / "incidents" / "2026" / record_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "escalation.yaml").write_text(text, encoding="utf-8")


def sla(root: Path, *args: str) -> Result:
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        code = main(["--traceback", "--repo", str(root), "sla", "check", *args])
    result = Result(code, out.getvalue().decode(), err.getvalue().decode())
    assert code != 3, result
    return result


def _json(root: Path, *args: str) -> Any:
    import json

    result = sla(root, "--now", NOW, "--format", "json", *args)
    return json.loads(result.out)


# --- the JSON contract -------------------------------------------------------------------------


def test_json_shape(playbook: Path) -> None:
    write(playbook, OVERDUE, AT_RISK, CLOSED)
    report = _json(playbook)
    assert set(report) == {"now", "escalations", "overdue", "skipped"}
    assert report["now"] == "2026-11-22T12:00:00Z"
    for entry in report["escalations"]:
        assert set(entry) == {
            "id", "file", "severity", "owner", "status", "clocks", "title", "drill",
        }  # fmt: skip
        for clock in entry["clocks"]:
            assert set(clock) == {
                "clock", "state", "target_seconds", "deadline", "stopped_at",
                "elapsed_seconds", "remaining_seconds",
                "overdue_seconds", "started_at", "missed_cycles", "calendar",
            }  # fmt: skip
    for entry in report["overdue"]:
        assert set(entry) == {"id", "clock", "overdue_seconds"}


def test_json_values(playbook: Path) -> None:
    write(playbook, OVERDUE, AT_RISK)
    report = _json(playbook)
    # The most urgent escalation first.
    assert [entry["id"] for entry in report["escalations"]] == ["ESC-2026-0101", "ESC-2026-0102"]
    first = report["escalations"][0]
    assert (first["file"], first["severity"], first["owner"], first["status"]) == (
        "incidents/2026/ESC-2026-0101/escalation.yaml",
        "sev2",
        "alice",
        "open",
    )
    ack = first["clocks"][0]
    assert ack == {
        "clock": "acknowledge",
        "state": "overdue",
        "target_seconds": 900,
        "deadline": "2026-11-22T09:15:00Z",
        "stopped_at": None,
        "elapsed_seconds": 10800.0,
        "remaining_seconds": 0.0,
        "overdue_seconds": 9900.0,
        "started_at": "2026-11-22T09:00:00Z",
        "missed_cycles": 0,
        "calendar": "24x7",
    }
    assert report["overdue"] == [
        {"id": "ESC-2026-0101", "clock": "acknowledge", "overdue_seconds": 9900.0},
        {"id": "ESC-2026-0101", "clock": "customer_update", "overdue_seconds": 3600.0},
    ]
    at_risk = {clock["clock"]: clock["state"] for clock in report["escalations"][1]["clocks"]}
    assert at_risk == {
        "acknowledge": "met",
        "customer_update": "running",
        "resolve": "at_risk",
    }


def test_finished_cases_only_with_all(playbook: Path) -> None:
    write(playbook, OVERDUE, CLOSED)
    assert [entry["id"] for entry in _json(playbook)["escalations"]] == ["ESC-2026-0101"]
    every = [entry["id"] for entry in _json(playbook, "--all")["escalations"]]
    assert every == ["ESC-2026-0101", "ESC-2026-0103"]


def test_now_comes_from_the_environment(playbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    write(playbook, OVERDUE)
    monkeypatch.setenv("ESCALATE_NOW", "2026-11-22T09:10:00Z")
    report = json.loads(sla(playbook, "--format", "json").out)
    assert report["now"] == "2026-11-22T09:10:00Z"
    assert report["overdue"] == []  # 10 minutes in: nothing is late yet
    assert sla(playbook).code == 0


# --- exit codes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("records", "fail_on", "code"),
    [
        ((OVERDUE,), None, 1),  # default: overdue fails
        ((OVERDUE,), "overdue", 1),
        ((OVERDUE,), "at_risk", 1),  # at_risk includes overdue
        ((OVERDUE,), "never", 0),
        ((AT_RISK,), None, 0),  # at risk is not overdue
        ((AT_RISK,), "at_risk", 1),
        ((CLOSED,), "at_risk", 0),
        ((DRILL,), "at_risk", 0),  # a drill never fails the check
        ((), None, 0),
    ],
)
def test_exit_codes(
    playbook: Path, records: tuple[str, ...], fail_on: str | None, code: int
) -> None:
    write(playbook, *records)
    args = ["--now", NOW] + (["--fail-on", fail_on] if fail_on else [])
    assert sla(playbook, *args).code == code


def test_unknown_fail_on_is_a_usage_error(playbook: Path) -> None:
    assert sla(playbook, "--fail-on", "sometimes").code == 2


def test_drills_are_listed_but_not_flagged(playbook: Path) -> None:
    write(playbook, DRILL)
    report = _json(playbook)
    assert [(entry["id"], entry["drill"]) for entry in report["escalations"]] == [
        ("ESC-2026-0105", True)
    ]
    assert report["overdue"] == []
    assert "(drill)" in sla(playbook, "--now", NOW).out


def test_invalid_records_are_skipped_with_a_warning(playbook: Path) -> None:
    write(playbook, OVERDUE, BROKEN)
    result = sla(playbook, "--now", NOW, "--format", "json")
    assert result.code == 1  # the valid record is still overdue
    assert "warning: incidents/2026/ESC-2026-0104/escalation.yaml: not measured" in result.err
    import json

    report = json.loads(result.out)
    assert [entry["id"] for entry in report["escalations"]] == ["ESC-2026-0101"]
    assert [entry["file"] for entry in report["skipped"]] == [
        "incidents/2026/ESC-2026-0104/escalation.yaml"
    ]


# --- text, markdown and GitHub annotations --------------------------------------------------------


def test_text_table_lists_overdue_first(playbook: Path) -> None:
    write(playbook, AT_RISK, OVERDUE)
    result = sla(playbook, "--now", NOW)
    lines = result.out.splitlines()
    assert lines[0].split() == [
        "ID",
        "CLOCK",
        "STATE",
        "DEADLINE",
        "LEFT/OVER",
        "OWNER",
        "SEVERITY",
    ]
    states = [line.split()[2] for line in lines[1:]]
    assert states[:2] == ["overdue", "overdue"]
    assert states.index("at") < states.index("running")  # "at risk" before running
    assert "2h45m over" in lines[1]
    assert "as of 2026-11-22 12:00Z" in result.err


def test_markdown_job_summary(playbook: Path) -> None:
    write(playbook, AT_RISK, OVERDUE)
    out = sla(playbook, "--now", NOW, "--format", "markdown").out
    lines = out.splitlines()
    assert lines[0] == "## SLA check"
    assert any(line.startswith("As of 2026-11-22 12:00Z") for line in lines)
    rows = [line for line in lines if line.startswith("| ESC-")]
    assert rows == [
        "| ESC-2026-0101 | acknowledge | **overdue** | 2026-11-22 09:15Z | 2h45m over | alice | sev2 |",
        "| ESC-2026-0101 | customer_update | **overdue** | 2026-11-22 11:00Z | 1h over | alice | sev2 |",
        "| ESC-2026-0102 | resolve | at risk | 2026-11-23 15:00Z | 1d3h left | alice | sev3 |",
    ]
    header = lines.index(rows[0]) - 2
    assert lines[header].startswith("| Escalation | Clock | State | Deadline")


def test_markdown_when_nothing_is_late(playbook: Path) -> None:
    write(playbook, CLOSED)
    out = sla(playbook, "--now", NOW, "--format", "markdown").out
    assert "No clock is overdue or at risk." in out


def test_github_annotations_point_at_the_last_timeline_event(playbook: Path) -> None:
    write(playbook, OVERDUE, AT_RISK)
    lines = sla(playbook, "--now", NOW, "--format", "github").out.splitlines()
    # OVERDUE's only event is on line 14; AT_RISK's last (second) event on line 15.
    assert lines == [
        "::error file=incidents/2026/ESC-2026-0101/escalation.yaml,line=14,col=5,"
        "title=SLA overdue::ESC-2026-0101 acknowledge overdue by 2h45m (owner alice)",
        "::error file=incidents/2026/ESC-2026-0101/escalation.yaml,line=14,col=5,"
        "title=SLA overdue::ESC-2026-0101 customer_update overdue by 1h (owner alice)",
        "::warning file=incidents/2026/ESC-2026-0102/escalation.yaml,line=15,col=5,"
        "title=SLA at risk::ESC-2026-0102 resolve at risk: 1d3h left (owner alice)",
    ]


# --- a deadline on a closing time ------------------------------------------------------------------

# Business sev2 on emea-business (Berlin 09:00-17:00): opened Fri 20 Nov 16:30 CET (15:30Z),
# acknowledge 30m -> deadline 17:00 CET = 16:00Z, the closing time. At 18:00 CET (17:00Z) no
# open time is over the target, but the deadline has passed: overdue, and CI fails now, not on
# Monday at 09:00.
CLOSING_TIME = _record(
    "ESC-2026-0106",
    "2026-11-20T16:30:00+01:00",
    "  - {at: 2026-11-20T16:35:00+01:00, event: note, by: bob, text: Paged the on-call.}\n",
).replace("tier: enterprise", "tier: business")
AFTER_CLOSING = "2026-11-20T17:00:00Z"


def test_a_deadline_on_closing_time_is_overdue_once_past(playbook: Path) -> None:
    import json

    write(playbook, CLOSING_TIME)
    result = sla(playbook, "--now", AFTER_CLOSING, "--format", "json")
    assert result.code == 1
    report = json.loads(result.out)
    ack = report["escalations"][0]["clocks"][0]
    assert (ack["clock"], ack["state"], ack["deadline"]) == (
        "acknowledge",
        "overdue",
        "2026-11-20T16:00:00Z",
    )
    assert (ack["elapsed_seconds"], ack["remaining_seconds"], ack["overdue_seconds"]) == (
        1800.0,
        0.0,
        0.0,
    )
    assert report["overdue"] == [
        {"id": "ESC-2026-0106", "clock": "acknowledge", "overdue_seconds": 0.0}
    ]
    # On the deadline itself it is not late yet.
    assert sla(playbook, "--now", "2026-11-20T16:00:00Z").code == 0


def test_a_deadline_on_closing_time_reads_past_the_deadline(playbook: Path) -> None:
    write(playbook, CLOSING_TIME)
    table = sla(playbook, "--now", AFTER_CLOSING).out.splitlines()
    assert "past the deadline" in table[1] and "0m" not in table[1]
    annotation = sla(playbook, "--now", AFTER_CLOSING, "--format", "github").out.splitlines()[0]
    assert annotation.endswith(
        "title=SLA overdue::ESC-2026-0106 acknowledge overdue: past its deadline of "
        "2026-11-20 16:00Z (owner alice)"
    )


# --- what a warm run reads ----------------------------------------------------------------------
# A run plans every record once (in the parse workers, or here) and the parse cache keeps the
# plans; a later run over unchanged files and policy reads the plans and nothing else.


def _forbid(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make planning a record and decoding the cached records' data traceable."""
    from escalate import repo as repo_module
    from escalate import sla as sla_module

    done: list[str] = []
    plan, data = sla_module._plan, repo_module._CachedData.data

    def planned(escalation: Any, rules: Any, as_of: Any, **options: Any) -> Any:
        done.append(f"plan {escalation.id}")
        return plan(escalation, rules, as_of, **options)

    def decoded(self: Any, path: str) -> Any:
        done.append(f"decode {path}")
        return data(self, path)

    monkeypatch.setattr(sla_module, "_plan", planned)
    monkeypatch.setattr(repo_module._CachedData, "data", decoded)
    return done


def test_a_warm_run_reads_the_kept_plans_and_not_the_records(
    playbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(playbook, OVERDUE, AT_RISK, CLOSED)
    cold = _json(playbook, "--all")
    done = _forbid(monkeypatch)
    assert _json(playbook, "--all") == cold
    later = sla(playbook, "--now", "2026-11-23T12:00:00Z", "--format", "json")
    assert done == [], "a warm run decoded records or planned them"
    import json

    # A day later only the counting clocks moved.
    moved = json.loads(later.out)["escalations"][0]["clocks"]
    assert (
        moved[0]["overdue_seconds"]
        == cold["escalations"][0]["clocks"][0]["overdue_seconds"] + 86400
    )


def test_an_edited_record_alone_is_planned_again(
    playbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(playbook, OVERDUE, AT_RISK)
    _json(playbook)
    done = _forbid(monkeypatch)
    acknowledged = OVERDUE.replace(
        "text: Paged the on-call.}\n",
        "text: Paged the on-call.}\n  - {at: 2026-11-22T09:10:00Z, event: acknowledged, by: alice}\n",
    )
    write(playbook, acknowledged)
    report = _json(playbook)
    # The cache is written again, the other record's data as the bytes it was read as.
    assert done == ["plan ESC-2026-0101"]
    (overdue,) = [e for e in report["escalations"] if e["id"] == "ESC-2026-0101"]
    assert overdue["clocks"][0]["state"] == "met"


def test_an_edited_policy_plans_every_record_again(playbook: Path) -> None:
    write(playbook, AT_RISK)
    assert _json(playbook)["escalations"][0]["clocks"][0]["target_seconds"] == 3600
    matrix = playbook / "policy" / "matrix.yaml"
    text = matrix.read_text(encoding="utf-8")
    rule = "{severity: sev3, tier: enterprise, acknowledge: 1h"
    assert text.count(rule) == 1, "the enterprise sev3 target this test edits"
    matrix.write_text(text.replace(rule, rule.replace("1h", "2h")), encoding="utf-8")
    assert _json(playbook)["escalations"][0]["clocks"][0]["target_seconds"] == 7200


def test_an_earlier_now_plans_the_record_as_of_then(
    playbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(playbook, AT_RISK)
    _json(playbook)
    done = _forbid(monkeypatch)
    # Before the 11:00 update: the kept plan (of the whole timeline) does not hold then.
    report = sla(playbook, "--now", "2026-11-22T10:00:00Z", "--format", "json").out
    assert [step for step in done if step.startswith("plan")] == ["plan ESC-2026-0102"]
    import json

    (update,) = [
        c for c in json.loads(report)["escalations"][0]["clocks"] if c["clock"] == "customer_update"
    ]
    assert update["started_at"] == "2026-11-18T15:20:00Z"  # the acknowledgment's cycle


def test_json_keeps_non_ascii_text(playbook: Path) -> None:
    write(playbook, AT_RISK.replace("for one shop", "für einen Shop"))
    result = sla(playbook, "--now", NOW, "--format", "json")
    assert '"title":"Card payments failing für einen Shop"' in result.out  # compact: a pipe


def test_a_finished_case_is_planned_in_full_only_for_all(
    playbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CLOSED is resolved, closed, without actions, and sev3 on enterprise wants no postmortem:
    # nothing of it can count again, so its kept plan leaves the clocks out.
    write(playbook, OVERDUE, CLOSED)
    assert [e["id"] for e in _json(playbook)["escalations"]] == ["ESC-2026-0101"]
    done = _forbid(monkeypatch)
    every = _json(playbook, "--all")
    (closed,) = [e for e in every["escalations"] if e["id"] == "ESC-2026-0103"]
    assert [(c["clock"], c["state"]) for c in closed["clocks"]] == [
        ("acknowledge", "met"),
        ("customer_update", "met"),
        ("resolve", "met"),
    ]
    assert [step for step in done if step.startswith("plan")] == ["plan ESC-2026-0103"]
    assert _json(playbook, "--all") == every
    assert [step for step in done if step.startswith("plan")] == ["plan ESC-2026-0103"], "kept"


def test_after_validate_the_records_are_planned_in_the_workers(
    playbook: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from escalate import repo as repo_module

    write(playbook, OVERDUE, AT_RISK, CLOSED)
    expected = _json(playbook, "--all")
    shutil.rmtree(Path(os.environ["ESCALATE_CACHE_DIR"]))
    # validate fills the cache with every file but no SLA plans.
    runner = CliRunner()
    with runner.isolation():
        assert main(["--repo", str(playbook), "validate"]) == 0
    monkeypatch.setattr(repo_module, "PARALLEL_THRESHOLD", 1)  # a pool even for three files
    monkeypatch.setattr(repo_module.os, "cpu_count", lambda: 2)
    done = _forbid(monkeypatch)  # what this process does; the workers are others
    assert _json(playbook, "--all") == expected
    # Here only what --all asks of the finished case: its clocks in full (FINISHED_PLAN).
    assert done == ["decode incidents/2026/ESC-2026-0103/escalation.yaml", "plan ESC-2026-0103"]
    done.clear()
    assert _json(playbook, "--all") == expected
    assert done == [], "and kept"
