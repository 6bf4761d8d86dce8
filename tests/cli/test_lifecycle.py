"""The lifecycle verbs through the CLI: one event appended, or the file left byte-identical."""

from __future__ import annotations

import difflib
import json
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from escalate.cli import main

MAIN = Path(__file__).resolve().parents[2]
OPEN_ID = "ESC-2026-0100"
OPEN_RECORD = """\
# yaml-language-server: $schema=../../../schema/escalation.schema.json
id: ESC-2026-0100
title: Checkout slow for one shop   # placeholder title
opened_at: 2026-12-01T09:00:00+01:00
reported_by: bob
severity: sev3
category: performance
customer: {name: "Kiosk & Co", tier: business, region: emea}
impact:
  summary: Checkout takes 20 s.

owner: alice      # routed by hand
level: L2
notes: "kept as written"  # internal
timeline:   # events in time order
  # first contact
  - {at: 2026-12-01T09:05:00+01:00, event: note, by: bob, text: Customer called twice}  # by phone
"""


@dataclass
class Result:
    code: int
    out: str
    err: str


def run(root: Path, *args: str) -> Result:
    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        code = main(["--repo", str(root), *args])
    return Result(code, out.getvalue().decode(), err.getvalue().decode())


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    ignore = shutil.ignore_patterns("*.tmp", "__pycache__", ".*")
    for name in ("policy", "schema", "incidents"):
        shutil.copytree(MAIN / name, root / name, ignore=ignore)
    record = root / "incidents" / "2026" / OPEN_ID / "escalation.yaml"
    record.parent.mkdir()
    record.write_text(OPEN_RECORD, encoding="utf-8")
    monkeypatch.setenv("ESCALATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("ESCALATE_NOW", raising=False)
    return root


def record_path(root: Path, escalation_id: str = OPEN_ID) -> Path:
    return root / "incidents" / "2026" / escalation_id / "escalation.yaml"


def diff(before: bytes, after: bytes) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(
            before.decode("utf-8-sig").splitlines(),
            after.decode("utf-8-sig").splitlines(),
            lineterm="",
            n=0,
        )
        if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ]


def show(root: Path, escalation_id: str = OPEN_ID) -> dict[str, object]:
    result = run(root, "show", escalation_id, "--format", "json", "--now", "2026-12-31T00:00:00Z")
    assert result.code == 0, result.err
    view: dict[str, object] = json.loads(result.out)
    return view


T = "2026-12-01T{}:00+01:00"

# (arguments, the line the command prints, the derived status after it)
SEQUENCE = [
    (["ack", "--by", "alice", "--at", T.format("09:10")], "acknowledged", "acknowledged"),
    (["assign", "--to", "dan", "--by", "alice", "--at", T.format("09:20")], "assigned to dan", "acknowledged"),
    (["raise", "--level", "L4", "--by", "dan", "--at", T.format("09:30"), "--text", "Needs SRE: db locks"], "escalated to L4", "acknowledged"),
    (["reclassify", "--severity", "sev2", "--by", "dan", "--at", T.format("09:40")], "reclassified as sev2", "acknowledged"),
    (["update", "--customer", "--text", 'We see it, "next" update at 11:00', "--channel", "email", "--by", "alice", "--at", T.format("09:45")], "customer update", "acknowledged"),
    (["pause", "--reason", "waiting_on_customer", "--by", "alice", "--at", T.format("09:50")], "paused (waiting_on_customer)", "waiting_on_customer"),
    (["resume", "--by", "alice", "--at", T.format("10:30")], "resumed", "acknowledged"),
    (["update", "--text", "Lock contention # in orders table", "--by", "dan", "--at", T.format("10:40")], "update", "acknowledged"),
    (["note", "--text", "Rolled back v2.3", "--by", "dan", "--at", T.format("10:50")], "note", "acknowledged"),
    (["mitigate", "--by", "dan", "--at", T.format("11:00")], "mitigated", "mitigated"),
    (["raise", "--level", "L2", "--to", "alice", "--by", "dan", "--at", T.format("11:10")], "de-escalated to L2, handed to alice", "mitigated"),
    (["resolve", "--by", "alice", "--at", T.format("12:00")], "resolved", "resolved"),
    (["close", "--by", "alice", "--at", T.format("13:00")], "closed", "closed"),
    (["reopen", "--by", "alice", "--at", T.format("14:00"), "--text", "Slow again"], "reopened", "acknowledged"),
    (["resolve", "--by", "alice", "--at", T.format("15:00")], "resolved", "resolved"),
]  # fmt: skip


