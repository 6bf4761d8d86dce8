"""`escalate show ID` and `escalate status`: the derived state of records, read only."""

from __future__ import annotations

from datetime import datetime

import click

from .common import Context, echo_json, format_option, now_option


@click.command()
@click.argument("escalation_id", metavar="ID")
@now_option()
@format_option("text", "json")
@click.pass_obj
def show(ctx: Context, escalation_id: str, now: datetime, output_format: str) -> None:
    """Show one escalation: its facts and the state derived from its timeline."""
    from ..edits import loaded_record
    from ..records import describe, format_age
    from ..routing import pending

    repo = ctx.repo()
    escalation = loaded_record(repo, escalation_id)
    view = describe(escalation, now)
    below = pending(escalation, repo.policy, now, repo)
    view["required_level"] = below.required if below else None
    view["triggers"] = [hit.as_json() for hit in below.hits] if below else []
    if output_format == "json":
        echo_json(view)
        return
    customer = view["customer"]
    lines = [
        f"{view['id']}  {view['title']}",
        f"  file:      {view['file']}",
        f"  status:    {view['status']}"
        + (f" ({view['pause_reason']})" if view["pause_reason"] else "")
        + (f", reopened {view['reopened_count']}x" if view["reopened_count"] else ""),
        f"  severity:  {view['severity']}"
        + (
            f" (opened as {view['severity_at_opening']})"
            if view["severity"] != view["severity_at_opening"]
            else ""
        ),
        f"  owner:     {view['owner']} at {view['level']}",
        *(
            f"  {'needs:' if index == 0 else '':<11}{hit.level} (trigger {hit.trigger}: {hit.reason})"
            for index, hit in enumerate(below.hits if below else ())
        ),
        f"  customer:  {customer['name']} ({customer['tier']}"
        + (f", {customer['region']}" if customer.get("region") else "")
        + ")",
        f"  category:  {view['category']}"
        + (f" / {view['product_area']}" if view["product_area"] else ""),
        f"  opened:    {view['opened_at']} ({format_age(view['age_seconds'])} ago)",
    ]
    for label, key in (
        ("acknowledged", "acknowledged_at"),
        ("mitigated", "mitigated_at"),
        ("resolved", "resolved_at"),
        ("closed", "closed_at"),
    ):
        if view[key]:
            lines.append(f"  {label + ':':<10} {view[key]}")  # a space even after the long ones
    lines.append(f"  impact:    {view['impact']['summary']}")
    if view["related"]:
        lines.append(f"  related:   {', '.join(view['related'])}")
    if view["drill"]:
        lines.append("  drill:     yes (excluded from metrics)")
    click.echo("\n".join(lines))


@click.command()
@now_option()
@format_option("text", "json")
@click.option("--all", "show_all", is_flag=True, help="Include resolved and closed cases.")
@click.pass_obj
def status(ctx: Context, now: datetime, output_format: str, show_all: bool) -> None:
    """List open escalations: ID, severity, owner, status and age (oldest first)."""
    from ..records import ACTIVE_STATUSES, describe, format_age
    from ..routing import pending

    repo = ctx.repo()
    rows = []
    for escalation in repo.escalations.values():
        if show_all or escalation.state.active:
            row = describe(escalation, now)
            below = pending(escalation, repo.policy, now, repo)
            row["required_level"] = below.required if below else None
            rows.append(row)
    rows.sort(key=lambda row: (row["severity"], -row["age_seconds"]))
    if output_format == "json":
        echo_json({"now": now.isoformat(), "escalations": rows})
        return
    if not rows:
        click.echo("No open escalations.")
        return
    headers = ("ID", "SEVERITY", "OWNER", "LEVEL", "STATUS", "AGE", "TITLE")
    table = [
        (
            row["id"],
            row["severity"],
            row["owner"],
            row["level"],
            row["status"],
            format_age(row["age_seconds"]),
            # A case below the level its triggers require is marked where the eye lands.
            (f"↑{row['required_level']} " if row["required_level"] else "") + row["title"][:60],
        )
        for row in rows
    ]
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headers, *table, strict=False)
    ]
    for line in (headers, *table):
        click.echo(
            "  ".join(
                str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)
            ).rstrip()
        )
    active = sum(1 for row in rows if row["status"] in ACTIVE_STATUSES)
    count = f"{active} open"
    if show_all:
        count = f"{len(rows)} {'escalation' if len(rows) == 1 else 'escalations'}, {count},"
    click.echo(f"\n{count} as of {now.isoformat(timespec='minutes')}", err=True)
