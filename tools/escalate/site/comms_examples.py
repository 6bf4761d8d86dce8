"""The communication examples page: every comms template rendered for a sample case.

For each moment, the sample is the first published record (by ID, drills left out) that was,
at some minute of its history, in a state the moment fits; the message is rendered as of
that minute. The customer is replaced by a fictional one, so the page shows wording, not a
customer's name; in a profile that hides fields, every text also goes through the same
scrubber as the rest of the site.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from .. import comms
from ..records import Escalation, parse_instant

if TYPE_CHECKING:
    from .pages import Site

SAMPLE_CUSTOMER = {
    "name": "Example Customer GmbH",
    "contact": "Alex Example, Head of Operations",
}
CHANNEL_NAMES = {"email": "E-mail", "chat": "Chat", "status": "Status page"}


@dataclass(frozen=True)
class Rendered:
    label: str  # the tab's title
    language: str  # the code block's language
    text: str


@dataclass(frozen=True)
class Example:
    moment: str
    name: str
    record_id: str
    record_src: str
    at: datetime
    messages: list[Rendered]


def comms_examples(site: Site, scrub: Callable[[str], str] = str) -> list[Example]:
    """One example per moment that any published record's history fits."""
    repo = _published_repo(site)
    env = comms.environment(repo.root)
    samples = [
        (record, _sample(record.escalation))
        for record in sorted(site.records, key=lambda r: r.id)
        if not record.escalation.drill and not record.future
    ]
    found = []
    for moment in comms.MOMENTS:
        for record, escalation in samples:
            at = _fitting_instant(repo, escalation, moment, site.now)
            if at is None:
                continue
            messages = []
            for channel in comms.CHANNELS:
                message = comms.render(repo, escalation, moment, channel, at, env=env)
                text = message.text
                if message.subject is not None:
                    text = f"Subject: {message.subject}\n\n{text}"
                messages.append(Rendered(CHANNEL_NAMES[channel], "text", scrub(text)))
                if message.blocks is not None:
                    blocks = json.dumps({"blocks": message.blocks}, indent=2, ensure_ascii=False)
                    messages.append(Rendered("Chat (Block Kit JSON)", "json", scrub(blocks)))
            found.append(
                Example(moment, comms.MOMENT_NAMES[moment], record.id, record.src, at, messages)
            )
            break
    return found


def _sample(escalation: Escalation) -> Escalation:
    customer = {**(escalation.data.get("customer") or {}), **SAMPLE_CUSTOMER}
    customer.pop("aliases", None)
    return Escalation.from_data(escalation.path, {**escalation.data, "customer": customer})


def _published_repo(site: Site) -> Any:
    """The repository with only the postmortems this profile publishes, as it publishes them."""
    postmortems = {}
    for record in site.records:
        if record.postmortem is not None:
            source = site.repo.postmortems.get(record.id)
            if source is not None:
                postmortems[record.id] = source.with_data(record.postmortem.data)
    return dataclasses.replace(site.repo, postmortems=postmortems)


def _fitting_instant(
    repo: Any, escalation: Escalation, moment: str, now: datetime
) -> datetime | None:
    """The first minute after an event (or the opening) at which the moment fits the case."""
    from ..routing import state_as_of

    postmortem = repo.postmortems.get(escalation.id)
    status = postmortem.data.get("status") if postmortem is not None else None
    times = [parse_instant(raw["at"]) for raw in escalation.data.get("timeline") or []]
    for at in (escalation.opened_at, *times):
        at = at + timedelta(minutes=1)
        if at > now:
            break
        state = state_as_of(escalation, at)
        levels = [level for _, level in state.levels]
        if comms.refusal(moment, state, levels, str(status) if status else None) is None:
            return at
    return None


def code_block(text: str, language: str) -> Markup:
    """A fenced code block holding text exactly, indented for a content tab.

    The fence is longer than any run of backticks in the text, so no text can close it;
    Markdown shows a code block's content as text, so nothing in it is escaped twice.
    """
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    body = "\n".join(("    " + line) if line else "" for line in text.rstrip("\n").split("\n"))
    return Markup(f"    {fence}{language}\n{body}\n    {fence}")
