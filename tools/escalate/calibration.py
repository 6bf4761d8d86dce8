"""Score calibration: does the scoring model sort past escalations the way the team did?

Every non-drill record is scored with the current policy (`escalate.scoring.score`) and
compared with two judgements the team made itself.

* **Severity.** Each severity expects the band at the same position: severities in the order
  `policy/severity.yaml` lists them (most severe first) against bands from the highest `min`
  down, so sev1 ↔ P1, sev2 ↔ P2, sev3 ↔ P3, sev4 ↔ P4. Severities beyond the last band
  expect the last band. A record whose band is above or below the one its current severity
  expects disagrees.
* **Outcome.** A record in the lower half of the bands (P3 and P4 of four) disagrees when
  what happened says it was bigger: it reached one of the top two levels of the path (L4,
  L5), its severity was reclassified upward, or its resolve clock was missed or is overdue
  as of `now` (measured by `escalate.sla`; the check is skipped, and says so, when that
  module cannot measure the record).
"""

from __future__ import annotations

import importlib.util
import itertools
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .errors import PolicyError
from .policy import Policy
from .records import Escalation
from .scoring import Score, score

__all__ = [
    "BUCKET_POINTS",
    "Calibration",
    "Disagreement",
    "Distribution",
    "bands_of",
    "calibrate",
    "expected_bands",
    "sparkline",
]

BUCKET_POINTS = 10  # histogram buckets: 0-9, 10-19, ..., 90-100
BUCKETS = 10


def bands_of(policy: Policy) -> list[Mapping[str, Any]]:
    """The scoring bands from the highest `min` down."""
    return sorted(policy.scoring.get("bands", []), key=lambda band: -float(band["min"]))


def expected_bands(policy: Policy) -> dict[str, str]:
    """Severity id -> the priority it expects: the band at the same position."""
    priorities = [str(band["priority"]) for band in bands_of(policy)]
    if not priorities:
        return {}
    return {
        severity: priorities[min(position, len(priorities) - 1)]
        for position, severity in enumerate(policy.severities)
    }


@dataclass(frozen=True)
class Distribution:
    """The scores of one severity's records."""

    severity: str
    scores: tuple[int, ...]  # ascending

    @property
    def count(self) -> int:
        return len(self.scores)

    @property
    def minimum(self) -> int:
        return self.scores[0]

    @property
    def maximum(self) -> int:
        return self.scores[-1]

    @property
    def median(self) -> float:
        return float(statistics.median(self.scores))

    @property
    def histogram(self) -> list[int]:
        """Records per bucket of BUCKET_POINTS points; 100 falls in the last bucket."""
        counts = [0] * BUCKETS
        for value in self.scores:
            counts[min(max(value, 0) // BUCKET_POINTS, BUCKETS - 1)] += 1
        return counts

    def as_json(self, expected: str | None) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "expected_band": expected,
            "count": self.count,
            "min": self.minimum,
            "median": self.median,
            "max": self.maximum,
            "histogram": self.histogram,
        }


@dataclass(frozen=True)
class Disagreement:
    """A record whose band the team's own judgement contradicts, and in which way."""

    escalation: Escalation
    result: Score
    severity: str
    expected: str | None
    kinds: tuple[str, ...]  # "severity" and/or "outcome"
    reasons: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.escalation.id,
            "file": self.escalation.path,
            "title": self.escalation.title,
            "severity": self.severity,
            "score": self.result.total,
            "priority": self.result.priority,
            "expected_band": self.expected,
            "kinds": list(self.kinds),
            "reasons": list(self.reasons),
        }


@dataclass
class Calibration:
    """Score distributions per severity and the records the model sorts differently."""

    now: datetime
    expected: dict[str, str]
    distributions: list[Distribution] = field(default_factory=list)
    disagreements: list[Disagreement] = field(default_factory=list)
    records: int = 0
    drills: int = 0
    notes: list[str] = field(default_factory=list)  # checks that could not be made

    def as_json(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "records": self.records,
            "drills_excluded": self.drills,
            "bucket_points": BUCKET_POINTS,
            "expected_bands": self.expected,
            "distributions": [
                dist.as_json(self.expected.get(dist.severity)) for dist in self.distributions
            ],
            "disagreements": [entry.as_json() for entry in self.disagreements],
            "notes": self.notes,
        }


