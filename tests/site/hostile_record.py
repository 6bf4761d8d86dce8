"""A hostile escalation record and postmortem: every text field tries to inject something.

Schema-valid on purpose (identifiers and handles must be, so tags and handles stay plain);
everything free-form carries HTML, Markdown, link and template injections.
"""

from __future__ import annotations

from typing import Any

ID = "ESC-2026-0999"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS_LINK = "[x](javascript:alert(1))"
JINJA = "{{ 7*7 }}"
RAW = "{% raw %}"
ALL = f"{SCRIPT} {IMG} {JS_LINK} {JINJA} {RAW}"

TITLE = f"{SCRIPT} {JINJA} {RAW} {JS_LINK} | *em* _u_ `tick`"
CUSTOMER = f"{IMG} Evil & Co {JINJA}"
CONTACT = f"{SCRIPT} Mallory Hacker, CISO"
# What the customer is called for short; visible text below uses it, and the public build
# must scrub it (in any case: "evilcorp.example" too).
ALIAS = "Evilcorp"
SHORT_NAME_TEXT = "Evilcorp confirms the workaround; see status.evilcorp.example for details."

RECORD: dict[str, Any] = {
    "id": ID,
    "title": TITLE,
    "opened_at": "2026-11-22T09:00:00+01:00",
    "reported_by": "bob",
    "severity": "sev2",
    "category": "payments",
    "product_area": "checkout",
    "customer": {
        "name": CUSTOMER,
        "aliases": [ALIAS],
        "tier": "enterprise",
        "arr": 987654,
        "region": "emea",
        "contact": CONTACT,
    },
    "impact": {
        "customers_affected": 5,
        "revenue_at_risk": 123457,
        "reputational_risk": "high",
        "flags": ["payment"],
        "summary": f"**bold** <b onmouseover=alert(1)>hover</b> ![i](javascript:alert(1)) {ALL}",
    },
    "owner": "alice",
    "level": "L2",
    "references": {
        "tickets": [f"ZD-XSS-{SCRIPT}", f"ZD-FENCE\n```\n{SCRIPT}\n```"],
        "orders": [f"ORD-{JINJA}-31337"],
        "links": [
            'https://example.com/"><script>alert(2)</script>',
            "https://example.com/?a=1&b=<img src=x onerror=alert(3)>",
        ],
    },
    "steps_tried": [
        f"```\n{SCRIPT}\n```",
        f"~~~\n{IMG}\n~~~",
        f"    {SCRIPT} indented",
        "!!! note\n    an admonition?",
    ],
    "timeline": [
        {"at": "2026-11-22T09:05:00+01:00", "event": "acknowledged", "by": "alice"},
        {
            "at": "2026-11-22T09:10:00+01:00",
            "event": "customer_update",
            "by": "alice",
            "text": f"Hello {SCRIPT} {JINJA}\n\n{IMG}\n\n# heading?\n{JS_LINK}",
        },
        {
            "at": "2026-11-22T09:12:00+01:00",
            "event": "customer_update",
            "by": "alice",
            "text": SHORT_NAME_TEXT,
        },
        {
            "at": "2026-11-22T09:15:00+01:00",
            "event": "note",
            "by": "alice",
            "text": f"Internal: secret-note-token-31337 {SCRIPT}",
        },
        {
            "at": "2026-11-22T09:20:00+01:00",
            "event": "update",
            "by": "alice",
            "text": "Internal update: secret-update-token-4242",
        },
    ],
    "actions": [
        {
            "id": "A1",
            "title": f"<svg onload=alert(1)> fix {JINJA}",
            "owner": "alice",
            "due": "2026-12-01",
            "link": 'https://example.com/" onmouseover="alert(4)',
        }
    ],
    "remedies": [
        {
            "type": "service_credit",
            "amount": 4321,
            "currency": "EUR",
            "granted_by": "carol",
            "at": "2026-11-22T09:30:00+01:00",
            "text": f"Credit {SCRIPT} secret-remedy-token",
        }
    ],
    "related": ["ESC-2026-0001"],
    "tags": ["xss-test"],
    "notes": (
        f"[click](javascript:alert(1)) {SCRIPT} {JINJA}\n\n# Heading\n\n"
        '<a href="javascript:alert(1)">a</a> secret-notes-token'
    ),
}

POSTMORTEM = f"""---
id: {ID}
title: "{SCRIPT} postmortem {JINJA}"
status: published
authors: [alice]
created: 2026-11-22
reviewed_at: "2026-11-22T11:00:00+01:00"
root_cause:
  category: third-party
  summary: "{IMG} cause"
contributing_factors:
  - "{SCRIPT}"
actions: []
lessons:
  - "{JINJA} lesson {JS_LINK}"
---

# Title {SCRIPT}

Body with [link](javascript:alert(1)) and <a href="javascript:alert(1)">raw</a> and {IMG}
and {JINJA} and {RAW} and <b onmouseover="alert(1)">bold</b>.

<script>alert(1)</script>

```html
{SCRIPT}
```

[ok link](https://example.com/safe) ![img](https://example.com/x.png)
[data](data:text/html,<script>alert(1)</script>) [vb](vbscript:msgbox) [java tab](java\tscript:alert(1))
<javascript:alert(1)> <https://example.com/auto>

<div onclick="alert(1)">div</div>

| a | b |
|---|---|
| {SCRIPT} | {JINJA} |
"""
