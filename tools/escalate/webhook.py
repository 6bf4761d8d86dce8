"""Posting a chat message to a webhook: https only, a timeout, and one retry.

The URL always comes from an environment variable whose *name* is in policy (a team's
`webhook_env` in policy/roster.yaml), never from the command line or the repository, so a
secret cannot end up in git or in a shell history. Plain http is refused except on the
loopback interface, where nothing leaves the machine (the tests' local server).
"""

from __future__ import annotations

import ipaddress
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .errors import EscalateError

TIMEOUT_SECONDS = 10.0
RETRY_PAUSE_SECONDS = 1.0
_REASON_LIMIT = 300  # characters of a server's answer worth showing


class DeliveryError(EscalateError):
    """A message that could not be posted: no URL, a refused URL, or the server said no."""

    rule = "webhook"


@dataclass(frozen=True)
class Delivery:
    """What the server answered to a post that succeeded."""

    status: int
    attempts: int


def url_from_env(variable: str, environ: Mapping[str, str] | None = None) -> str:
    """The webhook URL held by an environment variable; DeliveryError if it is unset or unsafe."""
    value = (environ if environ is not None else os.environ).get(variable, "").strip()
    if not value:
        raise DeliveryError(
            f"${variable} is not set; put the webhook URL in that environment variable "
            "(a CI secret), never in the repository"
        )
    check_url(value, variable)
    return value


def check_url(url: str, variable: str = "the webhook URL") -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _loopback(parts.hostname):
        return
    # The URL itself is a secret: name the variable and the scheme, never the value.
    raise DeliveryError(
        f"${variable} is not an https:// URL (scheme {parts.scheme or 'missing'!r}); "
        "webhooks must use https (plain http only on 127.0.0.1 or localhost)"
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def post_json(
    url: str,
    payload: Mapping[str, Any],
    *,
    timeout: float = TIMEOUT_SECONDS,
    retries: int = 1,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """POST payload as JSON; retry once on a timeout, a lost connection or a 5xx answer.

    A 4xx answer is not retried: the message or the URL is wrong, and sending it again
    would only be refused again. Raises DeliveryError with the server's reason.
    """
    check_url(url)
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    attempts = 0
    while True:
        attempts += 1
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Delivery(status=response.status, attempts=attempts)
        except urllib.error.HTTPError as exc:
            reason = _reason(exc)
            retry = exc.code >= 500
            problem = f"the webhook answered {exc.code} {exc.reason}{reason}"
        except TimeoutError:
            retry, problem = True, f"the webhook did not answer within {timeout:g} s"
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                retry, problem = True, f"the webhook did not answer within {timeout:g} s"
            else:
                retry, problem = True, f"could not reach the webhook: {exc.reason}"
        except OSError as exc:  # a connection reset half way through the answer
            retry, problem = True, f"the connection to the webhook failed: {exc}"
        if not retry or attempts > retries:
            tried = f" (tried {attempts} times)" if attempts > 1 else ""
            raise DeliveryError(problem + tried)
        sleep(RETRY_PAUSE_SECONDS)


def _reason(error: urllib.error.HTTPError) -> str:
    try:
        text = error.read(_REASON_LIMIT * 4).decode("utf-8", "replace")
    except OSError:
        return ""
    text = " ".join(text.split())[:_REASON_LIMIT]
    return f": {text}" if text else ""
