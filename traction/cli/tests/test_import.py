"""`traction import`: progress, mapping options, refusals with line numbers, crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from traction.cli.main import cli
from traction.core.testing.snapshot import built_on
from traction.insights.models import ImportBatch, Insight
from traction.insights.tests.conftest import Room, build_room

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]

ZOOM = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
Globex, Gina: Approval takes three weeks.

2
00:00:05.000 --> 00:00:07.000
Hank Newman: I sign the contracts.
"""


@pytest.fixture
def room(cast) -> Room:
    return built_on(cast, build_room)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def test_unmatched_speakers_are_listed_then_mapped_and_accepted(room: Room, tmp_path) -> None:
    path = write(tmp_path, "zoom.vtt", ZOOM)
    base = ["import", path, "--session", str(room.session.pk), "--as", "fran@acme.test"]
    refused = invoke(*base)
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1] == (
        "speakers: These names match nobody taking part in the session: “Hank Newman” "
        "(line 7). Map each to a participant or a new contact, or keep them unattributed."
    )
    assert not Insight.objects.exists()

    done = invoke(*base, "--speaker", f"Hank Newman=new:{room.cast.customer.pk}", "--accept")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.splitlines() == [
        "2 transcript lines imported onto the map from zoom.vtt.",
        "New contact: Hank Newman (edit it to add the real email address).",
    ]
    assert "Importing zoom.vtt" in done.stderr  # the progress bar
    assert list(Insight.objects.order_by("source_line").values_list("speaker_name", "status")) == [
        ("Gina Globex", "accepted"),
        ("Hank Newman", "accepted"),
    ]

    again = invoke(*base, "--keep-unmatched")
    assert again.exit_code == 0
    assert again.stdout.startswith("zoom.vtt was already imported into this session (")
    assert Insight.objects.count() == 2


def test_a_bad_file_names_its_line_and_writes_nothing(room: Room, tmp_path) -> None:
    path = write(tmp_path, "broken.srt", "1\n00:00:01,000 --> 00:00:02,000\nGina: ok\n\n2\noops\n")
    result = invoke("import", path, "--session", str(room.session.pk), "--as", "cora@acme.test")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1].startswith("file: Line 6: Expected a timing line")
    assert not ImportBatch.objects.exists()


def test_csv_columns_scenario_and_new_steps(room: Room, tmp_path) -> None:
    path = write(
        tmp_path,
        "wall.csv",
        "Note,Who,Lane,Colour\nToo many forms,Gina Globex,Renewal,yellow\n"
        "Pay by card,Ivy Initech,Set up billing,pink\n",
    )
    result = invoke(
        "import",
        path,
        "--session",
        str(room.session.pk),
        "--as",
        "fran@acme.test",
        "--scenario",
        str(room.scenario.pk),
        "--column",
        "step=Lane",
        "--column",
        "kind=-",
        "--unknown-steps",
        "create",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "2 sticky notes imported to the review queue from wall.csv.",
        "New step: Renewal",
        "Review the candidates in the session's review queue (web UI or API).",
    ]
    assert list(
        Insight.objects.order_by("source_line").values_list("step__title", "speaker_name")
    ) == [("Renewal", "Gina Globex"), ("Set up billing", "Ivy Initech")]


def test_dry_run_shows_the_plan_and_writes_nothing(room: Room, tmp_path) -> None:
    path = write(tmp_path, "zoom.vtt", ZOOM)
    result = invoke(
        "import", path, "--session", str(room.session.pk), "--as", "fran@acme.test", "--dry-run"
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "zoom.vtt: WebVTT transcript, 2 rows.",
        "  speaker “Globex, Gina” (1 row) → Gina Globex, Globex",
        "  speaker “Hank Newman” (1 row) → matches nobody: map it with --speaker",
        "  line       3 [queue] Gina Globex: Approval takes three weeks.",
        "  line       7 [queue] Hank Newman: I sign the contracts.",
    ]
    assert not ImportBatch.objects.exists()


def test_the_dry_run_shows_names_as_the_rows_store_them(room: Room, tmp_path) -> None:
    """A meeting tool's role label ("(External)") is never part of a name on a row: the
    preview shows the name without it, and --speaker takes that spelling too."""
    vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nJoris Bakker (External): Every time.\n"
    path = write(tmp_path, "call.vtt", vtt)
    base = ["import", path, "--session", str(room.session.pk), "--as", "fran@acme.test"]
    result = invoke(*base, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "call.vtt: WebVTT transcript, 1 row.",
        "  speaker “Joris Bakker” (1 row) → matches nobody: map it with --speaker",
        "  line       3 [queue] Joris Bakker: Every time.",
    ]
    assert "(External)" not in result.stdout
    done = invoke(*base, "--speaker", "Joris Bakker=-")
    assert done.exit_code == 0, done.stderr
    assert list(Insight.objects.values_list("speaker_name", "speaker_contact_id")) == [
        ("Joris Bakker", None)
    ]


def test_a_file_over_the_row_limit_is_refused_by_line_and_nothing_is_written(
    room: Room, tmp_path, settings
) -> None:
    settings.TRACTION_IMPORT_MAX_ROWS = {**settings.TRACTION_IMPORT_MAX_ROWS, "insights": 3}
    path = write(tmp_path, "wall.csv", "Content,Author\n" + "Too many forms,Gina Globex\n" * 5)
    base = ["import", path, "--session", str(room.session.pk), "--as", "fran@acme.test"]
    for extra in (["--dry-run"], ["--keep-unmatched"]):
        result = invoke(*base, *extra)
        assert result.exit_code == 1
        assert result.stderr.splitlines()[-1] == (
            "file: “wall.csv” has more than 3 rows, the most one import takes (row 4 is on "
            "line 5); split it into files of at most 3 rows and import each."
        )
    assert not ImportBatch.objects.exists()
    assert not Insight.objects.exists()


