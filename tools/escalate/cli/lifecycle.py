"""The lifecycle verbs: `ack`, `assign`, `raise`, … — each appends exactly one event.

The record is edited as text (see `escalate.edits`): the diff of a command is the new
timeline line and nothing else. A command that cannot add its event leaves the file as it
was, byte for byte, and says why in one line.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeVar

import click

from .common import INSTANT, Context

F = TypeVar("F", bound=Callable[..., Any])

CHANNELS = ("email", "chat", "phone", "status_page", "portal")
PAUSE_REASONS = (
    "waiting_on_customer",
    "waiting_on_vendor",
    "customer_requested",
    "scheduled_change",
)
OPTION_NAMES = {
    "at": "--at",
    "by": "--by",
    "to": "--to",
    "level": "--level",
    "severity": "--severity",
    "reason": "--reason",
    "text": "--text",
    "channel": "--channel",
}


def event_options(text_required: bool = False) -> Callable[[F], F]:
    """ID, --by, --at, --now, --text and --channel: what every verb takes."""

    def decorate(function: F) -> F:
        for option in reversed(
            [
                click.argument("escalation_id", metavar="ID"),
                click.option(
                    "--by",
                    "by",
                    required=True,
                    metavar="HANDLE",
                    help="Who did it: a handle from policy/roster.yaml.",
                ),
                click.option(
                    "--at",
                    "at",
                    type=INSTANT,
                    default=None,
                    help="When it happened, with a zone offset (default: --now).",
                ),
                click.option(
                    "--now",
                    "now",
                    type=INSTANT,
                    default=None,
                    help="What now is for this run (default: $ESCALATE_NOW, else the clock).",
                ),
                click.option(
                    "--text",
                    "text",
                    required=text_required,
                    help="What happened, in a sentence." if not text_required else "The text.",
                ),
                click.option(
                    "--channel",
                    type=click.Choice(CHANNELS),
                    default=None,
                    help="How it was communicated.",
                ),
            ]
        ):
            function = option(function)
        return function

    return decorate


def resolve_now(now: datetime | None, zone: tzinfo | None = None) -> datetime:
    """--now, else $ESCALATE_NOW, else the clock: to the second, in the repo's zone."""
    if now is not None:
        return now
    configured = os.environ.get("ESCALATE_NOW")
    if configured:
        return INSTANT.convert(configured, None, None)
    clock = datetime.now(UTC).replace(microsecond=0)
    return clock.astimezone(zone) if zone is not None else clock


def append(
    ctx: Context,
    escalation_id: str,
    kind: str,
    *,
    by: str,
    at: datetime | None,
    now: datetime | None,
    text: str | None,
    channel: str | None,
    fields: Mapping[str, str] | None = None,
) -> None:
    """Check one event against the record, append it, and say what the case is now."""
    from ..edits import describe_event, instant_text, prepare_event, record_source
    from ..yamlio import atomic_write, directory_lock

    repo = ctx.repo()
    moment = resolve_now(now, repo.policy.default_timezone)
    if at is not None and at > moment:
        # A future event would put every real event after it out of order.
        raise click.BadParameter(
            f"{instant_text(at)} is later than now ({instant_text(moment)}); record an event "
            "once it has happened, at the time it happened (or pass --now if the clock is off)",
            param_hint="--at",
        )
    if text is not None and not text.strip():
        raise click.BadParameter("is empty; say in a sentence what happened", param_hint="--text")
    when = instant_text(at or moment)
    event: dict[str, str] = {"at": when, "event": kind, "by": by}
    event.update(fields or {})
    if channel is not None:
        event["channel"] = channel
    if text is not None:
        event["text"] = text
    source = record_source(repo, escalation_id)
    path = repo.root / source.path
    # Read, check and write under the record's lock, from the bytes on disk now: another
    # edit may have appended an event since the repository was loaded.
    with directory_lock(path.parent):
        raw = path.read_bytes()
        edit = prepare_event(repo, escalation_id, raw, event, OPTION_NAMES)
        atomic_write(path, edit.text)
    after = edit.after
    what = describe_event(edit.event, edit.before, repo.policy)
    changes = [f"status {after.status}"]
    if after.owner != edit.before.owner:
        changes.append(f"owner {after.owner}")
    if after.level != edit.before.level:
        changes.append(f"level {after.level}")
    if after.severity != edit.before.severity:
        changes.append(f"severity {after.severity}")
    click.echo(f"{escalation_id}: {what} by {by} at {when}; {', '.join(changes)}")


