"""Posting to a webhook: https only (loopback excepted), a timeout, one retry on 5xx."""

from __future__ import annotations

from typing import Any

import pytest

from escalate.webhook import DeliveryError, check_url, post_json, url_from_env


@pytest.mark.parametrize(
    "url",
    ["https://hooks.slack.com/services/T/B/x", "http://127.0.0.1:9/x", "http://localhost/x"],
)
def test_allowed_urls(url: str) -> None:
    check_url(url)


@pytest.mark.parametrize(
    "url", ["http://hooks.example.com/x", "ftp://x/y", "hooks.example.com/x", "https://", ""]
)
def test_refused_urls_name_the_variable_not_the_secret(url: str) -> None:
    with pytest.raises(DeliveryError) as caught:
        url_from_env("ESCALATE_WEBHOOK_TEST", {"ESCALATE_WEBHOOK_TEST": url})
    message = caught.value.message
    assert "$ESCALATE_WEBHOOK_TEST" in message
    assert "hooks.example.com" not in message


def test_an_unset_variable_says_where_the_url_goes() -> None:
    with pytest.raises(DeliveryError, match=r"\$ESCALATE_WEBHOOK_X is not set.*never in the"):
        url_from_env("ESCALATE_WEBHOOK_X", {})


def test_success_posts_json_once(webhook: Any) -> None:
    delivery = post_json(webhook.url, {"text": "héllo"}, sleep=lambda _: None)
    assert (delivery.status, delivery.attempts) == (200, 1)
    assert webhook.received == [{"text": "héllo"}]


def test_a_5xx_is_retried_once(webhook: Any) -> None:
    webhook.replies = [webhook.reply(500, "busy"), webhook.reply(200)]
    pauses: list[float] = []
    delivery = post_json(webhook.url, {"text": "x"}, sleep=pauses.append)
    assert (delivery.status, delivery.attempts, len(pauses)) == (200, 2, 1)


def test_two_5xx_fail_with_the_servers_reason(webhook: Any) -> None:
    webhook.replies = [webhook.reply(503, "maintenance window")]
    with pytest.raises(DeliveryError) as caught:
        post_json(webhook.url, {"text": "x"}, sleep=lambda _: None)
    assert "503" in caught.value.message and "maintenance window" in caught.value.message
    assert "tried 2 times" in caught.value.message
    assert len(webhook.received) == 2


def test_a_4xx_is_not_retried(webhook: Any) -> None:
    webhook.replies = [webhook.reply(400, "invalid_blocks")]
    with pytest.raises(DeliveryError, match=r"400.*invalid_blocks"):
        post_json(webhook.url, {"text": "x"}, sleep=lambda _: None)
    assert len(webhook.received) == 1


def test_a_timeout_is_retried_then_reported(webhook: Any) -> None:
    webhook.replies = [webhook.reply(200, delay=1.0)]
    with pytest.raises(DeliveryError, match=r"did not answer within 0.2 s \(tried 2 times\)"):
        post_json(webhook.url, {"text": "x"}, timeout=0.2, sleep=lambda _: None)
