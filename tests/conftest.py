"""Shared fixtures: a scratch playbook repository, records written into it, and the CLI.

Every test that runs `escalate` gets a repository of its own (the real policy/ and schema/,
no incidents/) and a parse cache of its own, so tests never see each other's files and
never touch the user's ~/.cache.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "tests" / "examples"

# A small, realistic record that validates against the real policy. Every example in
# tests/examples starts from this text and breaks (or stretches) one thing, and the examples'
# expected.yaml files count lines in it: keep it as it is.
BASE_RECORD = (EXAMPLES / "base-record.yaml").read_text(encoding="utf-8")


def base_record(**changes: Any) -> dict[str, Any]:
    """The base record as data, with top-level keys replaced (None removes a key)."""
    record: dict[str, Any] = yaml.safe_load(BASE_RECORD)
    # PyYAML (YAML 1.1) turns timestamps and dates into objects; records hold text.
    record = json.loads(json.dumps(record, default=_iso))
    for key, value in changes.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    return record


def _iso(value: Any) -> str:
    return str(value.isoformat())


# Test modules reach these helpers through fixtures, not `from conftest import …`: another
# conftest.py (tests/browser/) also imports as `conftest`, so the name is not reliable.


@pytest.fixture
def make_record() -> Callable[..., dict[str, Any]]:
    """`make_record(**changes)`: the base record as data, top-level keys replaced."""
    return base_record


@pytest.fixture(autouse=True)
def _isolated_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A parse cache per test, and no `now` leaking in from the environment."""
    cache = tmp_path_factory.mktemp("escalate-cache")
    monkeypatch.setenv("ESCALATE_CACHE_DIR", str(cache))
    monkeypatch.delenv("ESCALATE_NOW", raising=False)


_COMPILED: dict[tuple[str, str], Any] = {}


@pytest.fixture
def _reuse_compiled_schemas(monkeypatch: pytest.MonkeyPatch) -> None:
    """Compile each schema once per test session instead of once per `escalate` run.

    Every command compiles seven schemas (~0.7 s), which over a hundred in-process runs is
    most of the suite's time. Only the compiled validators are handed on, and only between
    byte-identical schema files (same kind, same digest): a test that edits a schema gets a
    fresh compile, and each store still reports its own schema path. The subprocess tests
    run the tool untouched.
    """
    from escalate.schema import SchemaStore

    original = SchemaStore.get

    def get(self: SchemaStore, kind: str) -> Any:
        if kind not in self._compiled:
            fresh = original(self, kind)
            key = (kind, fresh.digest)
            donor = _COMPILED.get(key)
            if donor is not None:
                for name in ("fast", "full"):  # functools.cached_property values
                    if name in vars(donor):
                        vars(fresh).setdefault(name, vars(donor)[name])
            _COMPILED[key] = fresh
        return self._compiled[kind]

    monkeypatch.setattr(SchemaStore, "get", get)


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """A playbook repository with the real policy/ and schema/ and no incidents."""
    repo = tmp_path / "playbook"
    repo.mkdir()
    shutil.copytree(ROOT / "policy", repo / "policy")
    shutil.copytree(ROOT / "schema", repo / "schema")
    return repo


def record_path(repo: Path, record_id: str, name: str = "escalation.yaml") -> Path:
    """incidents/<year>/<ID>/<name>, the year taken from the ID."""
    year = record_id.split("-")[-2]
    return repo / "incidents" / year / record_id / name


WriteRecord = Callable[..., Path]


