"""The GitHub Actions workflows: linted by actionlint and zizmor, and held to the repo's rules.

Rules: every action pinned to a full commit SHA with its version in a comment; no permissions
at the top level, and only the job-level grants each job needs; checkouts keep no token;
concurrency and timeouts everywhere; no `${{ }}` expression inside a `run:` script (values
reach scripts through `env:`). The `escalate` commands the workflows run must exist with the
options they pass.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from escalate.cli import main

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
NAMES = ("validate.yml", "sla-watch.yml", "pages.yml")

PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$")

# The job-level grants each job may hold, and nothing more.
ALLOWED_PERMISSIONS = {
    ("validate.yml", "validate"): {"contents": "read"},
    ("sla-watch.yml", "watch"): {"contents": "read", "issues": "write"},
    ("sla-watch.yml", "notify"): {"contents": "read"},
    ("pages.yml", "build"): {"contents": "read", "pages": "read"},
    ("pages.yml", "deploy"): {"pages": "write", "id-token": "write"},
}


def _tool(name: str) -> str:
    """A linter from the dev extra: beside this Python first, then on PATH."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run `pip install -e '.[dev]'` (make test does)")
    return found


def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict), name
    # YAML 1.1 reads the key `on` as the boolean true.
    if True in data:
        data["on"] = data.pop(True)
    return data


def _steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (job_id, step) for job_id, job in workflow["jobs"].items() for step in job.get("steps", [])
    ]


def _run_scripts(workflow: dict[str, Any]) -> list[str]:
    return [step["run"] for _, step in _steps(workflow) if "run" in step]


def test_the_three_workflows_exist() -> None:
    assert sorted(path.name for path in WORKFLOWS.glob("*.y*ml")) == sorted(NAMES)


