"""Escalation metrics on small synthetic repositories, against hand-computed values."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from escalate.metrics import Metrics, compute, month_of, percentile
from escalate.repo import Repo

ROOT = Path(__file__).resolve().parents[2]
HOUR = 3600.0


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def record(
    number: int, opened_at: str, timeline: list[dict[str, Any]], **changes: Any
) -> dict[str, Any]:
    """A valid record; an enterprise customer (24x7 calendar) unless `customer` says otherwise."""
    data: dict[str, Any] = {
        "id": f"ESC-2026-{number:04d}",
        "title": f"Synthetic case {number}",
        "opened_at": opened_at,
        "reported_by": "bob",
        "severity": "sev4",
        "category": "payments",
        "customer": {"name": "Acme GmbH", "tier": "enterprise", "region": "emea"},
        "impact": {
            "customers_affected": 10,
            "revenue_at_risk": 0,
            "reputational_risk": "low",
            "summary": "Something is slow.",
        },
        "owner": "alice",
        "level": "L2",
        "timeline": timeline,
    }
    data.update(changes)
    return data


def event(at: str, kind: str, by: str = "alice", **extra: Any) -> dict[str, Any]:
    return {"at": at, "event": kind, "by": by, **extra}


@pytest.fixture
def playbook(tmp_path: Path) -> Path:
    root = tmp_path / "playbook"
    root.mkdir()
    shutil.copytree(ROOT / "policy", root / "policy")
    shutil.copytree(ROOT / "schema", root / "schema")
    return root


def write(root: Path, *records: dict[str, Any]) -> None:
    for data in records:
        folder = root / "incidents" / "2026" / data["id"]
        folder.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=200)
        (folder / "escalation.yaml").write_text(text, encoding="utf-8")


def measure(root: Path, now: str, **bounds: Any) -> Metrics:
    repo = Repo.load(root, use_cache=False)
    assert not repo.policy_findings
    return compute(repo, instant(now), **bounds)


# --- percentiles ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([1, 2, 3, 4], 0.5, 2.5),  # even count: the mean of the two middle values
        ([1, 2, 3, 4], 0.9, 3.7),  # h = 3 * 0.9 = 2.7: 3 + 0.7 * (4 - 3)
        ([3, 1, 2], 0.5, 2),  # unsorted input, odd count: the middle value
        (list(range(1, 11)), 0.9, 9.1),  # nearest rank would say 9
        ([7], 0.9, 7),
        ([0, 0, 0, 300], 0.9, 210),
        ([5, 10], 0.0, 5),
        ([5, 10], 1.0, 10),
    ],
)
def test_percentile_interpolates_linearly_between_closest_ranks(
    values: list[float], p: float, expected: float
) -> None:
    assert percentile(values, p) == pytest.approx(expected)


def test_percentile_of_nothing_is_none_and_p_is_checked() -> None:
    assert percentile([], 0.5) is None
    with pytest.raises(ValueError, match="within"):
        percentile([1], 1.5)


# --- durations -----------------------------------------------------------------------------


def acked_after(number: int, minutes: int, **changes: Any) -> dict[str, Any]:
    opened = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    ack = opened + timedelta(minutes=minutes)
    return record(
        number,
        opened.isoformat(),
        [event(ack.isoformat(), "acknowledged")],
        **changes,
    )


def test_median_and_p90_per_duration_with_pending_records(playbook: Path) -> None:
    first = acked_after(1, 10)
    first["timeline"].append(event("2026-11-02T10:15:00+00:00", "assigned", to="dan"))
    first["timeline"].append(event("2026-11-02T12:00:00+00:00", "resolved", by="dan"))
    second = acked_after(2, 20)
    second["timeline"].append(event("2026-11-02T14:00:00+00:00", "resolved"))
    write(playbook, first, second, acked_after(3, 30), acked_after(4, 40))
    result = measure(playbook, "2026-11-10T00:00:00Z")

    assert result.records == 4
    ack = result.durations["time_to_acknowledge"].all
    assert (ack.count, ack.pending) == (4, 0)
    assert ack.elapsed.median_seconds == 25 * 60
    assert ack.elapsed.p90_seconds == pytest.approx(37 * 60)
    # enterprise customers are on the 24x7 calendar: business time is real time
    assert ack.business == ack.elapsed

    # Three records never had an `assigned` event: their owner was set at opening (0 s).
    assign = result.durations["time_to_assign"].all
    assert (assign.count, assign.pending) == (4, 0)
    assert assign.elapsed.median_seconds == 0
    assert assign.elapsed.p90_seconds == pytest.approx(0.7 * 15 * 60)
    assert result.assigned_at_opening == 3

    resolve = result.durations["time_to_resolve"].all
    assert (resolve.count, resolve.pending) == (2, 2)
    assert resolve.elapsed.median_seconds == 3 * HOUR  # (2 h + 4 h) / 2
    # a resolution without a mitigation stops the mitigate measure too
    assert result.durations["time_to_mitigate"].all.elapsed.median_seconds == 3 * HOUR


def test_business_time_counts_only_the_tiers_calendar(playbook: Path) -> None:
    # Standard customer in EMEA: Berlin 09:00-17:00 on weekdays. Friday 16:00 to Monday 10:00
    # is 66 hours of real time and 2 hours of business time.
    write(
        playbook,
        record(
            1,
            "2026-11-06T16:00:00+01:00",
            [
                event("2026-11-06T16:05:00+01:00", "acknowledged"),
                event("2026-11-09T10:00:00+01:00", "resolved"),
            ],
            customer={"name": "Beta AG", "tier": "standard", "region": "emea"},
        ),
    )
    resolve = measure(playbook, "2026-11-20T00:00:00Z").durations["time_to_resolve"].all
    assert resolve.elapsed.median_seconds == 66 * HOUR
    assert resolve.business.median_seconds == 2 * HOUR


def test_groups_by_current_severity(playbook: Path) -> None:
    upgraded = acked_after(1, 10)
    upgraded["timeline"].append(event("2026-11-02T10:30:00+00:00", "reclassified", severity="sev3"))
    write(playbook, upgraded, acked_after(2, 20), acked_after(3, 30))
    result = measure(playbook, "2026-11-10T00:00:00Z")
    assert result.records_by_severity == {"sev3": 1, "sev4": 2}
    by_severity = result.durations["time_to_acknowledge"].by_severity
    assert list(by_severity) == ["sev3", "sev4"]  # policy order, most severe first
    assert by_severity["sev3"].elapsed.median_seconds == 10 * 60
    assert by_severity["sev4"].elapsed.median_seconds == 25 * 60


# --- months and volumes ----------------------------------------------------------------------


def month_records() -> list[dict[str, Any]]:
    # default_timezone is Europe/Berlin (UTC+1 in winter): 23:30 UTC on 31 October is already
    # 1 November there, and 23:30 UTC on 30 November is 1 December.
    return [
        record(1, "2026-10-31T22:30:00+00:00", []),  # 23:30 Berlin, still October
        record(2, "2026-10-31T23:30:00+00:00", []),  # 00:30 Berlin, November
        record(3, "2026-10-31T19:30:00-04:00", []),  # New York evening = 00:30 Berlin, November
        record(4, "2026-11-30T23:30:00+00:00", []),  # 00:30 Berlin, December
    ]


def test_month_of_opening_is_taken_in_the_default_timezone(playbook: Path) -> None:
    write(playbook, *month_records())
    result = measure(playbook, "2026-12-15T12:00:00Z")
    assert result.timezone == "Europe/Berlin"
    assert result.records_by_month == {"2026-10": 1, "2026-11": 2, "2026-12": 1}
    by_month = result.durations["time_to_assign"].by_month
    assert {month: group.records for month, group in by_month.items()} == {
        "2026-10": 1,
        "2026-11": 2,
        "2026-12": 1,
    }
    assert month_of(instant("2026-10-31T23:30:00+00:00"), result_zone(playbook)) == "2026-11"


def result_zone(root: Path) -> Any:
    return Repo.load(root, use_cache=False).policy.default_timezone


def test_escalations_per_thousand_tickets_with_and_without_volumes(playbook: Path) -> None:
    write(playbook, *month_records())
    result = measure(
        playbook, "2026-12-15T12:00:00Z", since=date(2026, 10, 1), until=date(2027, 1, 1)
    )
    months = {month.month: month for month in result.volumes}
    assert list(months) == ["2026-10", "2026-11", "2026-12"]
    # policy/volumes.yaml: 2026-10 43915 tickets, 2026-11 47618, nothing for 2026-12
    assert months["2026-10"].per_1000 == pytest.approx(1000 / 43915)
    assert months["2026-11"].per_1000 == pytest.approx(2000 / 47618)
    december = months["2026-12"]
    assert (december.escalations, december.tickets, december.per_1000) == (1, None, None)
    assert december.note is not None and "no ticket volume for 2026-12" in december.note
    assert result.per_1000 == pytest.approx(3000 / (43915 + 47618))
    as_json = result.as_json()["volume"]
    assert as_json["months"][2] == {
        "month": "2026-12",
        "escalations": 1,
        "tickets": None,
        "per_1000": None,
        "note": "no ticket volume for 2026-12 in policy/volumes.yaml",
    }


def test_volume_months_without_escalations_count_zero_and_unbounded_lists_all(
    playbook: Path,
) -> None:
    write(playbook, record(1, "2026-11-03T10:00:00+01:00", []))
    result = measure(playbook, "2026-11-20T12:00:00Z")
    months = {month.month: month for month in result.volumes}
    assert list(months) == [f"2026-{m:02d}" for m in range(5, 12)]
    assert months["2026-06"].escalations == 0
    assert months["2026-06"].per_1000 == 0.0
    assert months["2026-11"].per_1000 == pytest.approx(1000 / 47618)


def test_no_volume_file_says_so_instead_of_dividing_by_zero(playbook: Path) -> None:
    (playbook / "policy" / "volumes.yaml").unlink()  # optional policy file
    write(playbook, *month_records())
    result = measure(playbook, "2026-12-15T12:00:00Z")
    assert [month.tickets for month in result.volumes] == [None, None, None]
    assert [month.per_1000 for month in result.volumes] == [None, None, None]
    assert result.per_1000 is None


def test_a_month_with_zero_tickets_has_no_rate(playbook: Path) -> None:
    (playbook / "policy" / "volumes.yaml").write_text(
        'tickets:\n  "2026-11": 0\n', encoding="utf-8"
    )
    write(playbook, record(1, "2026-11-03T10:00:00+01:00", []))
    result = measure(playbook, "2026-11-20T12:00:00Z")
    (november,) = result.volumes
    assert (november.tickets, november.per_1000) == (0, None)
    assert november.note is not None
    assert result.per_1000 is None


# --- which records count ---------------------------------------------------------------------


def test_drills_are_excluded_from_everything(playbook: Path) -> None:
    real = acked_after(1, 10)
    drill = acked_after(2, 50, drill=True, owner="frank", related=["ESC-2026-0001"])
    write(playbook, real, drill)
    result = measure(playbook, "2026-11-10T00:00:00Z")
    assert result.records == 1
    assert result.excluded["drill"] == 1
    assert result.durations["time_to_acknowledge"].all.elapsed.median_seconds == 10 * 60
    assert result.repeats.as_json() == {"count": 0, "of": 1, "rate": 0.0}
    assert [owner.handle for owner in result.owners] == ["alice"]
    assert sum(month.escalations for month in result.volumes) == 1
    assert sum(clock.met + clock.missed + clock.overdue + clock.running for clock in result.sla)


def test_period_invalid_and_future_records_are_excluded(playbook: Path) -> None:
    before = record(1, "2026-10-31T22:59:00+00:00", [])  # 23:59 Berlin on 31 October
    inside = record(2, "2026-10-31T23:00:00+00:00", [])  # midnight Berlin: the first instant
    after = record(3, "2026-12-01T00:00:00+01:00", [])  # `until` is excluded
    impossible = record(
        4,
        "2026-11-05T10:00:00+01:00",
        [event("2026-11-05T11:00:00+01:00", "resumed")],  # never paused: fails validation
    )
    future = record(5, "2026-11-25T10:00:00+01:00", [])
    write(playbook, before, inside, after, impossible, future)
    broken = playbook / "incidents" / "2026" / "ESC-2026-0006"
    broken.mkdir(parents=True)
    (broken / "escalation.yaml").write_text("id: ESC-2026-0006\ntitle: [unclosed\n")
    result = measure(
        playbook, "2026-11-20T00:00:00Z", since=date(2026, 11, 1), until=date(2026, 12, 1)
    )
    assert result.records == 1
    assert result.excluded == {
        "outside_period": 2,
        "drill": 0,
        "invalid": 2,
        "not_yet_opened": 1,
    }
    assert result.since == instant("2026-11-01T00:00:00+01:00")


# --- rates -----------------------------------------------------------------------------------


def test_repeat_compensation_and_reopen_rates(playbook: Path) -> None:
    opened = "2026-11-02T10:00:00+00:00"
    credit = {
        "type": "service_credit",
        "amount": 100,
        "currency": "EUR",
        "granted_by": "carol",
        "at": "2026-11-03T10:00:00+00:00",
    }
    compensated = record(
        1, opened, [event("2026-11-02T12:00:00+00:00", "resolved")], remedies=[credit]
    )
    plain = record(
        2,
        opened,
        [event("2026-11-02T12:00:00+00:00", "resolved")],
        related=["ESC-2026-0001"],
    )
    reopened = record(
        3,
        opened,
        [
            event("2026-11-02T12:00:00+00:00", "resolved"),
            event("2026-11-04T09:00:00+00:00", "reopened"),
        ],
        related=["ESC-2026-0001"],
    )
    # granted only after `now`: not compensated yet
    late_credit = dict(credit, at="2026-11-30T10:00:00+00:00")
    late = record(
        4, opened, [event("2026-11-02T12:00:00+00:00", "resolved")], remedies=[late_credit]
    )
    unresolved = record(5, opened, [event("2026-11-02T10:05:00+00:00", "acknowledged")])
    write(playbook, compensated, plain, reopened, late, unresolved)
    result = measure(playbook, "2026-11-10T00:00:00Z")

    assert result.repeats.as_json() == {"count": 2, "of": 5, "rate": 0.4}
    # resolved at least once: 1, 2, 3 (reopened since) and 4; only 1 was compensated by now
    assert result.resolved_without_compensation.as_json() == {"count": 3, "of": 4, "rate": 0.75}
    assert result.reopened.as_json() == {"count": 1, "of": 4, "rate": 0.25}
    # the first resolution counts, though the case was reopened
    assert result.durations["time_to_resolve"].all.elapsed.median_seconds == 2 * HOUR


# --- SLA attainment --------------------------------------------------------------------------


def test_sla_attainment_counts_stopped_clocks_and_overdue_ones(playbook: Path) -> None:
    # Enterprise sev4 (24x7): acknowledge 8h, customer_update 2d, resolve 10d.
    on_time = record(
        1,
        "2026-11-02T10:00:00+00:00",
        [
            event("2026-11-02T11:00:00+00:00", "acknowledged"),
            event("2026-11-03T10:00:00+00:00", "resolved"),
        ],
    )
    late = record(
        2, "2026-11-02T10:00:00+00:00", [event("2026-11-02T19:00:00+00:00", "acknowledged")]
    )
    write(playbook, on_time, late)
    result = measure(playbook, "2026-11-13T10:00:00Z")  # 11 days after opening
    clocks = {clock.clock: clock for clock in result.sla}
    assert list(clocks) == ["acknowledge", "customer_update", "resolve"]
    assert (clocks["acknowledge"].met, clocks["acknowledge"].missed) == (1, 1)
    assert clocks["acknowledge"].attainment == 0.5
    assert clocks["acknowledge"].overdue == 0
    assert (clocks["resolve"].met, clocks["resolve"].missed, clocks["resolve"].overdue) == (1, 0, 1)
    assert clocks["resolve"].attainment == 1.0
    assert clocks["customer_update"].overdue == 1


def test_attainment_counts_a_stop_after_a_closing_time_deadline_as_missed(
    playbook: Path,
) -> None:
    # Business sev4 on emea-business (Berlin 09:00-17:00): acknowledge 8h from Mon 2 Nov
    # 09:00 CET runs out at 17:00 CET = 16:00Z, the closing time. Acknowledged at 17:00 CET:
    # met. Acknowledged at 18:00 CET: the same 8 h of open time, but after the deadline, so
    # missed, as `sla check` says.
    business = {"name": "Beta AG", "tier": "business", "region": "emea"}
    on_time = record(
        1,
        "2026-11-02T09:00:00+01:00",
        [event("2026-11-02T17:00:00+01:00", "acknowledged")],
        customer=business,
    )
    after_closing = record(
        2,
        "2026-11-02T09:00:00+01:00",
        [event("2026-11-02T18:00:00+01:00", "acknowledged")],
        customer=business,
    )
    write(playbook, on_time, after_closing)
    result = measure(playbook, "2026-11-03T12:00:00Z")
    acknowledge = next(clock for clock in result.sla if clock.clock == "acknowledge")
    assert (acknowledge.met, acknowledge.missed, acknowledge.attainment) == (1, 1, 0.5)


def test_attainment_is_none_when_no_clock_has_stopped(playbook: Path) -> None:
    write(playbook, record(1, "2026-11-02T10:00:00+00:00", []))
    result = measure(playbook, "2026-11-02T11:00:00Z")
    acknowledge = next(clock for clock in result.sla if clock.clock == "acknowledge")
    assert (acknowledge.met, acknowledge.missed, acknowledge.running) == (0, 0, 1)
    assert acknowledge.attainment is None
    assert result.as_json()["sla"][0]["attainment"] is None


# --- load per owner --------------------------------------------------------------------------


def weekend_case(severity: str) -> dict[str, Any]:
    # Saturday 7 November 10:00-14:00 in Berlin, alice's own time zone.
    return record(
        1,
        "2026-11-07T10:00:00+01:00",
        [
            event("2026-11-07T10:05:00+01:00", "acknowledged"),
            event("2026-11-07T14:00:00+01:00", "resolved"),
        ],
        severity=severity,
    )


def test_out_of_hours_on_a_weekend_is_all_of_an_urgent_case(playbook: Path) -> None:
    write(playbook, weekend_case("sev2"))
    (alice,) = measure(playbook, "2026-11-10T00:00:00Z").owners
    assert alice.handle == "alice"
    assert (alice.cases, alice.weighted_cases) == (1, 1.0)
    assert alice.active_seconds == alice.urgent_seconds == 4 * HOUR
    assert alice.out_of_hours_seconds == 4 * HOUR
    assert alice.out_of_hours_share == 1.0
    assert alice.out_of_hours_events == 2  # her ack and her resolution, both on a Saturday
    assert alice.working_calendar == "emea-business"


def test_owning_a_non_urgent_case_out_of_hours_is_not_out_of_hours_load(playbook: Path) -> None:
    # The same Saturday as sev4: nobody is woken for it, so no out-of-hours time; the two
    # events alice wrote on the Saturday still count.
    write(playbook, weekend_case("sev4"))
    (alice,) = measure(playbook, "2026-11-10T00:00:00Z").owners
    assert alice.active_seconds == 4 * HOUR
    assert (alice.urgent_seconds, alice.out_of_hours_seconds, alice.out_of_hours_share) == (
        0.0,
        0.0,
        0.0,
    )
    assert alice.out_of_hours_events == 2


@pytest.mark.parametrize(
    ("owner", "opened_at", "resolved_at"),
    [
        # Berlin leaves summer time on Sunday 25 October 2026: Friday 17:00 CEST to Monday
        # 10:00 CET is 66 real hours (not 65), of which 17:00-18:00 and 09:00-10:00 are
        # working hours.
        ("alice", "2026-10-23T17:00:00+02:00", "2026-10-26T10:00:00+01:00"),
        # New York leaves daylight time on Sunday 1 November 2026.
        ("erin", "2026-10-30T17:00:00-04:00", "2026-11-02T10:00:00-05:00"),
    ],
)
def test_out_of_hours_across_a_dst_change_uses_the_owners_wall_clock(
    playbook: Path, owner: str, opened_at: str, resolved_at: str
) -> None:
    write(
        playbook,
        record(
            1,
            opened_at,
            [event(opened_at, "acknowledged", by=owner), event(resolved_at, "resolved", by=owner)],
            owner=owner,
            severity="sev2",
        ),
    )
    (load,) = measure(playbook, "2026-11-20T00:00:00Z").owners
    assert load.handle == owner
    assert load.active_seconds == 66 * HOUR
    assert load.out_of_hours_seconds == 64 * HOUR
    assert load.out_of_hours_share == pytest.approx(64 / 66)
    assert load.out_of_hours_events == 0  # Friday 17:00 and Monday 10:00 are working time


def test_out_of_hours_takes_the_holidays_of_the_owners_home_calendar(playbook: Path) -> None:
    # Thursday 14 May 2026 is Ascension Day, a public holiday in Germany and not in the US.
    # alice (Berlin, home calendar emea-business) owns a sev1 10:00-14:00 CEST on it: all 4 h
    # are out of hours, and so are her two events. erin (New York, amer-business) owns one
    # 10:00-14:00 EDT on the same date: a working day there. liam (Dublin) works in a zone
    # without a calendar, so Tuesday 17 March (St Patrick's Day) 10:00-14:00 GMT is working
    # time for him: weekends only, no holidays.
    def case(number: int, owner: str, opened: str, resolved: str) -> dict[str, Any]:
        timeline = [
            event(opened.replace(":00:00", ":05:00", 1), "acknowledged", by=owner),
            event(resolved, "resolved", by=owner),
        ]
        return record(number, opened, timeline, owner=owner, severity="sev1")

    write(
        playbook,
        case(1, "alice", "2026-05-14T10:00:00+02:00", "2026-05-14T14:00:00+02:00"),
        case(2, "erin", "2026-05-14T10:00:00-04:00", "2026-05-14T14:00:00-04:00"),
        case(3, "liam", "2026-03-17T10:00:00+00:00", "2026-03-17T14:00:00+00:00"),
    )
    result = measure(playbook, "2026-06-01T00:00:00Z")
    assert result.records == 3
    owners = {owner.handle: owner for owner in result.owners}
    assert {handle: load.urgent_seconds for handle, load in owners.items()} == {
        "alice": 4 * HOUR,
        "erin": 4 * HOUR,
        "liam": 4 * HOUR,
    }
    assert (owners["alice"].out_of_hours_seconds, owners["alice"].out_of_hours_events) == (
        4 * HOUR,
        2,
    )
    assert (owners["erin"].out_of_hours_seconds, owners["erin"].out_of_hours_events) == (0, 0)
    assert (owners["liam"].out_of_hours_seconds, owners["liam"].out_of_hours_events) == (0, 0)
    assert [owners[h].working_calendar for h in ("alice", "erin", "liam")] == [
        "emea-business",
        "amer-business",
        None,
    ]


def test_out_of_hours_counts_only_urgent_time_and_the_owners_own_events(
    playbook: Path,
) -> None:
    # Tuesday 3 November, Berlin evening (all after 18:00, out of alice's and dan's hours).
    # Opened 19:00 as sev3, reclassified to sev2 at 20:00, handed to dan at 22:00, resolved
    # by him at 23:00. Active 19-23: alice owns 19-22 (3 h, urgent 20-22 = 2 h), dan 22-23
    # (1 h, urgent). Events by whoever owned the case just before: alice's ack, her
    # reclassification and her hand-over (3); dan's resolution (1); dan's note at 21:00 was
    # written while alice owned the case, so it is nobody's out-of-hours event.
    write(
        playbook,
        record(
            1,
            "2026-11-03T19:00:00+01:00",
            [
                event("2026-11-03T19:05:00+01:00", "acknowledged"),
                event("2026-11-03T20:00:00+01:00", "reclassified", severity="sev2"),
                event("2026-11-03T21:00:00+01:00", "note", by="dan", text="Looking too."),
                event("2026-11-03T22:00:00+01:00", "assigned", to="dan"),
                event("2026-11-03T23:00:00+01:00", "resolved", by="dan"),
            ],
            severity="sev3",
        ),
    )
    result = measure(playbook, "2026-11-10T00:00:00Z")
    assert result.records == 1
    owners = {owner.handle: owner for owner in result.owners}
    alice, dan = owners["alice"], owners["dan"]
    assert (alice.active_seconds, alice.urgent_seconds, alice.out_of_hours_seconds) == (
        3 * HOUR,
        2 * HOUR,
        2 * HOUR,
    )
    assert (dan.active_seconds, dan.urgent_seconds, dan.out_of_hours_seconds) == (
        HOUR,
        HOUR,
        HOUR,
    )
    assert (alice.out_of_hours_events, dan.out_of_hours_events) == (3, 1)
    assert alice.out_of_hours_share == pytest.approx(2 / 3)


def test_load_follows_the_owner_history_and_weights_by_time(playbook: Path) -> None:
    # Tuesday, all inside working hours in Berlin (10:00Z = 11:00 local).
    write(
        playbook,
        record(
            1,
            "2026-11-03T10:00:00+00:00",
            [
                event("2026-11-03T10:10:00+00:00", "acknowledged"),
                event("2026-11-03T12:00:00+00:00", "assigned", to="dan"),
                event("2026-11-03T16:00:00+00:00", "resolved", by="dan"),
                # handed back after resolution: owned, but never while active
                event("2026-11-04T09:00:00+00:00", "assigned", by="dan", to="carol"),
            ],
        ),
    )
    result = measure(playbook, "2026-11-10T00:00:00Z")
    owners = {owner.handle: owner for owner in result.owners}
    assert [owner.handle for owner in result.owners] == ["dan", "alice", "carol"]
    assert owners["alice"].active_seconds == 2 * HOUR
    assert owners["dan"].active_seconds == 4 * HOUR
    assert owners["carol"].active_seconds == 0
    assert owners["carol"].out_of_hours_share is None
    assert owners["alice"].weighted_cases == pytest.approx(1 / 3)
    assert owners["dan"].weighted_cases == pytest.approx(2 / 3)
    assert all(owner.cases == 1 for owner in result.owners)
    assert all(owner.out_of_hours_seconds == 0 for owner in result.owners)
    assert result.durations["time_to_assign"].all.elapsed.median_seconds == 2 * HOUR


def test_an_open_case_counts_until_now_and_reopening_counts_again(playbook: Path) -> None:
    write(
        playbook,
        record(
            1,
            "2026-11-03T10:00:00+00:00",  # Tuesday 11:00 Berlin
            [
                event("2026-11-03T11:00:00+00:00", "resolved"),
                event("2026-11-03T13:00:00+00:00", "reopened"),
                event("2026-11-03T14:00:00+00:00", "paused", reason="waiting_on_customer"),
            ],
        ),
    )
    # now is 15:00Z: active 10-11 and 13-15 (a wait on the customer still counts)
    (alice,) = measure(playbook, "2026-11-03T15:00:00Z").owners
    assert alice.active_seconds == 3 * HOUR


def test_events_after_now_have_not_happened(playbook: Path) -> None:
    write(
        playbook,
        record(
            1,
            "2026-11-03T10:00:00+00:00",
            [
                event("2026-11-03T10:30:00+00:00", "acknowledged"),
                event("2026-11-03T12:00:00+00:00", "reclassified", severity="sev3"),
                event("2026-11-05T10:00:00+00:00", "resolved"),
            ],
        ),
    )
    result = measure(playbook, "2026-11-03T11:00:00Z")
    assert result.records_by_severity == {"sev4": 1}
    assert result.durations["time_to_resolve"].all.pending == 1
    assert result.resolved_without_compensation.of == 0


def test_as_json_is_plain_data_with_stable_keys(playbook: Path) -> None:
    import json

    write(playbook, acked_after(1, 10))
    data = measure(playbook, "2026-11-10T00:00:00Z").as_json()
    assert list(data) == [
        "now",
        "period",
        "records",
        "durations",
        "sla",
        "volume",
        "repeats",
        "resolved_without_compensation",
        "reopened",
        "owners",
    ]
    assert data["now"] == "2026-11-10T00:00:00Z"
    assert list(data["durations"]) == [
        "time_to_assign",
        "time_to_acknowledge",
        "time_to_mitigate",
        "time_to_resolve",
    ]
    ack = data["durations"]["time_to_acknowledge"]["all"]
    assert ack["elapsed"] == {
        "median_seconds": 600.0,
        "p90_seconds": 600.0,
        "median": "10m",
        "p90": "10m",
    }
    assert json.loads(json.dumps(data)) == data


def test_naive_now_is_refused(playbook: Path) -> None:
    repo = Repo.load(playbook, use_cache=False)
    with pytest.raises(ValueError, match="naive"):
        compute(repo, datetime(2026, 11, 1))
