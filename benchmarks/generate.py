"""A synthetic playbook repository: this repo's policy and schemas, and N realistic records.

    python benchmarks/generate.py DIR N [--seed 7] [--source REPO]

The records look like the ones people write (see incidents/2026/*/escalation.yaml): a
modeline, comments, block and flow styles mixed, folded customer updates, flow-style
timeline events, references, steps tried, actions, remedies and related cases. Every
record is valid under `escalate validate` with the copied policy: ids, severities, tiers,
categories, levels and people come from policy/, remedies stay within what the granting
level may give, timelines are in time order and only make transitions the lifecycle
allows. About 5 % of the resolved sev1/sev2 cases get a postmortem.

The output depends only on N, the seed and the policy files: the same arguments give the
same bytes, so benchmark runs on different days measure the same corpus.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import textwrap
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

SOURCE = Path(__file__).resolve().parents[1]  # the repository this file belongs to
YEARS = (2024, 2025, 2026)
YEAR_WEIGHTS = (0.27, 0.33, 0.40)  # the team grows, so do its escalations
MODELINE = "# yaml-language-server: $schema=../../../schema/escalation.schema.json\n"

# --- policy ----------------------------------------------------------------------------------


@dataclass
class Policy:
    """The ids a record may use, read from the copied policy files."""

    id_prefix: str
    severities: list[str]
    tiers: list[str]
    levels: list[str]
    categories: dict[str, dict[str, str]]  # category -> level -> team
    people: list[str]
    team_people: dict[str, list[str]]
    level_people: dict[str, list[str]]
    grants: list[tuple[str, dict[str, Any]]]  # (level, grant) for every grant that names a type


def read_policy(root: Path) -> Policy:
    def load(name: str) -> Any:
        return yaml.safe_load((root / "policy" / f"{name}.yaml").read_text(encoding="utf-8"))

    severity, matrix, roster = load("severity"), load("matrix"), load("roster")
    team_level = {team["id"]: team.get("level") for team in roster["teams"]}
    team_people: dict[str, list[str]] = {}
    level_people: dict[str, list[str]] = {}
    for person in roster["people"]:
        team_people.setdefault(person["team"], []).append(person["handle"])
        level = team_level.get(person["team"])
        if level:
            level_people.setdefault(level, []).append(person["handle"])
    grants = [
        (entry["level"], grant)
        for entry in matrix.get("remedies", [])
        for grant in entry.get("grants", [])
        if entry["level"] in level_people
    ]
    return Policy(
        id_prefix=matrix.get("id_prefix", "ESC"),
        severities=[level["id"] for level in severity["levels"]],
        tiers=[tier["id"] for tier in matrix["tiers"]],
        levels=[level["id"] for level in matrix["levels"]],
        categories={c["id"]: dict(c.get("teams", {})) for c in matrix["categories"]},
        people=[person["handle"] for person in roster["people"]],
        team_people=team_people,
        level_people=level_people,
        grants=grants,
    )


# --- vocabulary ------------------------------------------------------------------------------

CATEGORY_TEXT: dict[str, dict[str, list[str]]] = {
    "payments": {
        "areas": ["checkout", "payouts", "wallets", "three-ds", "card-acquiring"],
        "titles": [
            "Card payments failing at checkout with 3DS timeouts",
            "Payouts to merchant bank accounts delayed by two days",
            "Apple Pay button missing on the mobile storefront",
            "Duplicate captures on card payments after gateway retry",
            "SEPA direct debits rejected with an invalid mandate reference",
            "Refunds stuck in pending for more than 48 hours",
        ],
        "facts": [
            "the payment provider returns 504 on the callback endpoint",
            "about a third of card authorisations time out after 60 seconds",
            "the gateway retried without an idempotency key",
            "settlement files arrived late from the acquirer",
            "the wallet merchant certificate expired overnight",
        ],
    },
    "availability": {
        "areas": ["api", "storefront", "dashboard", "mobile-app", "edge"],
        "titles": [
            "Dashboard returns 502 errors for all EU tenants",
            "Public API unavailable in the US region",
            "Storefront pages time out behind the CDN",
            "Mobile app cannot load orders after the release",
            "Scheduled exports failing with internal errors",
        ],
        "facts": [
            "a node pool ran out of memory after the deploy",
            "the load balancer health checks flapped for every backend",
            "a database failover left read replicas behind",
            "the CDN purged its cache and origin traffic tripled",
            "a certificate rotation missed one ingress controller",
        ],
    },
    "performance": {
        "areas": ["search", "reports", "api", "sync", "storefront"],
        "titles": [
            "Storefront product search slow with p95 above 4 seconds",
            "Monthly reports take more than an hour to render",
            "API latency doubled for bulk order endpoints",
            "Inventory sync backlog growing since the weekend",
            "Admin pages slow for accounts with many locations",
        ],
        "facts": [
            "one hot shard serves most of the queries for this tenant",
            "the report job scans the full history on every run",
            "a missing index turns the order lookup into a table scan",
            "the sync worker pool is capped at two consumers",
            "cache hit rate dropped to 40 percent after the migration",
        ],
    },
    "data-integrity": {
        "areas": ["exports", "reports", "ledger", "catalogue", "analytics"],
        "titles": [
            "Revenue report shows duplicated orders for March",
            "Customer records missing after the CSV import",
            "Stock levels out of sync between warehouse and shop",
            "Accounting export drops orders with refunds",
            "Analytics dashboard double counts returning visitors",
        ],
        "facts": [
            "the import job retried a batch that had already committed",
            "a timezone bug moved orders across the month boundary",
            "the export filter skips rows with a partial refund",
            "two writers updated the same stock row without a lock",
            "the nightly dedup step was disabled during the migration",
        ],
    },
    "security": {
        "areas": ["auth", "api-keys", "admin", "webhooks", "storage"],
        "titles": [
            "Suspicious logins on an admin account from unknown countries",
            "API key exposed in a public repository",
            "Vulnerability report for the file upload endpoint",
            "Shared report links reachable without authentication",
            "Phishing campaign imitating our billing emails",
        ],
        "facts": [
            "the key had full write scope and no IP allow list",
            "rate limiting did not apply to the legacy login endpoint",
            "signed URLs were issued with a 30 day lifetime",
            "the upload handler trusted the client-side content type",
            "the sender domain lacked a strict DMARC policy",
        ],
    },
    "integrations": {
        "areas": ["webhooks", "erp-connector", "shop-connector", "public-api", "sso-apps"],
        "titles": [
            "Webhooks not delivered to the ERP connector",
            "Order sync with the shop connector stopped",
            "Public API returns a changed field type without notice",
            "Partner integration rejects our OAuth tokens",
            "Marketplace listings not updated for two days",
        ],
        "facts": [
            "the webhook signing secret rotated without notice to the partner",
            "the connector queue filled after a schema change upstream",
            "pagination tokens expired before the partner fetched the next page",
            "the partner pinned an old TLS cipher suite",
            "a field was renamed in the API response in the last release",
        ],
    },
    "billing": {
        "areas": ["invoicing", "subscriptions", "tax", "dunning", "credit-notes"],
        "titles": [
            "Duplicate invoices issued after a mid-cycle plan upgrade",
            "VAT missing on invoices for Austrian customers",
            "Dunning emails sent to customers who already paid",
            "Subscription renewals charged at the old price",
            "Credit notes not applied to the next invoice",
        ],
        "facts": [
            "the proration job timed out and was retried",
            "the tax provider returned an empty rate for one region",
            "payment events arrived after the dunning job ran",
            "the price change was not applied to annual plans",
            "credit notes were created in the wrong currency",
        ],
    },
    "access": {
        "areas": ["sso", "scim", "mfa", "roles", "sign-in"],
        "titles": [
            "SSO sign-in fails for all users of one identity provider",
            "SCIM provisioning creates duplicate user accounts",
            "MFA codes rejected after the clock change",
            "Custom roles lose permissions after the upgrade",
            "Password reset emails not arriving",
        ],
        "facts": [
            "the identity provider rotated its signing certificate",
            "SCIM requests matched users by email with different case",
            "the authenticator window was too narrow for drifting clocks",
            "a permission migration skipped roles created via the API",
            "the mail provider throttled our sending domain",
        ],
    },
}
CATEGORY_FLAG = {"payments": "payment", "security": "security", "data-integrity": "data"}
GENERIC_TITLES = [
    "Repeated failures reported by the customer",
    "Intermittent errors for several users",
    "Feature unusable since the last release",
]

COMPANY_FIRST = [
    "Acme", "Nordlicht", "Pinecrest", "Harbor", "Bluefin", "Cedar", "Kestrel", "Lumen",
    "Meridian", "Northwind", "Orchard", "Polaris", "Quarry", "Riverside", "Sable", "Tidewater",
    "Umbra", "Vantage", "Willow", "Zephyr", "Alder", "Brightwave", "Copperleaf", "Driftwood",
]  # fmt: skip
COMPANY_SECOND = [
    "Mode", "Dental Group", "Logistics", "Outdoor", "Foods", "Health", "Retail", "Travel",
    "Analytics", "Robotics", "Apparel", "Pharmacy", "Wine Co.", "Books", "Fitness", "Energy",
]  # fmt: skip
COMPANY_SUFFIX = ["GmbH", "Ltd", "Inc.", "AB", "SAS", "Pty Ltd", "BV", "LLC", ""]
CONTACT_NAMES = [
    "Jana Keller", "Angela Ruiz", "Rachel Kim", "Tom Becker", "Lena Vogel", "Sofia Rossi",
    "Mark Evans", "Priyanka Das", "Hiro Sato", "Emma Johansson", "Lucas Silva", "Olga Novak",
]  # fmt: skip
CONTACT_ROLES = [
    "Head of E-commerce", "CTO", "Practice Operations", "IT Manager", "Finance Director",
    "Director of Operations", "Platform Lead",
]  # fmt: skip
# region -> (customer time zones, UTC offset in northern winter, in northern summer)
REGIONS = {
    "emea": (["Europe/Berlin", "Europe/Paris", "Europe/Stockholm", "Europe/Madrid"], 1, 2),
    "amer": (["America/New_York", "America/Toronto", "America/Detroit"], -5, -4),
    "apac": (["Australia/Sydney", "Australia/Melbourne"], 11, 10),
}
STEPS = [
    "Reproduced with a test account in the same region",
    "Checked the status page of the provider",
    "Cleared the cache and retried from a private window",
    "Compared request IDs in the logs for the failing calls",
    "Asked the customer for a HAR file and screenshots",
    "Confirmed the issue is limited to this tenant",
    "Rolled back the feature flag for the account",
    "Verified the configuration against the runbook",
    "Tested the documented workaround with the customer",
    "Collected timestamps and order numbers of failed attempts",
]
UPDATES = [
    "We can confirm the problem and our engineers are investigating it now.",
    "The cause is identified and a fix is being prepared; next update within the hour.",
    "A workaround is in place; please let us know if any user still sees the error.",
    "The fix is deployed and we are monitoring the error rate closely.",
    "Everything looks normal again since the last change; we keep watching it today.",
    "We have escalated this to the owning engineering team and will call you back.",
]
NOTES = [
    "Customer success manager informed; account is in renewal talks",
    "Logs attached to the internal ticket",
    "Second tenant reports the same symptoms",
    "Vendor ticket opened and acknowledged",
    "Rollback prepared in case the fix does not hold",
    "Customer confirmed the workaround works for most users",
]
ACTION_TITLES = [
    "Alert on the failure rate per tenant",
    "Add a runbook step for the manual failover",
    "Idempotency key on job retries",
    "Load test the endpoint with production-like data",
    "Contract test with the partner before each release",
    "Dashboard for the queue backlog",
    "Document the workaround in the help centre",
    "Review vendor certificate expiry monthly",
]
ROOT_CAUSES = [
    "code-defect", "config-change", "capacity", "third-party", "process-gap",
    "data-quality", "security-control", "human-error",
]  # fmt: skip
LESSONS = [
    "Measure the step the customer cares about, not only the API call.",
    "A manual failover is a plan for the first incident, not the second.",
    "A vendor's green status page is not evidence; our own metrics are.",
    "Retries without idempotency turn one failure into two.",
    "Customer updates on a fixed cadence reduce inbound chasing.",
]
PAUSE_REASONS = ["waiting_on_customer", "waiting_on_vendor", "customer_requested"]
CHANNELS = ["email", "chat", "phone", "portal", "status_page"]
COMMENTS = [
    "# customer asked us to keep the update cadence on email only",
    "# times are the customer's local time",
    "# see the vendor ticket for the full thread",
    "# handed over at the shift change",
]

# --- YAML text -----------------------------------------------------------------------------

_UNSAFE_START = set("-?:,[]{}#&*!|>'\"%@`")
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def scalar(text: str, *, flow: bool = False) -> str:
    """text as a YAML scalar: plain when that reads back as the same string, else quoted."""
    plain = (
        text
        and text == text.strip()
        and text[0] not in _UNSAFE_START
        and not text[0].isdigit()
        and ": " not in text
        and " #" not in text
        and text.lower() not in _RESERVED
        and not (flow and any(c in text for c in ",[]{}"))
    )
    return text if plain else json.dumps(text, ensure_ascii=False)


def folded(key: str, text: str, indent: int) -> list[str]:
    """`key: >-` and the text wrapped under it."""
    pad = " " * (indent + 2)
    lines = textwrap.wrap(text, width=92 - len(pad))
    return [" " * indent + f"{key}: >-", *(pad + line for line in lines)]


def flow_map(pairs: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}"


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# --- records -------------------------------------------------------------------------------


@dataclass
class Draft:
    """One record being generated: its facts and its lifecycle state as events are added."""

    id: str
    year: int
    opened: datetime
    severity: str
    category: str
    tier: str
    region: str
    owner: str
    level: str
    events: list[dict[str, Any]] = field(default_factory=list)
    resolved: bool = False  # resolved or closed at the end of the timeline
    severity_now: str = ""  # after reclassifications


class Generator:
    def __init__(self, policy: Policy, seed: int) -> None:
        self.policy = policy
        self.rng = random.Random(seed)

    # people ---------------------------------------------------------------------------

    def person_at(self, category: str, level: str) -> str:
        team = self.policy.categories.get(category, {}).get(level)
        pool = self.policy.team_people.get(team or "") or self.policy.level_people.get(level)
        return self.rng.choice(pool or self.policy.people)

    # the timeline ---------------------------------------------------------------------

    def timeline(self, draft: Draft) -> None:
        """Events in time order, each legal where it stands, ending in a chosen status."""
        rng = self.rng
        sev_rank = self.policy.severities.index(draft.severity)
        pace = (10, 20, 60, 180)[min(sev_rank, 3)]  # typical minutes between events
        now = draft.opened
        owner, level, severity = draft.owner, draft.level, draft.severity
        paused = mitigated = False

        def add(event: str, by: str, minutes: float, **extra: Any) -> None:
            nonlocal now
            now += timedelta(minutes=max(1, int(minutes)))
            draft.events.append({"at": now, "event": event, "by": by, **extra})

        def gap(scale: float = 1.0) -> float:
            return rng.expovariate(1 / (pace * scale)) + 2

        def work(steps: int) -> None:
            nonlocal owner, level, severity, paused
            for _ in range(steps):
                kind = rng.choices(
                    ["customer_update", "escalated", "assigned", "note", "update", "pause"],
                    weights=[30, 14, 10, 14, 14, 8],
                )[0]
                if kind == "customer_update":
                    add(
                        "customer_update",
                        owner,
                        gap(),
                        channel=rng.choice(CHANNELS),
                        text=rng.choice(UPDATES),
                    )
                elif kind == "escalated":
                    rank = self.policy.levels.index(level)
                    step = 1 if rank + 1 < len(self.policy.levels) else -1
                    if rank > 1 and rng.random() < 0.15:
                        step = -1  # handed back down
                    level = self.policy.levels[rank + step]
                    add("escalated", owner, gap(0.5), level=level)
                    if rng.random() < 0.7:
                        new_owner = self.person_at(draft.category, level)
                        if new_owner != owner:
                            add("assigned", owner, 1 + rng.random() * 5, to=new_owner)
                            owner = new_owner
                elif kind == "assigned":
                    new_owner = self.person_at(draft.category, level)
                    if new_owner != owner:
                        add("assigned", owner, gap(0.5), to=new_owner)
                        owner = new_owner
                elif kind in ("note", "update"):
                    add(kind, owner, gap(), text=rng.choice(NOTES))
                elif not paused:
                    add("paused", owner, gap(), reason=rng.choice(PAUSE_REASONS))
                    add("resumed", owner, gap(8))
            if rng.random() < 0.08:
                others = [s for s in self.policy.severities if s != severity]
                severity = rng.choice(others)
                add("reclassified", owner, gap(), severity=severity, text="Impact reassessed")
                draft.severity_now = severity

        draft.severity_now = severity
        final = rng.choices(
            ["open", "acknowledged", "paused", "mitigated", "resolved", "closed", "reopened"],
            weights=[4, 9, 6, 8, 26, 39, 8],
        )[0]
        if final == "open":
            if rng.random() < 0.5:
                add("note", draft.owner, gap(0.3), text=rng.choice(NOTES))
            return
        add("acknowledged", owner, gap(0.5))
        add(
            "customer_update",
            owner,
            gap(0.5),
            channel="email",
            text=rng.choice(UPDATES[:2]),
        )
        work(rng.randint(2, 5))
        if final == "acknowledged":
            return
        if final == "paused":
            add("paused", owner, gap(), reason=rng.choice(PAUSE_REASONS))
            return
        if final == "mitigated" or rng.random() < 0.6:
            add("mitigated", self.person_at(draft.category, "L4"), gap(2))
            mitigated = True
        if final == "mitigated":
            return
        if mitigated and rng.random() < 0.5:
            add("customer_update", owner, gap(), channel="email", text=UPDATES[3])
        add("resolved", owner, gap(3))
        if final == "reopened":
            if rng.random() < 0.4:
                add("closed", owner, gap(20))
            add("reopened", owner, gap(30), text="Customer reports the problem again")
            work(rng.randint(1, 3))
            if rng.random() < 0.6:
                add("resolved", owner, gap(3))
                if rng.random() < 0.5:
                    add("closed", owner, gap(30))
        elif final == "closed":
            add("closed", owner, gap(40), **({"text": UPDATES[4]} if rng.random() < 0.2 else {}))
        draft.resolved = draft.events[-1]["event"] in ("resolved", "closed")

    # the text ---------------------------------------------------------------------------

    def customer(self) -> tuple[str, str]:
        rng = self.rng
        name = f"{rng.choice(COMPANY_FIRST)} {rng.choice(COMPANY_SECOND)}"
        suffix = rng.choice(COMPANY_SUFFIX)
        return (f"{name} {suffix}" if suffix else name), rng.choice(CONTACT_NAMES)

    def record(self, draft: Draft, related: list[str]) -> str:
        rng = self.rng
        text = CATEGORY_TEXT.get(draft.category)
        titles = text["titles"] if text else GENERIC_TITLES
        facts = text["facts"] if text else ["the cause is not known yet"]
        areas = text["areas"] if text else ["general"]
        title = rng.choice(titles)
        fact = rng.choice(facts)
        name, contact = self.customer()
        zones = REGIONS[draft.region][0]
        tier_rank = self.policy.tiers.index(draft.tier)
        arr = rng.randrange(8, 40) * 1000 * (3 - min(tier_rank, 2)) ** 2
        affected = rng.choice([1, 1, 1, 3, 12, 40, 250, 1200])
        flags = sorted(
            {CATEGORY_FLAG.get(draft.category, "compliance")}
            if rng.random() < 0.25
            else set(
                rng.sample(["payment", "safety", "compliance", "data"], rng.choice([0, 0, 0, 1]))
            )
        )
        out: list[str] = [MODELINE]
        add = out.append
        add(f"id: {draft.id}\n")
        add(f"title: {scalar(title)}\n")
        add(f"opened_at: {stamp(draft.opened)}\n")
        add(f"reported_by: {self.person_at(draft.category, 'L1')}\n")
        add(f"severity: {draft.severity}\n")
        add(f"category: {draft.category}\n")
        add(f"product_area: {rng.choice(areas)}\n")
        if rng.random() < 0.3:
            customer = [
                ("name", scalar(name, flow=True)),
                ("tier", draft.tier),
                ("arr", str(arr)),
                ("region", draft.region),
            ]
            add(f"customer: {flow_map(customer)}\n")
        else:
            add("customer:\n")
            add(f"  name: {scalar(name)}\n")
            add(f"  tier: {draft.tier}\n")
            add(f"  arr: {arr}\n")
            add(f"  region: {draft.region}\n")
            add(f"  contact: {scalar(f'{contact}, {rng.choice(CONTACT_ROLES)}')}\n")
            add(f"  timezone: {rng.choice(zones)}\n")
        add("impact:\n")
        add(f"  customers_affected: {affected}\n")
        add(f"  revenue_at_risk: {rng.randrange(1, 60) * 1000}\n")
        add(f"  reputational_risk: {rng.choice(['low', 'medium', 'medium', 'high', 'critical'])}\n")
        if flags:
            add(f"  flags: [{', '.join(flags)}]\n")
        summary = (
            f"{title} for {name}: {affected} customer{'s' * (affected != 1)} affected since "
            f"{draft.opened:%B} {draft.opened.day}. First findings suggest that {fact}."
        )
        out.extend(line + "\n" for line in folded("summary", summary, 2))
        add(f"owner: {draft.owner}\n")
        add(f"level: {draft.level}\n")
        tickets = [f"ZD-{rng.randrange(10000, 99999)}" for _ in range(rng.randint(1, 2))]
        orders = [f"ORD-{rng.randrange(1000000, 9999999)}" for _ in range(rng.randint(0, 3))]
        add("references:\n")
        add(f"  tickets: [{', '.join(tickets)}]\n")
        if orders:
            add(f"  orders: [{', '.join(orders)}]\n")
        if rng.random() < 0.6:
            project = draft.category[:4].upper()
            add(
                f"  links: [https://jira.escalate.dev/browse/{project}-{rng.randrange(100, 999)}]\n"
            )
        add("steps_tried:\n")
        for step in rng.sample(STEPS, rng.randint(1, 3)):
            add(f"  - {scalar(step)}\n")
        add("timeline:\n" if draft.events else "timeline: []  # nobody has picked it up yet\n")
        for index, event in enumerate(draft.events):
            if index and rng.random() < 0.04:
                add(f"  {rng.choice(COMMENTS)}\n")
            pairs = [("at", stamp(event["at"])), ("event", event["event"]), ("by", event["by"])]
            for key in ("to", "level", "severity", "reason", "channel"):
                if key in event:
                    pairs.append((key, event[key]))
            body = event.get("text")
            if event["event"] == "customer_update" and rng.random() < 0.5:
                # long customer updates are written as folded blocks, like people do
                add(f"  - at: {pairs[0][1]}\n")
                for key, value in pairs[1:]:
                    add(f"    {key}: {value}\n")
                letter = f"Hi {contact.split()[0]}, {body[0].lower()}{body[1:]} Ticket {tickets[0]} has the details."
                out.extend(line + "\n" for line in folded("text", letter, 4))
                continue
            if body is not None:
                pairs.append(("text", scalar(body, flow=True)))
            add(f"  - {flow_map(pairs)}\n")
        self.actions(draft, out)
        if rng.random() < 0.12:
            self.remedy(draft, out)
        if related:
            add(f"related: [{', '.join(related)}]\n")
        if rng.random() < 0.15:
            tags = sorted(
                set(rng.sample(["repeat", "vendor", "black-friday", "vip", "churn-risk"], 2))
            )
            add(f"tags: [{', '.join(tags)}]\n")
        if rng.random() < 0.01:
            add("drill: true\n")
        return "".join(out)

    def actions(self, draft: Draft, out: list[str]) -> None:
        rng = self.rng
        count = rng.choice([0, 1, 1, 2, 2, 3]) if draft.resolved else rng.choice([0, 0, 1])
        if not count:
            return
        out.append("actions:\n")
        start = draft.events[-1]["at"] if draft.events else draft.opened
        for number in range(1, count + 1):
            due = (start + timedelta(days=rng.randint(7, 60))).date()
            pairs = [
                ("id", f"A{number}"),
                ("title", scalar(rng.choice(ACTION_TITLES), flow=True)),
                ("owner", self.person_at(draft.category, "L4")),
                ("due", due.isoformat()),
            ]
            if rng.random() < 0.5:
                done = start + timedelta(days=rng.randint(3, 70), hours=rng.randint(0, 8))
                pairs.append(("done_at", stamp(done)))
            out.append(f"  - {flow_map(pairs)}\n")

    def remedy(self, draft: Draft, out: list[str]) -> None:
        """A remedy the granter's level may give alone: no amount, or within the limit."""
        rng = self.rng
        level, grant = rng.choice(self.policy.grants)
        pairs = [("type", grant["type"])]
        if "max_amount" in grant or grant.get("unlimited"):
            limit = grant.get("max_amount", 50000)
            pairs.append(("amount", str(max(10, int(limit * rng.uniform(0.1, 1.0)) // 10 * 10))))
            pairs.append(("currency", grant.get("currency", "EUR")))
        granter = rng.choice(self.policy.level_people[level])
        at = draft.events[-1]["at"] if draft.events else draft.opened
        pairs += [("granted_by", granter), ("at", stamp(at))]
        out.append("remedies:\n")
        if rng.random() < 0.3:
            out.append("  # agreed with the customer on the follow-up call\n")
        out.append(f"  - {flow_map(pairs)}\n")

    def postmortem(self, draft: Draft) -> str:
        rng = self.rng
        text = CATEGORY_TEXT.get(draft.category)
        title = rng.choice(text["titles"] if text else GENERIC_TITLES)
        fact = rng.choice(text["facts"] if text else ["the cause is not known yet"])
        resolved_at = draft.events[-1]["at"]
        created = (resolved_at + timedelta(days=rng.randint(1, 4))).date()
        status = rng.choice(["draft", "reviewed", "published", "published"])
        authors = sorted({draft.owner, self.person_at(draft.category, "L3")})
        lines = [
            "---",
            f"id: {draft.id}",
            f"title: {scalar(title)}",
            f"status: {status}",
            f"authors: [{', '.join(authors)}]",
            f"created: {created.isoformat()}",
        ]
        if status != "draft":
            reviewed = datetime.combine(created + timedelta(days=3), time(15), UTC)
            lines.append(f"reviewed_at: {stamp(reviewed)}")
        lines += [
            "root_cause:",
            f"  category: {rng.choice(ROOT_CAUSES)}",
            *folded(
                "summary", f"In short, {fact}; nothing stopped it before customers noticed.", 2
            ),
            "contributing_factors:",
            "  - No alert fired on the symptom the customer saw.",
            "  - The runbook step needed an engineer who was not on call.",
            "actions:",
        ]
        for number, action in enumerate(rng.sample(ACTION_TITLES, 2), start=1):
            due = (created + timedelta(days=rng.randint(14, 45))).isoformat()
            owner = self.person_at(draft.category, "L4")
            lines.append(
                f"  - {flow_map([('id', f'A{number}'), ('title', action), ('owner', owner), ('due', due)])}"
            )
        lines += ["lessons:", *(f"  - {scalar(lesson)}" for lesson in rng.sample(LESSONS, 2))]
        lines += ["---", "", f"# {title} ({draft.id})", ""]
        sections = {
            "Summary": f"On {draft.opened:%d %B %Y} a {draft.severity} escalation was opened: {title.lower()}. {fact.capitalize()}.",
            "Impact": "Customers saw failures until the mitigation; the account team followed up with each of them.",
            "Timeline": "\n".join(
                f"- {stamp(event['at'])} {event['event']} ({event['by']})" for event in draft.events
            ),
            "Root cause": f"The investigation found that {fact}. The safeguards we had did not cover this path.",
            "What went well": "- The customer's report had the details we needed.\n- Updates went out on time.",
            "What went wrong": "- Detection came from a customer.\n- The fix needed a manual step.",
            "Actions": "See the actions in the front matter; each has an owner and a due date.",
            "Lessons": "See the lessons in the front matter.",
        }
        for heading, body in sections.items():
            lines += [f"## {heading}", "", body, ""]
        return "\n".join(lines)


def _offset(region: str, day: date) -> timezone:
    """The region's offset on a day, daylight saving roughly (April to October)."""
    _, winter, summer = REGIONS[region]
    return timezone(timedelta(hours=summer if 3 < day.month < 11 else winter))


def generate(root: Path, n: int, seed: int = 7, source: Path = SOURCE) -> None:
    """Write a complete playbook repository with n valid records into root."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for folder in ("policy", "schema"):
        shutil.copytree(source / folder, root / folder, dirs_exist_ok=True)
    policy = read_policy(root)
    generator = Generator(policy, seed)
    rng = generator.rng

    # Opening instants first, so numbers within a year follow the order of opening.
    openings = []
    for _ in range(n):
        year = rng.choices(YEARS, weights=YEAR_WEIGHTS)[0]
        day = rng.randrange(0, 365 - 14)
        region = rng.choices(list(REGIONS), weights=[5, 3, 2])[0]
        when = date(year, 1, 1) + timedelta(days=day)
        minute = rng.randrange(6 * 60, 22 * 60)
        local = datetime.combine(when, time(minute // 60, minute % 60), _offset(region, when))
        openings.append((year, local, region))
    openings.sort(key=lambda item: (item[0], item[1]))

    counters: dict[int, int] = {}
    earlier: dict[str, list[str]] = {}  # category -> ids opened before
    written = 0
    for year, opened, region in openings:
        counters[year] = counters.get(year, 0) + 1
        record_id = f"{policy.id_prefix}-{year}-{counters[year]:04d}"
        severity = rng.choices(policy.severities, weights=[1, 3, 5, 3][: len(policy.severities)])[0]
        category = rng.choice(list(policy.categories))
        tier = rng.choices(policy.tiers, weights=[3, 4, 3][: len(policy.tiers)])[0]
        level = policy.levels[
            min(
                2 if severity == policy.severities[0] else rng.choice([0, 0, 1]),
                len(policy.levels) - 1,
            )
        ]
        draft = Draft(
            id=record_id,
            year=year,
            opened=opened,
            severity=severity,
            category=category,
            tier=tier,
            region=region,
            owner=generator.person_at(category, level),
            level=level,
        )
        generator.timeline(draft)
        pool = earlier.setdefault(category, [])
        related: list[str] = []
        if pool and rng.random() < 0.1:
            related = sorted(set(rng.sample(pool[-50:], min(len(pool[-50:]), rng.randint(1, 2)))))
        pool.append(record_id)
        folder = root / "incidents" / str(year) / record_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "escalation.yaml").write_text(generator.record(draft, related), encoding="utf-8")
        if draft.resolved and draft.severity_now in policy.severities[:2] and rng.random() < 0.05:
            (folder / "postmortem.md").write_text(generator.postmortem(draft), encoding="utf-8")
        written += 1
    assert written == n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="where to write the repository")
    parser.add_argument("records", type=int, help="how many escalation records")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--source", type=Path, default=SOURCE, help="repository to copy policy/ and schema/ from"
    )
    args = parser.parse_args(argv)
    generate(args.directory, args.records, args.seed, args.source)
    print(f"wrote {args.records} records to {args.directory}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
