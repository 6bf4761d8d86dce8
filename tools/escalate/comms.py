"""Messages for each moment of an escalation, on each channel, filled from the derived record.

A moment is a point where someone must be told something: the acknowledgment, a raise to a
higher level, a periodic update, the mitigation, the resolution, the request to confirm
closure, the postmortem summary. A channel is how: an e-mail (subject and plain-text body),
a chat message (a plain variant and Slack Block Kit JSON), or a status-page entry.

Every message is rendered from one set of facts (`facts`), so the customer's e-mail, the
team's chat post and the status page never disagree. Templates are Jinja2 files under
`templates/comms/`; a repository's own `templates/comms/<moment>/<channel>.txt.j2` wins over
the built-in one. Times are shown in the customer's time zone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import RecordError

# Jinja and the template machinery (escalate.render) are imported where a message is
# rendered: the CLI reads this module's names at start-up, for `escalate --help`.
from .records import ACTIVE_STATUSES, CLOSED, MITIGATED, RESOLVED, State, parse_instant

if TYPE_CHECKING:
    from jinja2 import Environment

    from .policy import Policy, Team
    from .records import Escalation
    from .repo import Repo

MOMENTS = ("ack", "escalated", "update", "mitigated", "resolved", "verify", "postmortem")
CHANNELS = ("email", "chat", "status")
# The one message that is not a moment of the case: CI's alert to the owning team.
ALERT = "alert"

MOMENT_NAMES = {
    "ack": "Acknowledgment",
    "escalated": "Escalation to a higher level",
    "update": "Periodic update",
    "mitigated": "Mitigation",
    "resolved": "Resolution",
    "verify": "Closure verification request",
    "postmortem": "Postmortem summary",
    ALERT: "SLA alert",
}
POSTMORTEM_SHAREABLE = frozenset({"reviewed", "published"})

# Slack Block Kit limits (https://api.slack.com/reference/block-kit/blocks).
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
MAX_FIELDS = 10
MAX_BLOCKS = 50


@dataclass(frozen=True)
class Message:
    """One rendered message. `subject` for e-mail, `blocks` (Block Kit) for chat."""

    moment: str
    channel: str
    text: str
    subject: str | None = None
    blocks: list[dict[str, Any]] | None = None

    @property
    def headline(self) -> str:
        """The first line: what a timeline event records of the message."""
        for line in self.text.splitlines():
            if line.strip():
                return line.strip()
        return ""

    def payload(self) -> dict[str, Any]:
        """The body of a chat webhook post: Block Kit blocks with the plain text as fallback."""
        return {"text": self.text, "blocks": self.blocks or []}

    def as_json(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"moment": self.moment, "channel": self.channel}
        if self.subject is not None:
            shown["subject"] = self.subject
        shown["text"] = self.text
        if self.blocks is not None:
            shown["blocks"] = self.blocks
        return shown


# --- when a moment applies ---------------------------------------------------------------------


def refusal(
    moment: str, state: State, levels: Sequence[str], postmortem_status: str | None
) -> str | None:
    """Why the moment does not fit the case as it stands, or None when it does.

    `levels` are the levels the case has been at, in order.
    """
    status = state.status
    active = status in ACTIVE_STATUSES
    if moment in ("ack", "update") and not active:
        return f"it is {status}, and this message is for a case still being worked on"
    if moment == "escalated" and (not active or len(levels) < 2):
        why = f"the case is {status}" if not active else f"it is still at {state.level}"
        return f"{why}; send it after `escalate raise` moved the case up"
    if moment == "mitigated" and status != MITIGATED:
        return f"the case is {status}, not mitigated; record `escalate mitigate` first"
    if moment in ("resolved", "verify") and status != RESOLVED:
        if status == CLOSED:
            return "the case is closed already; the customer confirmed before it was"
        return f"the case is {status}, not resolved; record `escalate resolve` first"
    if moment == "postmortem" and postmortem_status not in POSTMORTEM_SHAREABLE:
        found = f"is {postmortem_status}" if postmortem_status else "does not exist"
        return f"its postmortem {found}; share a postmortem once it is reviewed or published"
    return None


# --- the facts every template sees -------------------------------------------------------------


def customer_zone(escalation: Escalation, policy: Policy) -> ZoneInfo:
    """The zone the customer reads times in: their own, else their region's business hours."""
    customer = escalation.data.get("customer") or {}
    named = customer.get("timezone")
    if isinstance(named, str):
        try:
            return ZoneInfo(named)
        except (ZoneInfoNotFoundError, ValueError):
            pass  # the schema allows any text; a wrong zone must not stop a message
    region = escalation.region
    candidates = [tier.region_calendars.get(region or "") for tier in policy.tiers.values()]
    candidates.append(
        policy.tiers[escalation.tier].calendar if escalation.tier in policy.tiers else None
    )
    for calendar_id in candidates:
        calendar = policy.calendars.get(calendar_id or "")
        if calendar is not None and not calendar.always_open:
            return calendar.timezone
    return policy.default_timezone


