"""Import benchmarks: `import-stickies-100k` and `import-vtt-1mb`.

import-stickies-100k: a generated 100,000-row sticky-note CSV imported through the same code
path as `traction import` (``imports.import_file`` with a progress callback, audit channel
"cli") into a session of the bench database; every row names a participant, a known type and
a step, so all go onto the map. The **baseline**, in the same run, is a raw ``sqlite3``
``executemany`` of the very same rows (read back from the bench database) in one transaction
into a fresh database holding the insight table as the migrations made it: its CREATE TABLE,
indexes, FTS5 table and triggers are copied from the bench database's ``sqlite_master``, the
tables its foreign keys point at exist (ids only), and the connection has Django's PRAGMAs
(WAL, synchronous=NORMAL, foreign_keys=ON). Ratio: our rows/s ÷ raw rows/s; goal ≥ 0.5.
Peak memory (tracemalloc, Python allocations) of the same import at 10k and 100k rows, in
separate runs (tracemalloc slows Python down, so never during the timed run), shows memory
staying flat as the file grows.

import-vtt-1mb: a generated ~1 MB WebVTT transcript of ~3,500 cues (Zoom style "Name: text",
the speaker changing every one to three cues) imported into the review queue; median of 5
runs, each a distinct file. The ratio is the median against the 0.5 s goal (≤ 1 meets it);
for context the baseline column shows the raw sqlite3 insert of the same rows into the same
schema (as above) without any parsing: the floor the import cannot go under.

Run standalone: ``.venv/bin/python -m bench.imports`` prints the rows.
"""

from __future__ import annotations

import argparse
import io
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.run import Row

ROWS = 100_000
SMALL_ROWS = 10_000
VTT_CUES = 3_500
VTT_RUNS = 5
KINDS = ["Pain point", "Idea", "Moment of truth", "KPI", "Issue", "Wish"]
STEPS = ["Discover", "Sign the contract", "Set up billing", "First invoice", "Renew"]
WORDS = [
    *[
        "approval",
        "invoice",
        "billing",
        "contract",
        "onboarding",
        "export",
        "report",
        "dashboard",
        "login",
    ],
    *[
        "password",
        "support",
        "ticket",
        "renewal",
        "pricing",
        "discount",
        "integration",
        "api",
        "webhook",
        "sso",
    ],
    *[
        "audit",
        "training",
        "welcome",
        "email",
        "checklist",
        "handover",
        "kickoff",
        "migration",
        "data",
    ],
    *["import", "template", "workflow"],
]


@dataclass
class World:
    viewer: Any
    sessions: list[Any]  # one fresh session per measured import
    scenario_of: dict[int, int]  # session id -> scenario id
    authors: list[str]


def _seed(sessions: int) -> World:
    """A workspace with three customers' contacts invited to ``sessions`` sessions, a note
    taker, and a scenario with five steps in each session; all through the services."""
    from django.utils import timezone

    from traction.accounts import services as accounts
    from traction.core import audit
    from traction.core.permissions import Role, Viewer
    from traction.customers import services as customers
    from traction.insights import services as insights
    from traction.programs import services as programs
    from traction.sessions import services as session_services

    with audit.channel("system"):
        admin = accounts.create_user(
            email="imports@bench.example", full_name="Ida Importer", password=None
        )
        taker = accounts.create_user(
            email="notes@bench.example", full_name="Nora Notes", password=None
        )
        workspace = accounts.create_workspace(name="Imports", admin=admin, slug="imports")
        accounts.add_member(None, workspace=workspace, user=taker, role=Role.CORE_TEAM)
        viewer = Viewer(user=admin, workspace_id=workspace.pk, role=Role.ADMIN)
        program = programs.create_program(viewer, name="Bench program", goal="Measure imports.")
        contacts = []
        for n, name in enumerate(["Gina Globex", "Ivy Initech", "Hal Hooli"]):
            customer = customers.create_customer(
                viewer, name=f"Customer {n}", segment="enterprise", account_owner_id=admin.pk
            )
            contacts.append(
                customers.add_contact(
                    viewer,
                    customer=customer,
                    name=name,
                    email=f"c{n}@bench.example",
                    consent_to_contact=True,
                )
            )
        start = timezone.now() + timedelta(days=3)
        found, scenario_of = [], {}
        for n in range(sessions):
            session = session_services.plan_session(
                viewer,
                program=program,
                title=f"Bench session {n}",
                starts_at=start,
                ends_at=start + timedelta(hours=3),
            )
            session_services.add_participant(
                viewer, session=session, user_id=taker.pk, role="note_taker"
            )
            for contact in contacts:
                request = session_services.request_outreach(
                    viewer, session=session, contact=contact
                )
                session_services.send_invitation(viewer, request=request)
            scenario = insights.create_scenario(
                viewer, session=session, title="Team Blue", steps=STEPS
            )
            found.append(session)
            scenario_of[session.pk] = scenario.pk
    authors = [c.name for c in contacts] + ["Globex, Gina", "Nora Notes"]
    return World(viewer, found, scenario_of, authors)