@click.command()
@event_options()
@click.pass_obj
def ack(ctx: Context, /, escalation_id: str, **options: Any) -> None:
    """Acknowledge the case (`acknowledged`): a person has taken it, not an auto-reply."""
    append(ctx, escalation_id, "acknowledged", **options)


@click.command()
@event_options()
@click.option("--to", "to", required=True, metavar="HANDLE", help="The new owner.")
@click.pass_obj
def assign(ctx: Context, /, escalation_id: str, to: str, **options: Any) -> None:
    """Hand the case to a new owner (`assigned`)."""
    append(ctx, escalation_id, "assigned", fields={"to": to}, **options)


@click.command(name="raise")
@event_options()
@click.option(
    "--level", "level", required=True, help="The level on the path, up or down (e.g. L4)."
)
@click.option("--to", "to", metavar="HANDLE", help="Hand the case to this person as well.")
@click.pass_obj
def raise_level(
    ctx: Context, /, escalation_id: str, level: str, to: str | None, **options: Any
) -> None:
    """Move the case along the escalation path, up or down (`escalated`)."""
    extra = {"level": level}
    if to is not None:
        extra["to"] = to
    append(ctx, escalation_id, "escalated", fields=extra, **options)


@click.command()
@event_options()
@click.option("--severity", "severity", required=True, help="The new severity (e.g. sev1).")
@click.pass_obj
def reclassify(ctx: Context, /, escalation_id: str, severity: str, **options: Any) -> None:
    """Change the severity (`reclassified`); every clock takes the new target."""
    append(ctx, escalation_id, "reclassified", fields={"severity": severity}, **options)


@click.command()
@event_options()
@click.option("--reason", "reason", required=True, type=click.Choice(PAUSE_REASONS))
@click.pass_obj
def pause(ctx: Context, /, escalation_id: str, reason: str, **options: Any) -> None:
    """Pause the clocks while waiting (`paused`)."""
    append(ctx, escalation_id, "paused", fields={"reason": reason}, **options)


@click.command()
@event_options()
@click.pass_obj
def resume(ctx: Context, /, escalation_id: str, **options: Any) -> None:
    """End a pause (`resumed`)."""
    append(ctx, escalation_id, "resumed", **options)


@click.command()
@event_options(text_required=True)
@click.option(
    "--customer",
    is_flag=True,
    help="The text was sent to the customer (`customer_update`); else an internal `update`.",
)
@click.pass_obj
def update(ctx: Context, /, escalation_id: str, customer: bool, **options: Any) -> None:
    """Log progress: an internal `update`, or with --customer what the customer was told."""
    append(ctx, escalation_id, "customer_update" if customer else "update", **options)


@click.command()
@event_options(text_required=True)
@click.pass_obj
def note(ctx: Context, /, escalation_id: str, **options: Any) -> None:
    """Add an internal note (`note`), e.g. to say why an earlier event was corrected."""
    append(ctx, escalation_id, "note", **options)


@click.command()
@event_options()
@click.pass_obj
def mitigate(ctx: Context, /, escalation_id: str, **options: Any) -> None:
    """Customer impact has stopped (`mitigated`)."""
    append(ctx, escalation_id, "mitigated", **options)


@click.command()
@event_options()
@click.pass_obj
def resolve(ctx: Context, /, escalation_id: str, **options: Any) -> None:
    """The problem is fixed and the customer told (`resolved`)."""
    append(ctx, escalation_id, "resolved", **options)


@click.command()
@event_options()
@click.pass_obj
def reopen(ctx: Context, /, escalation_id: str, **options: Any) -> None:
    """The fix did not hold (`reopened`); the resolve clock resumes."""
    append(ctx, escalation_id, "reopened", **options)


@click.command()
@event_options()
@click.pass_obj
def close(ctx: Context, /, escalation_id: str, **options: Any) -> None:
    """Close a resolved case once its follow-ups are in place (`closed`)."""
    append(ctx, escalation_id, "closed", **options)


COMMANDS = (
    ack,
    assign,
    raise_level,
    reclassify,
    pause,
    resume,
    update,
    note,
    mitigate,
    resolve,
    reopen,
    close,
)