def local_time(at: datetime | None, zone: ZoneInfo) -> str | None:
    """`Tue 1 Dec 2026, 14:30 CET`: how a person reads an instant."""
    if at is None:
        return None
    shown = at.astimezone(zone)
    return f"{shown:%a} {shown.day} {shown:%b %Y, %H:%M} {shown.tzname()}"


def owning_team(escalation: Escalation, state: State, policy: Policy) -> Team | None:
    """The team that owns the case now: the category's team at its level, else the owner's."""
    category = policy.categories.get(str(escalation.data.get("category")))
    team_id = category.teams.get(state.level) if category is not None else None
    if team_id is None:
        team_id = policy.team_of(state.owner)
    return policy.teams.get(team_id or "")


def _person(policy: Policy, handle: str) -> dict[str, str]:
    person = policy.people.get(handle)
    if person is None:
        return {"handle": handle, "name": handle, "contact": "", "role": ""}
    return {
        "handle": handle,
        "name": person.name,
        "contact": str(person.raw.get("contact", "")),
        "role": str(person.raw.get("role", "")),
    }


def _events_since(
    timeline: Sequence[Mapping[str, Any]], since: datetime | None, now: datetime
) -> list[Mapping[str, Any]]:
    found = []
    for raw in timeline:
        at = parse_instant(raw["at"])
        if at > now:
            break
        if since is None or at > since:
            found.append(raw)
    return found