def stickies_csv(rows: int, authors: list[str], seed: int = 7) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    out.write("Sticky note,Created by,Card type,Frame,Tags\r\n")
    for n in range(rows):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 14)))
        tags = f"{rng.choice(WORDS)}; {rng.choice(WORDS)}" if n % 3 == 0 else ""
        author = authors[n % len(authors)]
        author = f'"{author}"' if "," in author else author
        out.write(f"Note {n}: {text},{author},{KINDS[n % len(KINDS)]},{STEPS[n % 5]},{tags}\r\n")
    return out.getvalue().encode()


def zoom_vtt(cues: int, authors: list[str], variant: int) -> bytes:
    rng = random.Random(variant)
    lines = ["WEBVTT", "", f"NOTE bench variant {variant}", ""]
    speaker = authors[0]
    ms = 0
    for n in range(1, cues + 1):
        if rng.random() < 0.6:
            speaker = rng.choice(authors)
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(30, 36)))
        start, ms = ms, ms + rng.randint(1500, 6000)
        lines += [str(n), f"{_stamp(start)} --> {_stamp(ms)}", f"{speaker}: {words}.", ""]
    return "\n".join(lines).encode()


def _stamp(ms: int) -> str:
    s, ms = divmod(ms, 1000)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.{ms:03d}"


def _import(world: World, session: Any, data: bytes, name: str, **options: Any) -> Any:
    """What `traction import` does: the service, a progress callback, the CLI channel."""
    from traction.core import audit
    from traction.insights import imports

    seen = [0]

    def progress(done: int, total: int) -> None:
        seen[0] = done

    with audit.channel("cli"):
        result = imports.import_file(
            world.viewer,
            session=session,
            stream=io.BytesIO(data),
            filename=name,
            options=imports.ImportOptions(**options),
            progress=progress,
        )
    if not result.created or seen[0] != len(data):
        raise RuntimeError(f"{name}: not imported, or not read to the end")
    return result


# --- the raw baseline -------------------------------------------------------------------------


def _raw_schema(db_path: str) -> list[str]:
    """CREATE statements of the insight table, its indexes, its FTS table and triggers, as
    the migrations left them in the bench database."""
    from traction.insights.models import Insight

    table = Insight._meta.db_table
    with sqlite3.connect(db_path) as bench:
        entries = bench.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL"
        ).fetchall()
    statements = [sql for kind, name, tbl, sql in entries if kind == "table" and name == table]
    statements += [sql for kind, name, tbl, sql in entries if kind == "index" and tbl == table]
    virtual = [
        (name, sql)
        for kind, name, tbl, sql in entries
        if kind == "table" and sql.upper().startswith("CREATE VIRTUAL") and f"'{table}'" in sql
    ]
    statements += [sql for _, sql in virtual]
    statements += [sql for kind, name, tbl, sql in entries if kind == "trigger" and tbl == table]
    if not virtual:
        print("  (no FTS table on the insight table in this schema)", flush=True)
    return statements


def raw_insert(db_path: str, rows: list[tuple[Any, ...]], columns: list[str], tmp: Path) -> float:
    """Seconds for one executemany of ``rows`` in one transaction, schema as in the app."""
    from traction.insights.models import Insight

    path = tmp / "raw.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")
    raw.execute("PRAGMA foreign_keys=ON")
    # The tables the foreign keys point at, holding the ids the rows use (a deferred check
    # at commit looks them up by primary key, as in the app's database).
    by_column = {f.column: f for f in Insight._meta.concrete_fields}
    for name, field in by_column.items():
        if field.is_relation and field.related_model is not Insight:
            parent = field.related_model._meta.db_table  # type: ignore[union-attr]
            raw.execute(f'CREATE TABLE IF NOT EXISTS "{parent}" (id integer PRIMARY KEY)')
            at = columns.index(name)
            ids = {(r[at],) for r in rows if r[at] is not None}
            raw.executemany(f'INSERT OR IGNORE INTO "{parent}" (id) VALUES (?)', list(ids))
    for sql in _raw_schema(db_path):
        raw.execute(sql)
    insert = (
        f'INSERT INTO "{Insight._meta.db_table}" ({", ".join(columns)}) '
        f"VALUES ({', '.join('?' * len(columns))})"
    )
    started = time.perf_counter()
    raw.execute("BEGIN")
    raw.executemany(insert, rows)
    raw.execute("COMMIT")
    seconds = time.perf_counter() - started
    count = raw.execute(f'SELECT count(*) FROM "{Insight._meta.db_table}"').fetchone()[0]
    raw.close()
    assert count == len(rows), f"raw baseline inserted {count} of {len(rows)} rows"
    return seconds


