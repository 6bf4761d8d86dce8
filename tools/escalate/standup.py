"""The agenda of the escalation owners' standup, as of an instant.

In the order a standup works through it: cases whose triggers require a higher level than
they are at (decide now), clocks overdue or at risk, customer updates due in the next hours,
every open case by owner (who carries what), and follow-up actions due this week. Drills are
left out: a forgotten exercise must not take the meeting's time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .records import Escalation, State
    from .repo import Repo
    from .routing import Pending
    from .sla import Clock

FLAGGED_STATES = ("overdue", "at_risk")
DEFAULT_WINDOW = timedelta(hours=4)


@dataclass(frozen=True)
class Case:
    """One open case as the standup sees it."""

    escalation: Escalation
    state: State
    clocks: tuple[Clock, ...]

    @property
    def id(self) -> str:
        return self.escalation.id


@dataclass(frozen=True)
class ActionDue:
    escalation: Escalation
    action: Mapping[str, Any]
    due: datetime  # the end of the due date in the repository's zone
    overdue: bool


@dataclass
class Agenda:
    now: datetime
    week_ends: datetime
    window: timedelta
    raises: list[Pending] = field(default_factory=list)
    flagged: list[tuple[Case, Clock]] = field(default_factory=list)
    updates_due: list[tuple[Case, Clock]] = field(default_factory=list)
    by_owner: dict[str, list[Case]] = field(default_factory=dict)
    actions_due: list[ActionDue] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.raises or self.flagged or self.by_owner or self.actions_due)


def end_of_week(now: datetime, zone: Any) -> datetime:
    """The first instant of next Monday in the repository's zone: this week ends there."""
    local = now.astimezone(zone)
    monday = local.date() + timedelta(days=7 - local.weekday())
    return datetime.combine(monday, time(0), tzinfo=zone)


def agenda(repo: Repo, now: datetime, window: timedelta = DEFAULT_WINDOW) -> Agenda:
    """The standup agenda as of now; `window` is how far ahead customer updates count as due."""
    from . import sla
    from .routing import pending

    policy = repo.policy
    zone = policy.default_timezone
    report = sla.check(repo, now, live_only=True)
    found = Agenda(now=now, week_ends=end_of_week(now, zone), window=window)
    horizon = now + window
    for escalation, clocks in report.escalations:
        if escalation.drill:
            continue
        state = report.state_of(escalation)
        case = Case(escalation, state, tuple(clocks))
        if state.active:
            found.by_owner.setdefault(state.owner, []).append(case)
            needs = pending(escalation, policy, now, repo)
            if needs is not None:
                found.raises.append(needs)
        for clock in clocks:
            if clock.state in FLAGGED_STATES:
                found.flagged.append((case, clock))
            cadence = clock.clock == "customer_update" and clock.live and state.active
            if cadence and clock.deadline is not None and clock.deadline <= horizon:
                found.updates_due.append((case, clock))
        actions = {str(a.get("id")): a for a in escalation.data.get("actions") or []}
        for clock in clocks:
            # An action's clock is due at the end of its due date in the repository's zone,
            # and live until the action is done.
            action = actions.get(clock.clock.removeprefix("action:"))
            if clock.clock.startswith("action:") and action is not None and clock.live:
                due = clock.deadline or now
                if due <= found.week_ends:
                    found.actions_due.append(ActionDue(escalation, action, due, due < now))
    found.flagged.sort(key=lambda pair: (pair[1].state != "overdue", -pair[1].overdue_seconds))
    found.updates_due.sort(key=lambda pair: pair[1].deadline or now)
    found.actions_due.sort(key=lambda item: (item.due, item.escalation.id))
    for cases in found.by_owner.values():
        cases.sort(key=lambda case: (case.state.severity, case.escalation.opened_at))
    found.by_owner = dict(sorted(found.by_owner.items()))
    return found