def _write_record(
    repo: Path,
    record: Mapping[str, Any] | str | bytes = BASE_RECORD,
    *,
    record_id: str | None = None,
    name: str = "escalation.yaml",
) -> Path:
    """Write a record (data, text or raw bytes) to incidents/<year>/<ID>/; return its path.

    The directory is the record's own id unless `record_id` says otherwise (to put a record
    where it does not belong).
    """
    if isinstance(record, Mapping):
        content: bytes = yaml.safe_dump(
            dict(record), sort_keys=False, allow_unicode=True, width=200
        ).encode("utf-8")
        record_id = record_id or str(record["id"])
    elif isinstance(record, str):
        content = record.encode("utf-8")
    else:
        content = record
    if record_id is None:
        found = yaml.safe_load(content.decode("utf-8", "replace"))
        record_id = str(found["id"])
    path = record_path(repo, record_id, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@pytest.fixture
def write_record() -> WriteRecord:
    """`write_record(repo, data_or_text, record_id=None, name="escalation.yaml")`."""
    return _write_record


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def __str__(self) -> str:  # what a failing assertion shows
        return f"exit {self.exit_code}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


RunCli = Callable[..., CliResult]


def _run_cli(
    args: Sequence[str],
    repo: Path | None = None,
    *,
    cwd: Path | None = None,
    allow_crash: bool = False,
) -> CliResult:
    """Run `escalate [--repo REPO] ARGS` in-process, the way the installed script runs it.

    The script is `escalate.cli:main`, which calls `run_guarded`: that is where exceptions
    become exit codes (1 findings or a user error, 2 usage, 3 a bug) and where a command's
    return value (validate returns 1 on findings) becomes the exit code. `runner.invoke(cli)`
    would bypass it: in standalone mode the return value is dropped (exit 0 with errors) and
    an EscalateError would escape as an exception. So we call `main` inside CliRunner's
    isolation, which captures stdout and stderr separately. The spirit of
    `catch_exceptions=False` is kept by `--traceback` plus failing on exit 3: a crash shows
    up in the test as its traceback rather than as a mysterious exit code.
    """
    from escalate.cli import main

    argv = ["--traceback"]
    if repo is not None:
        argv += ["--repo", str(repo)]
    argv += list(args)
    runner = CliRunner()
    with (
        contextlib.chdir(cwd or repo or ROOT),
        runner.isolation() as (stdout, stderr, _),
    ):
        code = main(argv)
        out = stdout.getvalue().decode("utf-8")
        err = stderr.getvalue().decode("utf-8")
    result = CliResult(code, out, err)
    if code == 3 and not allow_crash:
        pytest.fail(f"escalate {' '.join(argv)} crashed\n{result}", pytrace=False)
    return result


@pytest.fixture
def run_cli(_reuse_compiled_schemas: None) -> RunCli:
    """`run_cli(args, repo=None, *, cwd=None, allow_crash=False) -> CliResult`."""
    return _run_cli


def _copy_example(case: Path | str, repo: Path) -> Path:
    """Drop an example's files (all but expected.yaml) into a repository, byte for byte.

    `case` is a directory, or a name under tests/examples/ such as "invalid/alias-bomb".
    """
    source = case if isinstance(case, Path) else EXAMPLES / case
    shutil.copytree(
        source, repo, dirs_exist_ok=True, ignore=shutil.ignore_patterns("expected.yaml")
    )
    return repo


@pytest.fixture
def copy_example() -> Callable[[Path | str, Path], Path]:
    """`copy_example(case, repo)`: an example's files dropped into a repository."""
    return _copy_example


# --- a local webhook ---------------------------------------------------------------------------


@dataclass
class Reply:
    """What the test webhook answers to one request: a status, a body, after a delay."""

    status: int = 200
    body: str = "ok"
    delay: float = 0.0


class WebhookServer:
    """An HTTP server on 127.0.0.1 that answers posts from a script of replies.

    `replies` are used in order, the last one for every request after them; `received` holds
    the JSON bodies that arrived.
    """

    def __init__(self) -> None:
        import http.server
        import threading

        self.replies: list[Reply] = [Reply()]
        self.received: list[Any] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                import time

                length = int(self.headers.get("Content-Length", "0"))
                server.received.append(json.loads(self.rfile.read(length) or b"null"))
                index = min(len(server.received), len(server.replies)) - 1
                reply = server.replies[index]
                time.sleep(reply.delay)
                body = reply.body.encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting: that is what a timeout test wants

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    reply = Reply  # tests script answers as webhook.reply(500, "busy"): no conftest import

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def webhook() -> Any:
    """A `WebhookServer` on loopback; set `.replies` to script its answers."""
    server = WebhookServer()
    yield server
    server.close()
