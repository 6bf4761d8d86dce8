"""Derivations: what a command works out from one file and the policy, kept with the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from escalate.policy import Policy
from escalate.repo import Derivation, Repo, SourceFile

POLICY = Policy(root=Path("."))


def _repo(source: SourceFile) -> Repo:
    return Repo(Path("."), None, POLICY, [], [source])  # type: ignore[arg-type]


def test_a_kept_result_is_used_only_under_its_policy_and_version() -> None:
    calls: list[str] = []

    def count_keys(policy: Policy, source: SourceFile) -> Any:
        calls.append(source.path)
        return len(source.data)

    source = SourceFile("a.yaml", "escalation", "", {"id": "ESC-2026-0001", "x": 1}, [])
    first = Derivation("keys", count_keys)
    repo = _repo(source)
    assert repo.derived(source, first) == 2
    assert repo.derived(source, first) == 2
    assert calls == ["a.yaml"], "computed once, then read back"

    # What an earlier shape of the derivation kept is not read as this one's.
    source.derived["keys"] = (first.key(POLICY), "an old shape")
    assert repo.derived(source, Derivation("keys", count_keys, version=2)) == 2
    # Nor what was worked out under another policy.
    source.derived["keys"] = ("another-policy/1", "stale")
    assert repo.derived(source, first) == 2
    assert len(calls) == 3