def test_every_verb_appends_exactly_one_line(repo: Path) -> None:
    path = record_path(repo)
    original = path.read_bytes()
    for args, said, status in SEQUENCE:
        before = path.read_bytes()
        verb, rest = args[0], args[1:]
        result = run(repo, verb, OPEN_ID, *rest)
        assert result.code == 0, (args, result.err)
        at = rest[rest.index("--at") + 1]
        assert result.out.startswith(f"{OPEN_ID}: {said} by ")
        assert f" at {at}; status {status}" in result.out
        changes = diff(before, path.read_bytes())
        assert len(changes) == 1 and changes[0].startswith("+  - {at: " + at), changes
        assert show(repo)["status"] == status
    # every original line survived, in order
    final = path.read_text(encoding="utf-8").splitlines()
    assert [line for line in final if line in original.decode().splitlines()] == (
        original.decode().splitlines()
    )
    view = show(repo)
    assert (view["owner"], view["severity"], view["reopened_count"]) == ("alice", "sev2", 1)
    assert run(repo, "validate").code == 0


def test_the_written_events(repo: Path) -> None:
    path = record_path(repo)
    run(repo, "ack", OPEN_ID, "--by", "alice", "--at", T.format("09:10"))
    run(repo, "update", OPEN_ID, "--customer", "--text", "a: b", "--by", "alice", "--at", T.format("09:11"))  # fmt: skip
    run(repo, "raise", OPEN_ID, "--level", "L4", "--to", "dan", "--by", "alice", "--at", T.format("09:12"))  # fmt: skip
    tail = path.read_text(encoding="utf-8").splitlines()[-3:]
    assert tail == [
        "  - {at: 2026-12-01T09:10:00+01:00, event: acknowledged, by: alice}",
        '  - {at: 2026-12-01T09:11:00+01:00, event: customer_update, by: alice, text: "a: b"}',
        "  - {at: 2026-12-01T09:12:00+01:00, event: escalated, by: alice, level: L4, to: dan}",
    ]


