"""`escalate comms`: the message for a moment of a case, on a channel; `--send` posts chat."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..comms import AUDIENCES, CHANNELS, MOMENTS
from .common import INSTANT, Context, echo_json, format_option, now_option

if TYPE_CHECKING:
    from ..comms import Dispatch, Message

F = TypeVar("F", bound=Callable[..., Any])
TIMEOUT_SECONDS = 10.0  # what webhook.post_json waits by default, as a CLI default


def timeout_option(help_text: str) -> Callable[[F], F]:
    return click.option(
        "--timeout",
        type=click.FloatRange(min=0.1, max=120),
        default=TIMEOUT_SECONDS,
        show_default=True,
        help=help_text,
    )


@click.command()
@click.argument("escalation_id", metavar="ID")
@click.option("--moment", required=True, type=click.Choice(MOMENTS), help="Which message.")
@click.option("--channel", required=True, type=click.Choice(CHANNELS), help="Where it goes.")
@format_option("text", "json")
@click.option(
    "--now",
    "now",
    type=INSTANT,
    default=None,
    help="The instant the message is written at (default: $ESCALATE_NOW, else the clock).",
)
@click.option("--send", is_flag=True, help="Post the chat message and record it on the timeline.")
@click.option(
    "--dry-run", is_flag=True, help="With --send: show what would be posted and recorded."
)
@click.option(
    "--to",
    "audience",
    type=click.Choice(AUDIENCES),
    default="team",
    show_default=True,
    help="With --send: the owning team's channel, or the channel shared with the customer.",
)
@click.option(
    "--by", metavar="HANDLE", help="With --send: who sends it (a handle from the roster)."
)
@timeout_option("With --send: seconds to wait for the webhook (it is tried twice at most).")
@click.pass_obj
def comms(
    ctx: Context,
    escalation_id: str,
    moment: str,
    channel: str,
    output_format: str,
    now: datetime | None,
    send: bool,
    dry_run: bool,
    audience: str,
    by: str | None,
    timeout: float,
) -> None:
    """Render the message for a moment of the case (ack, escalated, update, mitigated,
    resolved, verify, postmortem) on a channel (email, chat, status).

    With --send, a chat message is posted to the webhook whose environment variable
    policy names (the team's webhook_env in policy/roster.yaml, or the tier's
    customer_webhook_env in policy/matrix.yaml with --to customer) and, only once the post
    succeeded, recorded on the timeline as an `update` (team) or `customer_update` (customer).
    """
    from .. import comms as core
    from ..errors import UsageError
    from .lifecycle import resolve_now

    if (dry_run or by or audience != "team" or timeout != TIMEOUT_SECONDS) and not send:
        raise UsageError("--dry-run, --to, --by and --timeout go with --send")
    if send and not by:
        raise UsageError("--send needs --by HANDLE: who posts the message")
    repo = ctx.repo()
    when = resolve_now(now, repo.policy.default_timezone)
    escalation = repo.escalation(escalation_id)
    message = core.render(repo, escalation, moment, channel, when)

    if not send:
        _show(message, output_format)
        return
    assert by is not None
    planned = core.dispatch(repo, escalation, message, audience, by, when)
    _post_and_record(ctx, escalation_id, message, planned, dry_run, output_format, timeout)


def _show(message: Message, output_format: str) -> None:
    if output_format == "json":
        echo_json(message.as_json())
    elif message.subject is not None:
        click.echo(f"Subject: {message.subject}\n\n{message.text}", nl=False)
    else:
        click.echo(message.text, nl=False)


def _post_and_record(
    ctx: Context,
    escalation_id: str,
    message: Message,
    planned: Dispatch,
    dry_run: bool,
    output_format: str,
    timeout: float,
) -> None:
    from ..edits import prepare_event, record_source
    from ..webhook import post_json, url_from_env
    from ..yamlio import atomic_write, directory_lock
    from .lifecycle import OPTION_NAMES

    repo = ctx.repo()
    source = record_source(repo, escalation_id)
    path = repo.root / source.path
    # The record stays locked from the check to the write, the post included: an edit that
    # lands meanwhile would make the event checked here not the one written.
    with directory_lock(path.parent):
        raw = path.read_bytes()
        # Everything that can refuse is checked before anything is posted: the record, the
        # event, the URL. A refused post must leave no trace, and a sent one must be recorded.
        edit = prepare_event(repo, escalation_id, raw, planned.event, OPTION_NAMES)
        if dry_run:
            _show_dry_run(message, planned, edit.event, source.path, output_format)
            return
        url = url_from_env(planned.variable)
        delivery = post_json(url, message.payload(), timeout=timeout)
        atomic_write(path, edit.text)
    tries = f" after {delivery.attempts} tries" if delivery.attempts > 1 else ""
    click.echo(
        f"{escalation_id}: posted the {message.moment} message to {planned.target}{tries}; "
        f"recorded {edit.event['event']} at {edit.event['at']} in {source.path}"
    )


def _show_dry_run(
    message: Message, planned: Dispatch, event: Mapping[str, str], path: str, output_format: str
) -> None:
    shown = {
        "would_post_to": planned.target,
        "webhook_variable": planned.variable,
        "payload": message.payload(),
        "would_record": dict(event),
    }
    if output_format == "json":
        echo_json(shown)
        return
    click.echo(f"Would post to {planned.target} (the URL in ${planned.variable}):\n")
    click.echo(message.text)
    click.echo(f"Would record in {path}: {json.dumps(dict(event), ensure_ascii=False)}")


@click.command()
@now_option()
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=".escalate/notify-state.json",
    show_default=True,
    help="Where the facts already told are kept between runs (CI caches this file).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be posted; post and write nothing.")
@timeout_option("Seconds to wait for each webhook (each is tried twice at most).")
@click.pass_obj
def notify(ctx: Context, now: datetime, state_file: Path, dry_run: bool, timeout: float) -> int:
    """Post one chat message per case to its owning team when a clock is newly overdue or
    at risk, or its triggers newly require a higher level; never twice for the same facts.

    The team's webhook URL comes from the environment variable its `webhook_env` in
    policy/roster.yaml names; a team whose variable is unset is skipped with a warning. Exit
    1 when a post failed (it is tried again on the next run).
    """
    import os

    from .. import comms as core
    from ..errors import RecordError
    from ..notify import concerns, dump_state, load_state, plan, remember
    from ..sla import REPORT
    from ..webhook import DeliveryError, check_url, post_json
    from ..yamlio import atomic_write

    repo = ctx.repo(derive=REPORT)
    told = load_state(state_file.read_text(encoding="utf-8") if state_file.is_file() else None)
    current = concerns(repo, now)
    env = core.environment(repo.root)
    delivered: set[str] = set()
    failed = 0
    for alert in plan(current, told):
        escalation = alert.concern.escalation
        context = core.facts(repo, escalation, now)
        context["alert"] = {"headline": alert.headline(), "lines": alert.lines()}
        message = core.render(repo, escalation, core.ALERT, "chat", now, env=env, context=context)
        try:
            variable, target = core.webhook_variable(repo, escalation, "team", now)
        except RecordError as exc:
            click.echo(f"warning: {alert.id}: not posted: {exc.message}", err=True)
            continue
        url = os.environ.get(variable, "").strip()
        if dry_run:
            click.echo(f"{alert.id}: would post to {target} (${variable}): {message.headline}")
            continue
        if not url:
            click.echo(f"warning: {alert.id}: not posted: ${variable} is not set", err=True)
            continue
        try:
            check_url(url, variable)
            post_json(url, message.payload(), timeout=timeout)
        except DeliveryError as exc:
            failed += 1
            click.echo(f"{alert.id}: posting to {target} failed: {exc.message}", err=True)
            continue
        delivered.add(alert.id)
        click.echo(f"{alert.id}: posted to {target}: {message.headline}")
    if not dry_run:
        atomic_write(state_file, dump_state(remember(current, told, delivered)))
    if not current:
        click.echo("nothing needs a team's attention", err=True)
    return 1 if failed else 0
