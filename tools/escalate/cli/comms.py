"""`escalate comms`: the message for a moment of a case, on a channel; `--send` posts chat."""

from __future__ import annotations

import json
from datetime import datetime

import click

from ..comms import AUDIENCES, CHANNELS, MOMENTS
from .common import INSTANT, Context, format_option


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
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=120),
    default=10.0,
    show_default=True,
    help="With --send: seconds to wait for the webhook (it is tried twice at most).",
)
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

    if (dry_run or by or audience != "team" or timeout != 10.0) and not send:
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


def _show(message: object, output_format: str) -> None:
    from ..comms import Message

    assert isinstance(message, Message)
    if output_format == "json":
        click.echo(json.dumps(message.as_json(), indent=2, ensure_ascii=False))
    elif message.subject is not None:
        click.echo(f"Subject: {message.subject}\n\n{message.text}", nl=False)
    else:
        click.echo(message.text, nl=False)


def _post_and_record(
    ctx: Context,
    escalation_id: str,
    message: object,
    planned: object,
    dry_run: bool,
    output_format: str,
    timeout: float,
) -> None:
    from ..comms import Dispatch, Message
    from ..edits import prepare_event, record_source
    from ..webhook import post_json, url_from_env
    from ..yamlio import atomic_write
    from .lifecycle import OPTION_NAMES

    assert isinstance(message, Message) and isinstance(planned, Dispatch)
    repo = ctx.repo()
    source = record_source(repo, escalation_id)
    path = repo.root / source.path
    raw = path.read_bytes()
    # Everything that can refuse is checked before anything is posted: the record, the
    # event, the URL. A refused post must leave no trace, and a sent one must be recorded.
    edit = prepare_event(repo, escalation_id, raw, planned.event, OPTION_NAMES)
    if dry_run:
        shown = {
            "would_post_to": planned.target,
            "webhook_variable": planned.variable,
            "payload": message.payload(),
            "would_record": edit.event,
        }
        if output_format == "json":
            click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        else:
            click.echo(f"Would post to {planned.target} (the URL in ${planned.variable}):\n")
            click.echo(message.text)
            click.echo(
                f"Would record in {source.path}: {json.dumps(edit.event, ensure_ascii=False)}"
            )
        return
    url = url_from_env(planned.variable)
    delivery = post_json(url, message.payload(), timeout=timeout)
    atomic_write(path, edit.text)
    tries = f" after {delivery.attempts} tries" if delivery.attempts > 1 else ""
    click.echo(
        f"{escalation_id}: posted the {message.moment} message to {planned.target}{tries}; "
        f"recorded {edit.event['event']} at {edit.event['at']} in {source.path}"
    )