def test_at_defaults_to_now_then_escalate_now_then_the_clock(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = record_path(repo)
    result = run(repo, "ack", OPEN_ID, "--by", "alice", "--now", "2026-12-01T08:30:00Z")
    assert result.code == 0, result.err
    assert "at 2026-12-01T08:30:00+00:00" in result.out
    monkeypatch.setenv("ESCALATE_NOW", "2026-12-01T10:00:00+01:00")
    assert run(repo, "note", OPEN_ID, "--by", "alice", "--text", "x").code == 0
    assert path.read_text().splitlines()[-1].startswith("  - {at: 2026-12-01T10:00:00+01:00")
    monkeypatch.delenv("ESCALATE_NOW")
    # the clock (a record from the past, so that now is after its last event)
    result = run(repo, "note", "ESC-2026-0029", "--by", "frank", "--text", "from the clock")
    assert result.code == 0, result.err
    lines = record_path(repo, "ESC-2026-0029").read_text().splitlines()
    stamp = lines[-1].split("at: ", 1)[1].split(",", 1)[0]
    assert "." not in stamp  # to the second, in the repo's default zone
    written = datetime.fromisoformat(stamp)
    assert written.utcoffset() == written.astimezone(ZoneInfo("Europe/Berlin")).utcoffset()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ack", "ESC-2026-0999", "--by", "alice"], "no escalation 'ESC-2026-0999'"),
        (["ack", "ESC-2026-010", "--by", "alice"], "did you mean 'ESC-2026-0100'"),
        (["ack", OPEN_ID, "--by", "alcie"], "--by 'alcie' is not a person in policy/roster.yaml; did you mean 'alice'?"),
        (["assign", OPEN_ID, "--to", "nobody", "--by", "alice"], "--to 'nobody' is not a person"),
        (["raise", OPEN_ID, "--level", "L7", "--by", "alice"], "--level 'L7' is not a level in policy/matrix.yaml (one of L1, L2, L3, L4, L5)"),
        (["raise", OPEN_ID, "--level", "L2", "--by", "alice"], "the case is already at L2"),
        (["reclassify", OPEN_ID, "--severity", "critical", "--by", "alice"], "--severity 'critical' is not a severity"),
        (["resume", OPEN_ID, "--by", "alice"], "cannot add resumed: the case is not paused"),
        (["close", OPEN_ID, "--by", "alice"], "only a resolved case can be closed (it is open)"),
        (["reopen", OPEN_ID, "--by", "alice"], "only a resolved or closed case can be reopened"),
        (["assign", OPEN_ID, "--to", "alice", "--by", "alice"], "alice already owns the case"),
        (["ack", OPEN_ID, "--by", "alice", "--at", T.format("09:04")], "--at 2026-12-01T09:04:00+01:00 is earlier than the last event (note at 2026-12-01T09:05:00+01:00)"),
        (["ack", OPEN_ID, "--by", "alice", "--now", T.format("08:59")], "is before the case was opened (2026-12-01T09:00:00+01:00)"),
    ],
)  # fmt: skip
def test_refusals_leave_the_file_byte_identical(repo: Path, args: list[str], message: str) -> None:
    snapshot = {p: p.read_bytes() for p in (repo / "incidents").rglob("*") if p.is_file()}
    result = run(
        repo, *args, *([] if "--at" in args or "--now" in args else ["--at", T.format("10:00")])
    )
    assert result.code == 1, result
    assert message in result.err
    assert result.err.startswith("escalate: ") and result.err.count("\n") == 1
    assert result.out == ""
    assert {p: p.read_bytes() for p in (repo / "incidents").rglob("*") if p.is_file()} == snapshot


def test_a_transition_refused_after_another(repo: Path) -> None:
    assert run(repo, "ack", OPEN_ID, "--by", "alice", "--at", T.format("09:10")).code == 0
    path = record_path(repo)
    before = path.read_bytes()
    result = run(repo, "ack", OPEN_ID, "--by", "alice", "--at", T.format("09:20"))
    assert result.code == 1
    assert result.err == (
        f"escalate: {OPEN_ID}: cannot add acknowledged: the case is already acknowledged; "
        "to record more, use `escalate note` or `escalate update`\n"
    )
    assert path.read_bytes() == before


# Each refusal names a command or an option to use, never an edit of the file.
REFUSED_AFTER = [
    (["pause", "--reason", "waiting_on_vendor"], ["pause", "--reason", "waiting_on_customer"],
     "the case is already paused (waiting_on_vendor); `escalate resume` it first"),
    (["mitigate"], ["mitigate"], "the case is already mitigated; `escalate update` records more"),
    (["resolve"], ["resolve"], "the case is already resolved; if the fix did not hold, "
     "`escalate reopen` it first"),
    (["resolve"], ["pause", "--reason", "waiting_on_vendor"],
     "a resolved case cannot be paused; `escalate reopen` it first"),
    (["resolve"], ["mitigate"], "a mitigation comes before the resolution"),
    (["reclassify", "--severity", "sev2"], ["reclassify", "--severity", "sev2"],
     "the case is already sev2; give --severity another severity"),
    (["raise", "--level", "L4"], ["raise", "--level", "L4"],
     "the case is already at L4; give --level another level"),
    (["assign", "--to", "dan"], ["assign", "--to", "dan"],
     "dan already owns the case; give --to someone else"),
]  # fmt: skip