def _resolve_breach(escalation: Escalation, policy: Policy, now: datetime) -> str | None:
    """'missed' or 'overdue' when the resolve clock is past its target; None otherwise."""
    from .sla import clocks_for

    for clock in clocks_for(escalation, policy, now):
        if clock.clock == "resolve" and clock.state in ("missed", "overdue"):
            return clock.state
    return None


def _outcome(
    escalation: Escalation,
    policy: Policy,
    now: datetime,
    notes: list[str],
    measure_sla: bool,
) -> list[str]:
    reasons = []
    state = escalation.state
    top = list(policy.levels)[-2:]
    reached = [level for _, level in state.levels if level in top]
    if reached:
        highest = max(reached, key=policy.level_rank)
        reasons.append(f"escalated to {highest}")
    order = list(policy.severities)
    history = [severity for _, severity in state.severities]
    for before, after in itertools.pairwise(history):
        if before in order and after in order and order.index(after) < order.index(before):
            reasons.append(f"reclassified upward ({before} → {after})")
            break
    if measure_sla:
        try:
            breach = _resolve_breach(escalation, policy, now)
        except PolicyError as exc:
            notes.append(f"{escalation.id}: resolve clock not measured: {exc.message}")
            breach = None
        if breach is not None:
            reasons.append(f"resolve target {breach}")
    return reasons


def calibrate(escalations: Iterable[Escalation], policy: Policy, now: datetime) -> Calibration:
    """Score every non-drill record and compare each band with its severity and outcome."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("calibration needs a timezone-aware now (resolve clocks use it)")
    expected = expected_bands(policy)
    priorities = [str(band["priority"]) for band in bands_of(policy)]
    low = set(priorities[(len(priorities) + 1) // 2 :])  # the lower half: P3, P4 of four
    result = Calibration(now=now, expected=expected)
    measure_sla = importlib.util.find_spec(f"{__package__}.sla") is not None
    if not measure_sla:  # pragma: no cover - the SLA module ships with the package
        result.notes.append("resolve targets not checked: escalate.sla is not available")

    by_severity: dict[str, list[int]] = {}
    for escalation in escalations:
        if escalation.drill:
            result.drills += 1
            continue
        result.records += 1
        scored = score(escalation, policy)
        severity = escalation.state.severity
        by_severity.setdefault(severity, []).append(scored.total)
        kinds: list[str] = []
        reasons: list[str] = []
        wanted = expected.get(severity)
        if wanted is not None and scored.priority != wanted and scored.priority in priorities:
            above = priorities.index(scored.priority) < priorities.index(wanted)
            kinds.append("severity")
            floor = scored.floor
            forced = f", forced by the {floor.flag} floor" if floor and scored.floored else ""
            reasons.append(
                f"{severity} expects {wanted}; scored {scored.total} → {scored.priority} "
                f"({'above' if above else 'below'} its severity{forced})"
            )
        if scored.priority in low:
            outcome = _outcome(escalation, policy, now, result.notes, measure_sla)
            if outcome:
                kinds.append("outcome")
                reasons.append(f"{scored.priority} but " + ", ".join(outcome))
        if kinds:
            result.disagreements.append(
                Disagreement(escalation, scored, severity, wanted, tuple(kinds), tuple(reasons))
            )

    order = list(policy.severities)
    for severity in sorted(
        by_severity, key=lambda s: (order.index(s) if s in order else len(order), s)
    ):
        result.distributions.append(Distribution(severity, tuple(sorted(by_severity[severity]))))
    result.disagreements.sort(key=lambda entry: entry.escalation.id)
    return result


_BLOCKS = " ▁▂▃▄▅▆▇█"


def sparkline(counts: Sequence[int], scale: int) -> str:
    """One character per bucket, as tall as its count relative to `scale` (blank for 0)."""
    if scale <= 0:
        return " " * len(counts)
    top = len(_BLOCKS) - 1
    return "".join(
        _BLOCKS[0] if count == 0 else _BLOCKS[max(1, round(count / scale * top))]
        for count in counts
    )
