"""The plugin's settings: `now` and `profile`, read without building a site."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from mkdocs.exceptions import PluginError

from escalate.mkdocs_plugin import EscalatePlugin, git_commit, parse_now


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-22T12:00:00Z", datetime(2026, 11, 22, 12, tzinfo=UTC)),
        ("2026-11-22T13:00:00+01:00", datetime(2026, 11, 22, 12, tzinfo=UTC)),
        (datetime(2026, 11, 22, 12, tzinfo=UTC), datetime(2026, 11, 22, 12, tzinfo=UTC)),
    ],
)
def test_now_is_an_aware_instant(value: str | datetime, expected: datetime) -> None:
    assert parse_now(value) == expected


@pytest.mark.parametrize("value", ["2026-11-22T12:00:00", "yesterday", datetime(2026, 11, 22, 12)])
def test_now_without_an_offset_is_refused(value: str | datetime) -> None:
    with pytest.raises(PluginError, match="now="):
        parse_now(value)


def test_no_now_means_the_build_time() -> None:
    now = parse_now(None)
    assert now.tzinfo is not None
    assert abs(now - datetime.now(timezone(timedelta(0)))) < timedelta(minutes=1)


def test_plugin_settings_are_typed() -> None:
    plugin = EscalatePlugin()
    errors, warnings = plugin.load_config({"now": "2026-11-22T12:00:00Z", "profile": "public"})
    assert not errors and not warnings
    assert plugin.config.profile == "public"
    errors, _ = plugin.load_config({"profile": 3})
    assert errors


def test_git_commit_outside_a_work_tree_is_none(tmp_path: object) -> None:
    from pathlib import Path

    assert git_commit(Path(str(tmp_path))) is None