@pytest.mark.parametrize(("first", "second", "message"), REFUSED_AFTER)
def test_refusals_say_which_command_fits(
    repo: Path, first: list[str], second: list[str], message: str
) -> None:
    done = run(repo, first[0], OPEN_ID, *first[1:], "--by", "alice", "--at", T.format("09:10"))
    assert done.code == 0, done.err
    before = record_path(repo).read_bytes()
    result = run(repo, second[0], OPEN_ID, *second[1:], "--by", "alice", "--at", T.format("09:20"))
    assert result.code == 1
    assert message in result.err
    assert "remove this event" not in result.err and "add a resumed event" not in result.err
    assert record_path(repo).read_bytes() == before


def test_a_closed_case_takes_only_a_note_or_a_reopen(repo: Path) -> None:
    for verb in ("resolve", "close"):
        assert run(repo, verb, OPEN_ID, "--by", "alice", "--at", T.format("09:10")).code == 0
    result = run(repo, "ack", OPEN_ID, "--by", "alice", "--at", T.format("09:20"))
    assert result.code == 1
    assert "the case is closed; only `escalate note` and `escalate reopen` can follow" in result.err


def test_refuses_a_record_that_does_not_validate(repo: Path) -> None:
    path = record_path(repo)
    path.write_text(OPEN_RECORD.replace("tier: business", "tier: gold"), encoding="utf-8")
    before = path.read_bytes()
    result = run(repo, "ack", OPEN_ID, "--by", "alice", "--at", T.format("10:00"))
    assert result.code == 1
    assert "does not validate" in result.err
    assert "/customer/tier: 'gold' is not one of enterprise, business, standard" in result.err
    assert f"run `escalate validate incidents/2026/{OPEN_ID}/escalation.yaml`" in result.err
    assert path.read_bytes() == before


def test_refuses_a_record_that_does_not_parse(repo: Path) -> None:
    path = record_path(repo)
    path.write_text(OPEN_RECORD + "  - {at: [\n", encoding="utf-8")
    before = path.read_bytes()
    result = run(repo, "note", OPEN_ID, "--by", "alice", "--text", "x", "--at", T.format("10:00"))
    assert result.code == 1
    assert "does not validate" in result.err and "invalid YAML" in result.err
    assert path.read_bytes() == before


def test_refuses_a_duplicated_id(repo: Path) -> None:
    copy = repo / "incidents" / "2026" / "ESC-2026-0101"
    copy.mkdir()
    (copy / "escalation.yaml").write_bytes(record_path(repo).read_bytes())
    result = run(repo, "ack", OPEN_ID, "--by", "alice", "--at", T.format("10:00"))
    assert result.code == 1
    assert f"run `escalate renumber {OPEN_ID}` first" in result.err


@pytest.mark.parametrize(
    "args",
    [
        ["ack", OPEN_ID],  # --by is required
        ["ack", OPEN_ID, "--by", "alice", "--at", "2026-12-01T10:00:00"],  # no zone
        ["update", OPEN_ID, "--by", "alice"],  # --text is required
        ["pause", OPEN_ID, "--by", "alice", "--reason", "lunch"],
        ["ack", OPEN_ID, "--by", "alice", "--channel", "pigeon"],
    ],
)
def test_usage_errors(repo: Path, args: list[str]) -> None:
    before = record_path(repo).read_bytes()
    result = run(repo, *args)
    assert result.code == 2, result
    assert record_path(repo).read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["note", OPEN_ID, "--by", "alice", "--text", "x", "--at", "2099-01-01T00:00:00Z"],
         "Invalid value for --at: 2099-01-01T00:00:00+00:00 is later than now "
         "(2026-12-05T10:00:00+00:00); record an event once it has happened"),
        (["ack", OPEN_ID, "--by", "alice", "--at", "2026-12-05T10:00:01Z"], "is later than now"),
        (["note", OPEN_ID, "--by", "alice", "--text", ""], "Invalid value for --text: is empty"),
        (["update", OPEN_ID, "--by", "alice", "--customer", "--text", " \t"], "--text: is empty"),
    ],
)  # fmt: skip
def test_a_future_at_and_an_empty_text_are_usage_errors(
    repo: Path, args: list[str], message: str
) -> None:
    before = record_path(repo).read_bytes()
    result = run(repo, *args, "--now", "2026-12-05T10:00:00Z")
    assert result.code == 2, result
    assert message in result.err
    assert record_path(repo).read_bytes() == before
    # and nothing was written that would put later events out of order
    later = run(repo, "ack", OPEN_ID, "--by", "alice", "--now", "2026-12-05T10:00:00Z")
    assert later.code == 0, later.err


