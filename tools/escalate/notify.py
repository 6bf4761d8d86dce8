"""CI's alerts to the owning team: one chat message per case when something newly needs it.

Something needs the team when a clock of the case is overdue or at risk, or when its
triggers require a higher level than it is at. Each such fact has a key
(`clock:resolve:overdue`, `level:L3`); the keys already told are kept in a small state file
between runs, so the hourly watch posts a case again only when a key is new (a clock that
went from at risk to overdue, a new trigger), never for the same case and state twice.
A case whose keys all cleared is forgotten, so a later relapse is news again.

Pure functions here; posting and the state file are the CLI's (`escalate notify`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .records import Escalation, State
    from .repo import Repo

STATE_VERSION = 1
FLAGGED = ("overdue", "at_risk")


@dataclass(frozen=True)
class Concern:
    """One case's notable facts as of now: key -> the line that says it."""

    escalation: Escalation
    state: State
    facts: Mapping[str, str]


@dataclass(frozen=True)
class Alert:
    """A message to post: the case, what is new since the last message, and all its facts."""

    concern: Concern
    new: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.concern.escalation.id

    def headline(self) -> str:
        first = self.concern.facts[self.new[0]]
        more = len(self.new) - 1
        return first + (f" (and {more} more)" if more else "")

    def lines(self) -> list[str]:
        """Every fact, the new ones first and marked."""
        facts = self.concern.facts
        shown = [f"new: {facts[key]}" for key in self.new]
        shown += [facts[key] for key in sorted(facts) if key not in self.new]
        return shown


def concerns(repo: Repo, now: datetime) -> dict[str, Concern]:
    """Every non-drill case with a clock overdue or at risk, or a raise its triggers require."""
    from . import sla
    from .duration import format_duration
    from .routing import pending

    report = sla.check(repo, now, live_only=True)
    found: dict[str, Concern] = {}
    for escalation, clocks in report.escalations:
        if escalation.drill:
            continue
        state = report.state_of(escalation)
        facts: dict[str, str] = {}
        actions = {f"action:{a.get('id')}": a for a in escalation.data.get("actions") or []}
        for clock in clocks:
            if clock.state not in FLAGGED:
                continue
            action = actions.get(clock.clock)
            what = f"the {clock.clock.replace('_', ' ')} clock"
            if action is not None:
                owner = repo.policy.people.get(str(action.get("owner")))
                who = owner.name if owner is not None else str(action.get("owner"))
                what = f'action {action.get("id")} "{action.get("title")}" ({who})'
            if clock.state == "overdue":
                late = format_duration(clock.overdue_seconds)
                facts[f"clock:{clock.clock}:overdue"] = f"{what} is overdue ({late} late)"
            else:
                left = format_duration(clock.remaining_seconds or 0)
                facts[f"clock:{clock.clock}:at_risk"] = f"{what} is at risk ({left} left)"
        needs = pending(escalation, repo.policy, now, repo)
        if needs is not None:
            why = "; ".join(hit.reason for hit in needs.hits)
            facts[f"level:{needs.required}"] = (
                f"the triggers require {needs.required}, the case is at {needs.level} ({why})"
            )
        if facts:
            found[escalation.id] = Concern(escalation, state, facts)
    return found


def plan(current: Mapping[str, Concern], told: Mapping[str, frozenset[str]]) -> list[Alert]:
    """The alerts to post: cases with at least one fact not told before."""
    alerts = []
    for case_id in sorted(current):
        concern = current[case_id]
        before = told.get(case_id, frozenset())
        # Overdue before at risk, clocks before levels: the headline is the worst news.
        new = sorted((key for key in concern.facts if key not in before), key=_worst_first)
        if new:
            alerts.append(Alert(concern, tuple(new)))
    return alerts


def _worst_first(key: str) -> tuple[int, str]:
    """The case's own clocks overdue, then a raise, then late actions, then what is at risk."""
    if key.startswith("clock:action:"):
        rank = 2 if key.endswith(":overdue") else 4
    elif key.startswith("level:"):
        rank = 1
    else:
        rank = 0 if key.endswith(":overdue") else 3
    return rank, key


def remember(
    current: Mapping[str, Concern],
    told: Mapping[str, frozenset[str]],
    delivered: set[str],
) -> dict[str, frozenset[str]]:
    """What is told after this run: a delivered case's facts now, an undelivered case's facts
    as they were (so the next run tries again), and nothing of a case that cleared."""
    kept: dict[str, frozenset[str]] = {}
    for case_id, concern in current.items():
        if case_id in delivered:
            kept[case_id] = frozenset(concern.facts)
        elif case_id in told:
            # Facts that cleared are forgotten even for an undelivered case; facts that stay
            # and were told stay told.
            kept[case_id] = told[case_id] & frozenset(concern.facts)
    return kept


def load_state(text: str | None) -> dict[str, frozenset[str]]:
    """The told facts from the state file's text; an empty or foreign file tells nothing."""
    if not text:
        return {}
    try:
        data: Any = json.loads(text)
    except ValueError:
        return {}
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        return {}
    cases = data.get("cases")
    if not isinstance(cases, dict):
        return {}
    return {
        str(case_id): frozenset(str(key) for key in keys)
        for case_id, keys in cases.items()
        if isinstance(keys, list)
    }


def dump_state(told: Mapping[str, frozenset[str]]) -> str:
    cases = {case_id: sorted(keys) for case_id, keys in sorted(told.items()) if keys}
    return json.dumps({"version": STATE_VERSION, "cases": cases}, indent=2) + "\n"