def facts(repo: Repo, escalation: Escalation, now: datetime) -> dict[str, Any]:
    """Everything a template may say about the case as of now, as plain values.

    Internal `note` events never appear: they may hold what a customer must not read.
    """
    from . import sla
    from .routing import state_as_of
    from .scaffold import score_of

    policy = repo.policy
    state = state_as_of(escalation, now)
    zone = customer_zone(escalation, policy)
    data = escalation.data
    customer = data.get("customer") or {}
    impact = data.get("impact") or {}
    timeline = data.get("timeline") or []
    severity = policy.severities.get(state.severity)
    level = policy.levels.get(state.level)
    category = policy.categories.get(str(data.get("category")))
    team = owning_team(escalation, state, policy)

    postmortem = repo.postmortems.get(escalation.id)
    pm_data: Mapping[str, Any] = postmortem.data if postmortem is not None else {}
    pm_status = pm_data.get("status")
    next_update = None
    if policy.usable("severity", "matrix", "calendars"):
        clocks = sla.clocks_for(
            escalation,
            policy,
            now,
            postmortem=postmortem.data if postmortem is not None else None,
        )
        cadence = next((c for c in clocks if c.clock == "customer_update"), None)
        if cadence is not None and cadence.live and state.active:
            next_update = cadence.deadline

    last_update = None
    texts: dict[str, str] = {}
    for raw in _events_since(timeline, None, now):
        if raw["event"] == "customer_update":
            last_update = raw
        if raw["event"] in ("mitigated", "resolved") and raw.get("text"):
            texts[raw["event"]] = str(raw["text"])
    since = parse_instant(last_update["at"]) if last_update is not None else None
    progress = [
        {
            "at": local_time(parse_instant(raw["at"]), zone),
            "event": raw["event"],
            "text": raw.get("text", ""),
        }
        for raw in _events_since(timeline, since, now)
        if raw["event"] in ("update", "escalated", "reclassified", "mitigated", "assigned")
    ]
    latest_update = next(
        (str(p["text"]) for p in reversed(progress) if p["event"] == "update" and p["text"]), None
    )

    actions = []
    for action in data.get("actions") or []:
        done = action.get("done_at")
        actions.append(
            {
                "id": action["id"],
                "title": action["title"],
                "owner": _person(policy, str(action["owner"]))["name"],
                "due": str(action["due"]),
                "done": isinstance(done, str) and parse_instant(done) <= now,
            }
        )
    for action in pm_data.get("actions") or []:
        if any(known["id"] == action.get("id") for known in actions):
            continue
        done = action.get("done_at")
        actions.append(
            {
                "id": action.get("id", ""),
                "title": action.get("title", ""),
                "owner": _person(policy, str(action.get("owner", "")))["name"],
                "due": str(action.get("due", "")),
                "done": isinstance(done, str) and parse_instant(done) <= now,
            }
        )

    score = score_of(escalation, policy)
    root_cause = pm_data.get("root_cause") or {}
    return {
        "case": {
            "id": escalation.id,
            "title": escalation.title,
            "status": state.status,
            "severity": state.severity,
            "severity_name": severity.name if severity else state.severity,
            "priority": score.priority if score is not None else None,
            "score": score.total if score is not None else None,
            "level": state.level,
            "level_name": level.name if level else state.level,
            "category": str(data.get("category", "")),
            "category_name": category.name if category else str(data.get("category", "")),
            "product_area": data.get("product_area") or "",
            "opened": local_time(escalation.opened_at, zone),
            "acknowledged": local_time(state.acknowledged_at, zone),
            "mitigated": local_time(state.mitigated_at, zone),
            "resolved": local_time(state.resolved_at, zone),
            "reopened": state.reopened_count,
            "paused": state.paused,
            "pause_reason": (state.pause_reason or "").replace("_", " "),
        },
        "customer": {
            "name": str(customer.get("name", "")),
            "contact": str(customer.get("contact", "")),
            # "Jana Wiegand, Head of E-Commerce" is greeted as Jana Wiegand.
            "contact_name": str(customer.get("contact", "")).split(",")[0].strip(),
            "tier": escalation.tier,
            "zone": zone.key,
        },
        "impact": {
            "summary": " ".join(str(impact.get("summary", "")).split()),
            "customers_affected": impact.get("customers_affected"),
            "flags": list(impact.get("flags") or []),
        },
        "owner": _person(policy, state.owner),
        "team": {
            "id": team.id if team else "",
            "name": team.name if team else "",
            "channel": str(team.raw.get("channel", "")) if team else "",
        },
        "next_update": local_time(next_update, zone),
        "next_update_at": next_update.isoformat() if next_update is not None else None,
        "last_update": " ".join(str(last_update.get("text", "")).split()) if last_update else None,
        "latest_update": " ".join(latest_update.split()) if latest_update else None,
        "progress": progress,
        "mitigation": texts.get("mitigated"),
        "resolution": texts.get("resolved"),
        "actions": actions,
        "open_actions": [a for a in actions if not a["done"]],
        "postmortem": {
            "status": pm_status,
            "title": pm_data.get("title", ""),
            "root_cause_category": str(root_cause.get("category", "")).replace("-", " "),
            "root_cause": " ".join(str(root_cause.get("summary", "")).split()),
            "lessons": [" ".join(str(lesson).split()) for lesson in pm_data.get("lessons") or []],
        }
        if postmortem is not None
        else None,
        "now": local_time(now, zone),
        "now_utc": local_time(now, ZoneInfo("UTC")),
    }