def test_actionlint_finds_nothing() -> None:
    done = subprocess.run(
        [_tool("actionlint"), "-no-color", *(str(WORKFLOWS / name) for name in NAMES)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_pinned_actions_run_on_a_supported_runtime(tmp_path: Path) -> None:
    # actionlint knows each action's runtime by major version tag (node20 is past its removal
    # date), not by commit: lint a copy with every `@SHA # vX.Y.Z` turned into `@vX`.
    copies = []
    for name in NAMES:
        text = (WORKFLOWS / name).read_text(encoding="utf-8")
        copy = tmp_path / name
        copy.write_text(
            re.sub(r"@[0-9a-f]{40} # v(\d+)\.\d+\.\d+", r"@v\1", text), encoding="utf-8"
        )
        copies.append(str(copy))
    done = subprocess.run(
        [_tool("actionlint"), "-no-color", *copies],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def test_zizmor_finds_nothing(tmp_path: Path) -> None:
    # --offline: no network (so no audits that ask GitHub about refs); the auditor persona
    # reports everything, pedantic findings included.
    done = subprocess.run(
        [
            _tool("zizmor"),
            "--offline",
            "--persona",
            "auditor",
            "--format",
            "json",
            "--no-progress",
            "--cache-dir",
            str(tmp_path),
            str(WORKFLOWS),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    findings = json.loads(done.stdout)
    assert findings == [], json.dumps(findings, indent=2)


@pytest.mark.parametrize("name", NAMES)
def test_every_action_is_pinned_to_a_commit_with_its_version(name: str) -> None:
    workflow = _load(name)
    uses = [step["uses"] for _, step in _steps(workflow) if "uses" in step]
    uses += [job["uses"] for job in workflow["jobs"].values() if "uses" in job]
    assert uses, f"{name} uses no action"
    for ref in uses:
        assert PINNED.match(ref), f"{name}: {ref} is not pinned to a 40-hex commit SHA"
    for line in (WORKFLOWS / name).read_text(encoding="utf-8").splitlines():
        if re.match(r"\s*(- )?uses:", line):
            assert VERSION_COMMENT.search(line), f"{name}: no `# vX.Y.Z` after the SHA: {line}"


@pytest.mark.parametrize("name", NAMES)
def test_permissions_are_least_privilege(name: str) -> None:
    workflow = _load(name)
    assert workflow.get("permissions") in ({}, {"contents": "read"}), (
        f"{name}: top-level permissions must be {{}} or contents: read"
    )
    for job_id, job in workflow["jobs"].items():
        granted = job.get("permissions")
        assert isinstance(granted, dict), f"{name}: job {job_id} must say its permissions"
        assert granted == ALLOWED_PERMISSIONS[(name, job_id)], f"{name}: job {job_id}"


@pytest.mark.parametrize("name", NAMES)
def test_jobs_have_timeouts_and_the_workflow_a_concurrency_group(name: str) -> None:
    workflow = _load(name)
    assert workflow.get("concurrency", {}).get("group"), f"{name}: no concurrency group"
    for job_id, job in workflow["jobs"].items():
        assert 0 < int(job.get("timeout-minutes", 0)) <= 30, f"{name}: job {job_id} timeout"


@pytest.mark.parametrize("name", NAMES)
def test_checkouts_keep_no_credentials(name: str) -> None:
    for job_id, step in _steps(_load(name)):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False, (
                f"{name}: job {job_id} checks out with persisted credentials"
            )


@pytest.mark.parametrize("name", NAMES)
def test_no_expressions_in_run_scripts(name: str) -> None:
    for script in _run_scripts(_load(name)):
        assert "${{" not in script, f"{name}: pass values through env:, not into: {script}"


def test_validate_runs_on_pull_requests() -> None:
    workflow = _load("validate.yml")
    assert {"pull_request", "workflow_dispatch"} <= set(workflow["on"])
    scripts = "\n".join(_run_scripts(workflow))
    assert "pip install --disable-pip-version-check -e ." in scripts
    assert "escalate validate --format github" in scripts
    assert (
        'escalate sla check --format markdown --fail-on never >> "$GITHUB_STEP_SUMMARY"' in scripts
    )
    assert "mkdocs build --strict" in scripts
    setup = [s for _, s in _steps(workflow) if "setup-python" in str(s.get("uses", ""))]
    assert setup and setup[0]["with"]["python-version"] == "3.11"


def test_sla_watch_runs_hourly_and_on_main() -> None:
    workflow = _load("sla-watch.yml")
    triggers = workflow["on"]
    assert {"schedule", "push", "workflow_dispatch"} <= set(triggers)
    crons = [entry["cron"] for entry in triggers["schedule"]]
    assert any(re.fullmatch(r"\d{1,2} \* \* \* \*", cron) for cron in crons), crons
    assert triggers["push"]["branches"] == ["main"]
    watch_steps = [s for _, s in _steps(workflow) if s.get("run", "").strip() == "escalate watch"]
    assert len(watch_steps) == 1
    assert watch_steps[0]["env"]["GH_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert (
        'escalate sla check --format markdown --fail-on never >> "$GITHUB_STEP_SUMMARY"'
        in "\n".join(_run_scripts(workflow))
    )


def test_sla_watch_tells_the_teams_from_its_own_environment() -> None:
    workflow = _load("sla-watch.yml")
    job = workflow["jobs"]["notify"]
    assert job["environment"] == "team-chat", "the webhook secrets are scoped to one job"
    steps = job["steps"]
    (run,) = [s for s in steps if str(s.get("run", "")).startswith("escalate notify")]
    state = ".escalate/notify-state.json"
    assert run["run"].split() == ["escalate", "notify", "--state", state]
    restore = [s for s in steps if "actions/cache/restore@" in str(s.get("uses", ""))]
    save = [s for s in steps if "actions/cache/save@" in str(s.get("uses", ""))]
    assert restore and save and steps.index(restore[0]) < steps.index(run) < steps.index(save[0])
    assert restore[0]["with"]["path"] == save[0]["with"]["path"] == state
    assert restore[0]["with"]["restore-keys"] == "escalate-notify-"
    assert save[0]["with"]["key"] == restore[0]["with"]["key"], "saved under this run's key"
    # Every team's webhook variable (policy/roster.yaml) reaches the command, from a secret.
    import yaml

    roster = yaml.safe_load((ROOT / "policy" / "roster.yaml").read_text(encoding="utf-8"))
    wanted = {team["webhook_env"] for team in roster["teams"] if team.get("webhook_env")}
    assert set(run["env"]) == wanted
    assert all(run["env"][name] == f"${{{{ secrets.{name} }}}}" for name in wanted)


def test_pages_builds_strictly_and_deploys_from_main() -> None:
    workflow = _load("pages.yml")
    triggers = workflow["on"]
    assert {"schedule", "push", "workflow_dispatch"} <= set(triggers)
    assert triggers["push"]["branches"] == ["main"]
    assert [entry["cron"] for entry in triggers["schedule"]] == ["*/30 * * * *"]
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert "mkdocs build --strict" in "\n".join(s.get("run", "") for s in build["steps"])
    assert any("upload-pages-artifact@" in s.get("uses", "") for s in build["steps"])
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert any("deploy-pages@" in s.get("uses", "") for s in deploy["steps"])


def _escalate_commands() -> list[list[str]]:
    commands = []
    for name in NAMES:
        for script in _run_scripts(_load(name)):
            for line in script.splitlines():
                words = shlex.split(line.split(">>")[0])
                if words and words[0] == "escalate":
                    commands.append(words[1:])
    return commands


def test_the_escalate_commands_of_the_workflows_exist_with_their_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    commands = _escalate_commands()
    assert {tuple(command[:1]) for command in commands} >= {("validate",), ("sla",), ("watch",)}
    for command in commands:
        path = [word for word in command if not word.startswith("-")][:2]
        if path[0] != "sla":
            path = path[:1]
        capsys.readouterr()
        assert main([*path, "--help"]) == 0, command
        help_text = capsys.readouterr().out
        for word in command:
            if word.startswith("--"):
                assert word in help_text, f"escalate {' '.join(path)} has no {word}"