def _rows_of(batch_id: int) -> tuple[list[str], list[tuple[Any, ...]]]:
    from django.db import connection

    from traction.insights.models import Insight

    columns = [f.column for f in Insight._meta.concrete_fields if not f.primary_key]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {Insight._meta.db_table} "
            "WHERE batch_id = %s ORDER BY id",
            [batch_id],
        )
        return columns, [tuple(r) for r in cursor.fetchall()]


def _peak_mib(world: World, session: Any, data: bytes, name: str) -> float:
    tracemalloc.start()
    try:
        _import(world, session, data, name, scenario_id=world.scenario_of[session.pk])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / (1024 * 1024)


# --- the benchmarks ---------------------------------------------------------------------------


def run(args: argparse.Namespace, var_dir: Path) -> list[Row]:
    from django.conf import settings

    from bench.run import Row, cpu_model

    rows = int(getattr(args, "import_rows", ROWS))
    small = min(SMALL_ROWS, rows)
    world = _seed(sessions=3 + VTT_RUNS)
    measured_on = (
        f"{cpu_model()}, {__import__('os').cpu_count()} cores, {time.strftime('%Y-%m-%d')}"
    )
    db_path = str(settings.DATABASES["default"]["NAME"])

    print(f"Generating a {rows:,}-row sticky-note CSV …", flush=True)
    big = stickies_csv(rows, world.authors)
    timed, mem_small, mem_big, *vtt_sessions = world.sessions
    print(f"Importing it as `traction import` does ({len(big) / 1e6:.1f} MB) …", flush=True)
    started = time.perf_counter()
    result = _import(world, timed, big, "wall.csv", scenario_id=world.scenario_of[timed.pk])
    ours = time.perf_counter() - started
    if result.accepted != rows:
        raise RuntimeError(f"expected {rows} rows on the map, got {result.accepted}")
    columns, inserted = _rows_of(result.batch.pk)
    print("Raw sqlite3 executemany of the same rows …", flush=True)
    with tempfile.TemporaryDirectory(dir=var_dir) as tmp:
        raw = raw_insert(db_path, inserted, columns, Path(tmp))
    del inserted
    print("Peak memory at 10k and 100k rows (tracemalloc) …", flush=True)
    peak_small = _peak_mib(world, mem_small, stickies_csv(small, world.authors, 8), "small.csv")
    peak_big = _peak_mib(world, mem_big, stickies_csv(rows, world.authors, 9), "big.csv")
    ours_rate, raw_rate = rows / ours, rows / raw
    stickies = Row(
        benchmark=f"import-stickies-{rows // 1000}k",
        figure=(
            f"{ours_rate:,.0f} rows/s ({ours:.2f} s); peak memory {peak_small:.1f} MiB at "
            f"{small // 1000}k rows, {peak_big:.1f} MiB at {rows // 1000}k"
        ),
        baseline=f"{raw_rate:,.0f} rows/s ({raw:.2f} s), raw sqlite3 executemany",
        ratio=f"{ours_rate / raw_rate:.2f}",
        goal="≥ 0.5",
        measured_on=measured_on,
    )

    print(f"Importing {VTT_RUNS} generated ~1 MB WebVTT transcripts …", flush=True)
    seconds, raws, sizes, candidates = [], [], [], []
    for n, session in enumerate(vtt_sessions):
        data = zoom_vtt(VTT_CUES, world.authors, n)
        started = time.perf_counter()
        done = _import(world, session, data, f"zoom-{n}.vtt")
        seconds.append(time.perf_counter() - started)
        sizes.append(len(data))
        candidates.append(done.candidates)
        columns, inserted = _rows_of(done.batch.pk)
        with tempfile.TemporaryDirectory(dir=var_dir) as tmp:
            raws.append(raw_insert(db_path, inserted, columns, Path(tmp)))
    median = statistics.median(seconds)
    vtt = Row(
        benchmark="import-vtt-1mb",
        figure=(
            f"{median:.3f} s median ({min(seconds):.3f}–{max(seconds):.3f}); "
            f"{statistics.mean(sizes) / 1e6:.2f} MB, {VTT_CUES:,} cues → "
            f"{statistics.median(candidates):,.0f} candidates"
        ),
        baseline=(
            f"{statistics.median(raws):.3f} s median: raw sqlite3 insert of the same rows "
            "alone (no parsing)"
        ),
        ratio=f"{median / 0.5:.2f} of the 0.5 s goal",
        goal="< 0.5 s",
        measured_on=measured_on,
    )
    return [stickies, vtt]


def main() -> int:
    parser = argparse.ArgumentParser(description="Import benchmarks (see bench/imports.py).")
    parser.add_argument("--import-rows", type=int, default=ROWS)
    args = parser.parse_args()
    from bench.run import prepare_django, table

    var_dir = Path(tempfile.mkdtemp(prefix="traction-bench-imports."))
    try:
        prepare_django(var_dir)
        print(table(run(args, var_dir)))
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
