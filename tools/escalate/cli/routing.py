"""`escalate oncall`, `escalate roster check` and `escalate triggers`: who is on call, where
the roster leaves a team uncovered, and which open cases sit below the level their triggers
require. The answers come from `escalate.routing`; this module only words them."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import click

from .common import EXIT_FINDINGS, EXIT_OK, INSTANT, Context, echo_json, format_option, now_option

if TYPE_CHECKING:
    from ..policy import Policy
    from ..rotation import Shift
    from ..routing import Duty, OnCall

DEFAULT_WINDOW = timedelta(days=28)


def _now_default() -> str:
    return os.environ.get("ESCALATE_NOW") or "now"


def _minute(at: datetime) -> str:
    from ..routing import short_instant

    return short_instant(at)


def _policy(ctx: Context) -> Policy:
    """Only the policy: on-call questions need no records, and a large history loads slowly."""
    from ..policy import load_policy
    from ..schema import SchemaStore

    root = ctx.root()
    policy, _ = load_policy(root, SchemaStore(root))
    return policy


def _require(policy: Policy, *kinds: str) -> None:
    from ..errors import PolicyError

    for kind in kinds:
        if not policy.usable(kind):
            raise PolicyError(
                f"policy/{kind}.yaml has errors; run `escalate validate` and fix them first",
                path=policy.file(kind),
                rule="policy/unusable",
            )


# --- oncall --------------------------------------------------------------------------------


def _person(policy: Policy, shift: Shift) -> str:
    person = policy.people.get(shift.handle)
    return (
        f"{shift.handle} ({person.name})"
        if person and person.name != shift.handle
        else shift.handle
    )


def _duty_lines(policy: Policy, duty: Duty, layered: bool) -> list[str]:
    label = f"{duty.layer or 'on call'}: " if layered else ""
    if duty.current is None or duty.problem is not None:
        who = "nobody" if duty.current is None else _person(policy, duty.current)
        line = f"  {label}{who} - {duty.problem}"
    else:
        until = duty.next.start if duty.next is not None else duty.current.end
        line = f"  {label}{_person(policy, duty.current)} until {_minute(until)}"
    lines = [line]
    if duty.current is not None and duty.current.override and duty.current.reason:
        lines.append(f"      override: {duty.current.reason}")
    if duty.next is not None:
        lines.append(f"      next: {_person(policy, duty.next)} from {_minute(duty.next.start)}")
        if duty.next.override and duty.next.reason:
            lines.append(f"      override: {duty.next.reason}")
    return lines


def _team_lines(policy: Policy, team: OnCall) -> list[str]:
    heading = f"{team.team}" + (f" - {team.name}" if team.name != team.team else "")
    heading += f" ({team.level})" if team.level else ""
    lines = [heading]
    if not team.duties:
        lines.append("  nobody - no rotation in policy/roster.yaml")
    for duty in team.duties:
        lines.extend(_duty_lines(policy, duty, layered=len(team.duties) > 1))
    return lines


@click.command()
@click.argument("team", required=False)
@click.option(
    "--at",
    "--now",
    "at",
    type=INSTANT,
    default=_now_default,
    show_default="now, or $ESCALATE_NOW",
    help="The instant to ask about.",
)
@format_option("text", "json")
@click.pass_obj
def oncall(ctx: Context, team: str | None, at: datetime, output_format: str) -> None:
    """Who is on call now and who is next, for every team or for TEAM.

    Overrides are shown with their reasons. Before a rotation's start nobody is on call in
    it, and neither is a person missing from `people` or belonging to another team.
    """
    from ..errors import UsageError
    from ..routing import on_call_teams, routable_teams
    from ..schema import suggest

    policy = _policy(ctx)
    _require(policy, "roster")
    if team is not None:
        known = {*policy.teams, *routable_teams(policy)}
        if team not in known:
            raise UsageError(
                f"unknown team {team!r}{suggest(team, known)} "
                f"(the teams in policy/roster.yaml: {', '.join(policy.teams)})"
            )
    teams = on_call_teams(policy, at, team)
    if output_format == "json":
        view = {"at": at.isoformat(), "teams": [entry.as_json(policy) for entry in teams]}
        echo_json(view)
        return
    click.echo(f"On call at {_minute(at)}")
    for entry in teams:
        click.echo("")
        click.echo("\n".join(_team_lines(policy, entry)))


# --- roster check ----------------------------------------------------------------------------


@click.group()
def roster() -> None:
    """The on-call roster in policy/roster.yaml."""


@roster.command("check")
@click.option(
    "--from",
    "start",
    type=INSTANT,
    default=_now_default,
    show_default="now, or $ESCALATE_NOW",
    help="Start of the window to check.",
)
@click.option(
    "--to",
    "end",
    type=INSTANT,
    default=None,
    show_default="28 days after --from",
    help="End of the window to check.",
)
@format_option("text", "json")
@click.pass_obj
def check(ctx: Context, start: datetime, end: datetime | None, output_format: str) -> int:
    """Find coverage gaps: times when a team the matrix routes to has nobody on call.

    Every instant counts, weekends and holidays included. A gap is a rotation that has not
    started yet, an override or member who is not a person of the team, or a team without a
    rotation. Exits 1 when there is a gap.
    """
    from ..errors import UsageError
    from ..routing import coverage_gaps, routable_teams

    end = end if end is not None else start + DEFAULT_WINDOW
    if end <= start:
        raise UsageError(f"--to {end.isoformat()} must be after --from {start.isoformat()}")
    policy = _policy(ctx)
    _require(policy, "roster", "matrix")
    gaps = coverage_gaps(policy, start, end)
    teams = routable_teams(policy)
    if output_format == "json":
        view = {
            "from": start.isoformat(),
            "to": end.isoformat(),
            "ok": not gaps,
            "teams": teams,
            "gaps": [gap.as_json() for gap in gaps],
        }
        echo_json(view)
    else:
        from ..duration import format_duration

        window = f"{_minute(start)} to {_minute(end)}"
        if not gaps:
            click.echo(
                f"Every team the matrix routes to ({len(teams)}) has someone on call from {window}."
            )
        else:
            width = max(len(gap.team) for gap in gaps)
            for gap in gaps:
                click.echo(
                    f"{gap.team:<{width}}  {_minute(gap.start)} to {_minute(gap.end)} "
                    f"({format_duration(gap.seconds)})  {gap.reason}"
                )
            uncovered = len({gap.team for gap in gaps})
            click.echo(
                f"\n{len(gaps)} coverage {'gap' if len(gaps) == 1 else 'gaps'} in "
                f"{uncovered} of {len(teams)} teams from {window}",
                err=True,
            )
    return EXIT_FINDINGS if gaps else EXIT_OK


# --- triggers ------------------------------------------------------------------------------


@click.command()
@now_option()
@format_option("text", "json")
@click.option(
    "--fail-on-pending",
    is_flag=True,
    help="Exit 1 when a case (not a drill) is below the level its triggers require.",
)
@click.pass_obj
def triggers(ctx: Context, now: datetime, output_format: str, fail_on_pending: bool) -> int:
    """List open cases below the level their escalation triggers require, and why.

    Triggers come from policy/matrix.yaml: severity, impact flags, tier, time unresolved
    (open time on the tier's calendar, pauses excluded, like the resolve clock) and repeats
    (`related`). Drills are listed but never fail --fail-on-pending.
    """
    from ..routing import pending

    repo = ctx.repo()
    _require(repo.policy, "matrix")
    found = [
        entry
        for escalation in sorted(repo.escalations.values(), key=lambda e: e.id)
        if (entry := pending(escalation, repo.policy, now, repo)) is not None
    ]
    if output_format == "json":
        view = {"now": now.isoformat(), "pending": [entry.as_json() for entry in found]}
        echo_json(view)
    else:
        for entry in found:
            drill = "  (drill)" if entry.escalation.drill else ""
            click.echo(
                f"{entry.escalation.id}  {entry.state.severity}  {entry.level} → needs "
                f"{entry.required}  owner {entry.state.owner}  {entry.state.status}{drill}  "
                f"{entry.escalation.title[:60]}"
            )
            for hit in entry.hits:
                click.echo(f"  {hit.trigger} ({hit.level}): {hit.reason}")
        as_of = _minute(now)
        if found:
            click.echo(
                f"\n{len(found)} open {'case is' if len(found) == 1 else 'cases are'} below "
                f"the level {'its' if len(found) == 1 else 'their'} triggers require as of {as_of}",
                err=True,
            )
        else:
            click.echo(f"No open case is below the level its triggers require as of {as_of}.")
    failing = [entry for entry in found if not entry.escalation.drill]
    return EXIT_FINDINGS if fail_on_pending and failing else EXIT_OK