def test_observers_and_strangers_cannot_import(room: Room, tmp_path) -> None:
    path = write(tmp_path, "zoom.vtt", ZOOM)
    for email, message in [
        (
            "olive@acme.test",
            "Your role (Observer) does not allow this: “Import transcripts and sticky-note "
            "exports and review the candidates.”",
        ),
        ("stan@rival.test", "Session not found."),
    ]:
        result = invoke("import", path, "--session", str(room.session.pk), "--as", email)
        assert (result.exit_code, result.stderr.strip()) == (1, message)


# --- a crash halfway --------------------------------------------------------------------------

SETUP = """
import django, json; django.setup()
from django.core.management import call_command; call_command('migrate', verbosity=0)
from traction.core.testing.cast import build_cast
from traction.insights.tests.conftest import build_room
room = build_room(build_cast())
print(json.dumps({'session': room.session.pk, 'scenario': room.scenario.pk}))
"""

# The real command, with one change: after the first chunk of rows is committed it says so
# and waits to be killed.
PAUSED_IMPORT = """
import sys, time
from traction.cli.main import cli, setup_django
setup_django()
from traction.insights.imports import services as writing
committed = writing._commit_chunk
def commit_then_wait(*args):
    committed(*args)
    rows = args[-2]  # (..., rows, batch)
    print('committed', len(rows), flush=True)
    time.sleep(120)
writing._commit_chunk = commit_then_wait
cli(sys.argv[1:])
"""

COUNT = """
import django, json; django.setup()
from traction.insights.models import ImportBatch, Insight
print(json.dumps([
    Insight.objects.count(),
    Insight.objects.filter(ImportBatch.visible_insights()).count(),
    list(ImportBatch.objects.values_list('rows', 'in_progress')),
]))
"""

# What a process that died long ago leaves: its batch's progress stops moving.
AGE = """
import django; django.setup()
from django.utils import timezone
from traction.insights.imports.services import STALE_AFTER
from traction.insights.models import ImportBatch
ImportBatch.objects.update(progress_at=timezone.now() - 2 * STALE_AFTER)
"""


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="a file-based SQLite database")
def test_an_import_killed_halfway_is_hidden_then_replaced_by_a_rerun(
    tmp_path: Path, sqlite_file_at_latest: Callable[[Path], Path]
) -> None:
    # The file starts as a copy of the migrated test database: the subprocess's migrate
    # finds nothing to apply (conftest.py, ``sqlite_file_at_latest``).
    db = sqlite_file_at_latest(tmp_path / "crash.sqlite3")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "DJANGO_SETTINGS_MODULE": "traction.settings.test",
        "PYTHONPATH": str(ROOT),
    }

    def python(code: str, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 -- our interpreter, our arguments
            [sys.executable, "-c", code, *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    ids = json.loads(python(SETUP).splitlines()[-1])
    rows = 5000
    wall = tmp_path / "wall.csv"
    wall.write_text(
        "text,author,type,step\n"
        + "".join(f"Note {n},Gina Globex,issue,Set up billing\n" for n in range(rows))
    )
    args = ["import", str(wall), "--session", str(ids["session"]), "--as", "fran@acme.test"]
    args += ["--scenario", str(ids["scenario"])]
    proc = subprocess.Popen(  # noqa: S603 -- our interpreter, our arguments
        [sys.executable, "-c", PAUSED_IMPORT, *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line == "committed 2000", proc.stderr.read() if proc.stderr and not line else line
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # The committed chunk stays, hidden, under a batch still marked in progress.
    assert json.loads(python(COUNT)) == [2000, 0, [[2000, True]]]

    def rerun() -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 -- our interpreter, our arguments
            [sys.executable, "-m", "traction.cli.main", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )

    # Right away it could still be running: refused, nothing changed.
    early = rerun()
    assert early.returncode == 1
    assert "wall.csv is being imported into this session right now (2,000 rows so far" in (
        early.stderr
    )
    assert json.loads(python(COUNT)) == [2000, 0, [[2000, True]]]
    # Once its progress is older than STALE_AFTER, the rerun replaces what it wrote.
    python(AGE)
    done = rerun()
    assert done.returncode == 0, done.stderr
    assert (
        done.stdout.splitlines()[0] == f"{rows:,} sticky notes imported onto the map from wall.csv."
    )
    assert json.loads(python(COUNT)) == [rows, rows, [[rows, False]]]


@pytest.mark.parametrize("number", ["²", "9" * 25, "9" * 5000, "0"])
def test_strange_numbers_in_options_are_refused_plainly(
    room: Room, tmp_path: Path, number: str
) -> None:
    path = write(tmp_path, "wall.csv", "text,author\nContract is long,Gina Globex\n")
    runner = CliRunner()
    for option in ("--session", "--scenario"):
        ids = {"--session": str(room.session.pk), "--scenario": str(room.scenario.pk)}
        ids[option] = number
        args = ["import", path, "--as", "fran@acme.test"]
        args += [part for pair in ids.items() for part in pair]
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, result.output  # a usage error, not a traceback
        assert f"Invalid value for '{option}'" in result.output
    refused = invoke(
        "import",
        path,
        "--session",
        str(room.session.pk),
        "--as",
        "fran@acme.test",
        "--column",
        f"text={number}",
    )
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1].startswith(f"--column: No column “{number}” in the file")
    assert not Insight.objects.exists()
