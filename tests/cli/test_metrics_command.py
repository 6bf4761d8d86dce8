"""`escalate metrics` on the repository's own example records."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-11-22T12:00:00Z"
DURATIONS = ("time_to_assign", "time_to_acknowledge", "time_to_mitigate", "time_to_resolve")


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return f"exit {self.exit_code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def run(*args: str) -> Result:
    """`escalate --repo ROOT --no-cache metrics ARGS` in-process, through the real entry point."""
    from escalate.cli import main

    runner = CliRunner()
    argv = ["--traceback", "--repo", str(ROOT), "--no-cache", "metrics", *args]
    with contextlib.chdir(ROOT), runner.isolation() as (stdout, stderr, _):
        code = main(argv)
        result = Result(code, stdout.getvalue().decode(), stderr.getvalue().decode())
    assert code != 3, str(result)
    return result


def metrics_json(*args: str) -> Any:
    result = run("--now", NOW, "--format", "json", *args)
    assert result.exit_code == 0, str(result)
    return json.loads(result.stdout)


def opened_months() -> dict[str, str]:
    """id -> month of opening in Berlin, for every non-drill example record."""
    found = {}
    for path in sorted((ROOT / "incidents").glob("*/*/escalation.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data.get("drill"):
            continue
        opened = data["opened_at"]
        if isinstance(opened, str):
            opened = datetime.fromisoformat(opened)
        found[data["id"]] = opened.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m")
    return found


@pytest.fixture(scope="module")
def report() -> Any:
    return metrics_json()


def test_json_has_stable_keys(report: Any) -> None:
    assert report["now"] == NOW
    assert report["period"] == {"since": None, "until": None, "timezone": "Europe/Berlin"}
    assert set(report) >= {
        "records",
        "durations",
        "sla",
        "volume",
        "repeats",
        "resolved_without_compensation",
        "reopened",
        "owners",
    }
    assert tuple(report["durations"]) == DURATIONS
    for metric in report["durations"].values():
        assert set(metric) == {"label", "all", "by_severity", "by_month"}
        assert set(metric["all"]) == {"count", "pending", "elapsed", "business"}
    assert {clock["clock"] for clock in report["sla"]} >= {"acknowledge", "resolve"}
    assert set(report["owners"][0]) >= {
        "handle",
        "cases",
        "active_seconds",
        "out_of_hours_seconds",
        "out_of_hours_share",
        "urgent_seconds",
        "out_of_hours_events",
        "working_calendar",
    }


def test_counts_add_up_to_the_non_drill_records(report: Any) -> None:
    months = opened_months()
    records = report["records"]
    assert records["counted"] == len(months)
    assert records["excluded"]["drill"] >= 1
    assert sum(records["by_severity"].values()) == len(months)
    assert records["by_month"] == {
        month: sum(1 for m in months.values() if m == month)
        for month in sorted(set(months.values()))
    }
    for metric in report["durations"].values():
        assert metric["all"]["count"] + metric["all"]["pending"] == len(months)
        for groups in (metric["by_severity"], metric["by_month"]):
            assert sum(g["count"] + g["pending"] for g in groups.values()) == len(months)
    # time to assign is never pending: no assigned event means assigned at opening
    assert report["durations"]["time_to_assign"]["all"]["pending"] == 0
    assert sum(month["escalations"] for month in report["volume"]["months"]) == len(months)
    assert report["repeats"]["of"] == len(months)
    weighted = sum(owner["weighted_cases"] for owner in report["owners"])
    assert weighted == pytest.approx(len(months), abs=1e-3)


def groups(report: Any) -> list[tuple[str, str, Any]]:
    found = []
    for name, metric in report["durations"].items():
        found.append((name, "all", metric["all"]))
        for key in ("by_severity", "by_month"):
            found += [(name, group, value) for group, value in metric[key].items()]
    return found


def test_distributions_are_ordered(report: Any) -> None:
    for name, group, value in groups(report):
        elapsed, business = value["elapsed"], value["business"]
        if value["count"] == 0:
            assert elapsed["median_seconds"] is None, (name, group)
            continue
        assert elapsed["p90_seconds"] >= elapsed["median_seconds"] >= 0, (name, group)
        assert business["p90_seconds"] >= business["median_seconds"] >= 0, (name, group)
        # open time never exceeds real time, record by record, so neither do the quantiles
        assert business["median_seconds"] <= elapsed["median_seconds"] + 1e-6, (name, group)
        assert business["p90_seconds"] <= elapsed["p90_seconds"] + 1e-6, (name, group)
        assert isinstance(elapsed["median"], str)


def test_rates_and_attainment_are_shares(report: Any) -> None:
    for clock in report["sla"]:
        stopped = clock["met"] + clock["missed"]
        if stopped:
            assert clock["attainment"] == pytest.approx(clock["met"] / stopped)
        else:
            assert clock["attainment"] is None
        assert clock["overdue"] >= 0
    for key in ("repeats", "resolved_without_compensation", "reopened"):
        rate = report[key]
        assert 0 <= rate["count"] <= rate["of"]
        assert rate["rate"] == pytest.approx(rate["count"] / rate["of"])
    resolved = report["durations"]["time_to_resolve"]["all"]["count"]
    assert report["reopened"]["of"] == resolved
    for owner in report["owners"]:
        assert 0 <= owner["out_of_hours_seconds"] <= owner["urgent_seconds"] + 1e-6
        assert owner["urgent_seconds"] <= owner["active_seconds"] + 1e-6
        assert owner["out_of_hours_events"] >= 0
        assert owner["cases"] >= 1
    for month in report["volume"]["months"]:
        if month["tickets"]:
            assert month["per_1000"] == pytest.approx(
                month["escalations"] * 1000 / month["tickets"]
            )
        else:
            assert month["per_1000"] is None and month["note"]


def test_text_report_has_every_section() -> None:
    result = run("--now", NOW)
    assert result.exit_code == 0, str(result)
    for heading in (
        "Escalation metrics as of 2026-11-22T12:00+00:00",
        "Time to assign",
        "Time to acknowledge",
        "Time to mitigate",
        "Time to resolve",
        "SLA attainment",
        "Escalations per 1,000 tickets",
        "Repeat escalations",
        "Resolved without compensation",
        "Resolved, then reopened",
        "Load per owner",
        "OOH EVENTS",
    ):
        assert heading in result.stdout, heading
    assert "BUSINESS MEDIAN" in result.stdout
    assert "2026-11" in result.stdout


def test_since_and_until_filter_by_opening_month() -> None:
    months = opened_months()
    september = sum(1 for month in months.values() if month == "2026-09")
    report = metrics_json("--since", "2026-09-01", "--until", "2026-10-01")
    assert report["period"]["since"] == "2026-08-31T22:00:00Z"  # midnight in Berlin (CEST)
    assert report["records"]["counted"] == september
    excluded = report["records"]["excluded"]
    everything = len(list((ROOT / "incidents").glob("*/*/escalation.yaml")))
    assert excluded["outside_period"] + excluded["drill"] == everything - september
    assert list(report["records"]["by_month"]) == ["2026-09"]
    assert [month["month"] for month in report["volume"]["months"]] == ["2026-09"]
    # an instant works as a bound too
    instant = metrics_json("--since", "2026-09-01T00:00:00+02:00", "--until", "2026-10-01")
    assert instant["records"] == report["records"]


def test_only_since_runs_to_now() -> None:
    report = metrics_json("--since", "2026-11-01")
    months = opened_months()
    assert report["records"]["counted"] == sum(1 for m in months.values() if m == "2026-11")


@pytest.mark.parametrize(
    "args",
    [
        ("--since", "2026-13-01"),
        ("--since", "yesterday"),
        ("--until", "2026-11-01T00:00:00"),  # no timezone
        ("--since", "2026-11-01", "--until", "2026-11-01"),  # empty period
        ("--since", "2026-12-01", "--until", "2026-11-01"),
        ("--format", "yaml"),
    ],
)
def test_bad_dates_are_usage_errors(args: tuple[str, ...]) -> None:
    result = run("--now", NOW, *args)
    assert result.exit_code == 2, str(result)
    assert result.stderr