# --- rendering ---------------------------------------------------------------------------------


def environment(root: Path | None) -> Environment:
    """Plain-text templates: the repo's templates/ first, strict about unknown variables."""
    from .render import environment as base_environment

    return base_environment(root)


def template_name(moment: str, channel: str) -> str:
    return f"comms/{moment}/{channel}.txt.j2"


def render(
    repo: Repo,
    escalation: Escalation,
    moment: str,
    channel: str,
    now: datetime,
    *,
    env: Environment | None = None,
    context: Mapping[str, Any] | None = None,
) -> Message:
    """The message for a moment on a channel; RecordError when the moment does not fit."""
    from .routing import state_as_of

    if moment != ALERT:
        state = state_as_of(escalation, now)
        levels = [level for _, level in state.levels]
        postmortem = repo.postmortems.get(escalation.id)
        status = postmortem.data.get("status") if postmortem is not None else None
        why = refusal(moment, state, levels, str(status) if status else None)
        if why is not None:
            raise RecordError(
                f"{escalation.id}: the {moment} message ({MOMENT_NAMES[moment].lower()}) "
                f"does not fit the case: {why}",
                rule="comms/moment",
            )
    env = env or environment(repo.root)
    values = dict(context if context is not None else facts(repo, escalation, now))
    values.update(moment=moment, moment_name=MOMENT_NAMES[moment], channel=channel)
    from .render import render_template

    text = render_template(env, template_name(moment, channel), values)
    if channel == "email":
        subject, body = _split_subject(text, template_name(moment, channel))
        return Message(moment, channel, body, subject=subject)
    if channel == "chat":
        blocks = _blocks(env, moment, values, text)
        return Message(moment, channel, text, blocks=blocks)
    return Message(moment, channel, text)


def _split_subject(text: str, name: str) -> tuple[str, str]:
    from .render import TemplateError

    first, _, rest = text.partition("\n")
    if not first.startswith("Subject:"):
        raise TemplateError(
            f"an e-mail template starts with a 'Subject: …' line; {name} starts with {first[:40]!r}",
            path=name,
            line=1,
        )
    return first[len("Subject:") :].strip(), rest.lstrip("\n")


def _blocks(
    env: Environment, moment: str, values: Mapping[str, Any], text: str
) -> list[dict[str, Any]]:
    """The Block Kit variant: `comms/<moment>/chat.json.j2` if there is one, else the shared one."""
    from jinja2 import TemplateNotFound

    name = f"comms/{moment}/chat.json.j2"
    try:
        env.get_template(name)
    except TemplateNotFound:
        name = "comms/chat.json.j2"
    from .render import TemplateError, render_template

    rendered = render_template(env, name, {**values, "text": text})
    try:
        payload = json.loads(rendered)
    except json.JSONDecodeError as exc:
        raise TemplateError(
            f"the Block Kit template does not make JSON ({exc.msg}); use |tojson for every value",
            path=name,
            line=exc.lineno,
        ) from None
    blocks = payload.get("blocks") if isinstance(payload, dict) else None
    problems = block_kit_problems(blocks)
    if problems:
        raise TemplateError(f"{name} makes invalid Block Kit: {problems[0]}", path=name)
    assert isinstance(blocks, list)
    return blocks