def test_at_equal_to_now_is_fine(repo: Path) -> None:
    result = run(
        repo, "ack", OPEN_ID, "--by", "alice", "--at", "2026-12-05T10:00:00Z", "--now",
        "2026-12-05T11:00:00+01:00",
    )  # fmt: skip
    assert result.code == 0, result.err


def test_crlf_bom_and_no_final_newline_are_kept(repo: Path) -> None:
    path = record_path(repo)
    original = ("\ufeff" + OPEN_RECORD.rstrip("\n")).replace("\n", "\r\n").encode("utf-8")
    path.write_bytes(original)
    result = run(repo, "ack", OPEN_ID, "--by", "alice", "--at", T.format("09:10"))
    assert result.code == 0, result.err
    after = path.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf# yaml-language-server")
    assert b"\n" not in after.replace(b"\r\n", b"")
    assert not after.endswith(b"\n")
    assert (
        after
        == original + b"\r\n  - {at: 2026-12-01T09:10:00+01:00, event: acknowledged, by: alice}"
    )
    assert run(repo, "validate").code == 0


def test_block_style_items_get_a_block_style_event(repo: Path) -> None:
    # ESC-2026-0027's last event is a block mapping; its next event is written the same way.
    path = record_path(repo, "ESC-2026-0027")
    before = path.read_bytes()
    view = show(repo, "ESC-2026-0027")
    result = run(
        repo, "note", "ESC-2026-0027", "--by", "carol", "--text", "Review booked", "--now", "2026-12-30T10:00:00+01:00"
    )  # fmt: skip
    assert result.code == 0, result.err
    assert diff(before, path.read_bytes()) == [
        "+  - at: 2026-12-30T10:00:00+01:00",
        "+    event: note",
        "+    by: carol",
        "+    text: Review booked",
    ]
    assert show(repo, "ESC-2026-0027")["status"] == view["status"]


def test_an_empty_timeline_becomes_a_block_list(repo: Path) -> None:
    path = record_path(repo)
    head = OPEN_RECORD.split("timeline:")[0]
    path.write_text(head + "timeline: []   # nothing yet\n", encoding="utf-8")
    result = run(repo, "ack", OPEN_ID, "--by", "alice", "--at", T.format("09:10"))
    assert result.code == 0, result.err
    assert path.read_text(encoding="utf-8") == head + (
        "timeline:   # nothing yet\n"
        "  - {at: 2026-12-01T09:10:00+01:00, event: acknowledged, by: alice}\n"
    )


def test_simultaneous_edits_of_one_record_all_land(repo: Path, tmp_path: Path) -> None:
    # Real processes, as people run them: each takes the record's lock around read, check
    # and write, so none writes over an event another has just added.
    script = MAIN / ".venv" / "bin" / "escalate"
    env = {"ESCALATE_CACHE_DIR": str(tmp_path / "cache"), "PATH": str(script.parent)}
    assert run(repo, "validate", str(record_path(repo))).code == 0  # warm the cache
    texts = [f"Parallel note {n}" for n in range(8)]
    processes = [
        subprocess.Popen(
            [
                str(script),
                "--repo",
                str(repo),
                "note",
                OPEN_ID,
                "--by",
                "alice",
                "--text",
                text,
                "--now",
                "2026-12-05T10:00:00Z",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        for text in texts
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0] * len(texts), outputs
    written = record_path(repo).read_text(encoding="utf-8")
    assert sorted(t for t in texts if f"text: {t}}}" in written) == texts
    assert written.startswith(OPEN_RECORD)  # every byte people wrote is still there
    assert run(repo, "validate", str(record_path(repo))).code == 0