def block_kit_problems(blocks: object) -> list[str]:
    """What is wrong with a list of Block Kit blocks (the subset our templates use)."""
    if not isinstance(blocks, list) or not blocks:
        return ["blocks must be a non-empty list"]
    problems = []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks; Slack takes at most {MAX_BLOCKS}")
    for index, block in enumerate(blocks):
        where = f"block {index}"
        if not isinstance(block, dict):
            problems.append(f"{where} is not an object")
            continue
        kind = block.get("type")
        if kind == "header":
            problems += _text_problems(block.get("text"), where, "plain_text", HEADER_LIMIT)
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(f"{where}: a section needs text or fields")
            if "text" in block:
                problems += _text_problems(block["text"], where, None, SECTION_LIMIT)
            fields = block.get("fields", [])
            if not isinstance(fields, list) or len(fields) > MAX_FIELDS:
                problems.append(f"{where}: fields must be a list of at most {MAX_FIELDS}")
            else:
                for field in fields:
                    problems += _text_problems(field, f"{where} field", None, FIELD_LIMIT)
        elif kind == "context":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
                problems.append(f"{where}: a context has 1 to 10 elements")
            else:
                for element in elements:
                    problems += _text_problems(element, f"{where} element", None, SECTION_LIMIT)
        elif kind == "divider":
            pass
        else:
            problems.append(f"{where}: unknown block type {kind!r}")
    return problems


def _text_problems(value: object, where: str, kind: str | None, limit: int) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: text must be a text object"]
    found = value.get("type")
    if found not in ("plain_text", "mrkdwn") or (kind is not None and found != kind):
        return [f"{where}: text type {found!r} (expected {kind or 'plain_text or mrkdwn'})"]
    text = value.get("text")
    if not isinstance(text, str) or not text:
        return [f"{where}: empty text"]
    if len(text) > limit:
        return [f"{where}: {len(text)} characters; Slack takes at most {limit}"]
    return []


# --- sending -----------------------------------------------------------------------------------

AUDIENCES = ("team", "customer")


@dataclass(frozen=True)
class Dispatch:
    """A chat post ready to go: where (the variable holding the URL) and what it records."""

    variable: str  # the environment variable that holds the webhook URL
    target: str  # who reads it, for messages: "#payments-escalations", "the customer's channel"
    event: dict[str, str]  # the timeline event recorded once the post succeeded


def webhook_variable(
    repo: Repo, escalation: Escalation, audience: str, now: datetime
) -> tuple[str, str]:
    """The environment variable named in policy for the audience, and a name for the target."""
    from .routing import state_as_of

    policy = repo.policy
    if audience == "customer":
        tier = policy.tiers.get(escalation.tier)
        variable = tier.raw.get("customer_webhook_env") if tier is not None else None
        if not variable:
            raise RecordError(
                f"{escalation.id}: the {escalation.tier} tier has no customer_webhook_env in "
                "policy/matrix.yaml, so there is no customer chat channel to post to; "
                "send the e-mail variant instead",
                rule="comms/webhook",
            )
        return str(variable), f"the channel shared with {escalation.data['customer']['name']}"
    team = owning_team(escalation, state_as_of(escalation, now), policy)
    if team is None:
        raise RecordError(
            f"{escalation.id}: no team owns the case at its level (policy/matrix.yaml "
            "categories, policy/roster.yaml teams)",
            rule="comms/webhook",
        )
    variable = team.raw.get("webhook_env")
    if not variable:
        raise RecordError(
            f"{escalation.id}: team {team.id} has no webhook_env in policy/roster.yaml; "
            "add the name of the environment variable that holds its webhook",
            rule="comms/webhook",
        )
    return str(variable), str(team.raw.get("channel") or team.name)


def dispatch(
    repo: Repo, escalation: Escalation, message: Message, audience: str, by: str, at: datetime
) -> Dispatch:
    """Where a chat message goes and the event it records: a post in the customer's channel
    is a `customer_update` (channel chat), a post in the team's channel an internal `update`."""
    from .edits import instant_text

    if message.channel != "chat":
        raise RecordError(
            f"only chat messages can be sent; copy the {message.channel} variant into "
            "your e-mail or status page tool, then record it with `escalate update --customer`",
            rule="comms/channel",
        )
    variable, target = webhook_variable(repo, escalation, audience, at)
    kind = "customer_update" if audience == "customer" else "update"
    text = f"{MOMENT_NAMES[message.moment]} posted to {target}: {message.headline}"
    event = {"at": instant_text(at), "event": kind, "by": by, "channel": "chat", "text": text}
    return Dispatch(variable, target, event)
