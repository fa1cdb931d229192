"""search-1m: the search selector over a million insights against the raw full-text query.

A bench SQLite database (migrated, production settings) holds 1,000,000 insights in one
workspace and 50,000 in a second one (the wall must be real: the terms occur there too),
inserted with executemany (the FTS triggers index them as they go; generation time is not
the figure). Terms come in three classes: rare (~10 rows each), medium (1,000-10,000 rows)
and common (more than half of the rows).

For each class: the latency of ``traction.insights.search.search`` as the workspace admin
(first page of 50, with the capped count and the 50 insights fetched with their session,
step and customer), against the **raw** query on the same file in plain
sqlite3: the same FTS MATCH, the same capped count, the same ORDER BY (bm25 under the cap,
rowid descending above) and LIMIT 50, joined to the insight, its session, step and customer
for the page's rows,
without workspace, permission or status filters. Selector and raw alternate, term by term,
after a warm-up. One row per term class: medians and p95 in milliseconds; ratio = median
selector / median raw.

Standalone: ``.venv/bin/python -m bench.search [--rows N] [--reps N]`` prints the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.run import Row, cpu_model, prepare_django

TERMS = {
    "rare": ["zanzibar", "quokka", "xylophone"],
    "medium": ["escalation", "spreadsheet", "dashboard"],
    "common": ["customer", "process", "team"],
}
# Per term: the share of rows that contain it (rare terms: exactly RARE_ROWS rows).
RARE_ROWS = 10
SHARE = {
    "escalation": 0.0015,
    "spreadsheet": 0.004,
    "dashboard": 0.008,
    "customer": 0.6,
    "process": 0.7,
    "team": 0.55,
}
GOALS = {"rare": "≤ 2×, p95 < 50 ms", "medium": "≤ 2×, p95 < 50 ms", "common": "p95 < 100 ms"}
KINDS = ["issue", "idea", "moment_of_truth", "quote", "question", "customer_metric"]
SEGMENTS = ["enterprise", "mid_market", "small_business", "public_sector"]
TAGS = ["billing", "onboarding", "support", "pricing", "security", "reporting", "mobile", ""]


def _filler(rng: random.Random, size: int) -> list[str]:
    """Made-up words that never collide with the terms: consonant-vowel syllables."""
    cons, vows = "bdfgklmnprstvz", "aeiou"
    words: set[str] = set()
    while len(words) < size:
        n = rng.randint(2, 4)
        words.add("".join(rng.choice(cons) + rng.choice(vows) for _ in range(n)))
    return sorted(words - {t for terms in TERMS.values() for t in terms})


def _world(name: str, slug: str, email: str) -> dict[str, Any]:
    """A workspace with two programs, eight sessions with steps, twenty customers."""
    from traction.accounts import services as accounts
    from traction.core import audit
    from traction.core.permissions import Role, Viewer
    from traction.customers import services as customer_services
    from traction.insights import services as insight_services
    from traction.programs import services as program_services
    from traction.sessions import services as session_services

    with audit.channel("system"):
        admin = accounts.create_user(email=email, full_name=f"{name} Admin", password=None)
        workspace = accounts.create_workspace(name=name, admin=admin, slug=slug)
        viewer = Viewer(user=admin, workspace_id=workspace.pk, role=Role.ADMIN)
        programs = [
            program_services.create_program(viewer, name=f"{name} program {n}", goal="Measure.")
            for n in range(2)
        ]
        start = dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)
        sessions, steps = [], []
        for n in range(8):
            session = session_services.plan_session(
                viewer,
                program=programs[n % 2],
                title=f"Session {n}",
                starts_at=start + dt.timedelta(days=n),
                ends_at=start + dt.timedelta(days=n, hours=3),
            )
            scenario = insight_services.create_scenario(
                viewer, session=session, title="Team", steps=["One", "Two", "Three", "Four"]
            )
            sessions.append(session)
            steps.append([s.pk for s in scenario.steps.all()])
        customers = [
            customer_services.create_customer(
                viewer, name=f"{name} customer {n}", segment=SEGMENTS[n % len(SEGMENTS)]
            ).pk
            for n in range(20)
        ]
    return {
        "viewer": viewer,
        "workspace_id": workspace.pk,
        "sessions": [(s.pk, s.program_id) for s in sessions],
        "steps": steps,
        "customers": customers,
        "user_id": admin.pk,
    }


def _insert(world: dict[str, Any], rows: int, seed: int) -> None:
    """``rows`` insights into the world's workspace, indexed in bulk (FTS5 'rebuild') rather
    than row by row through the insert trigger: the same index, built ten times faster."""
    import importlib

    from django.db import connection, transaction

    migration = importlib.import_module("traction.insights.migrations.0002_search")
    insert_trigger = next(s for s in migration.SQLITE_FORWARD if "AFTER INSERT" in s)
    rng = random.Random(seed)
    filler = _filler(rng, 5000)
    sentences = [rng.sample(filler, rng.randint(6, 12)) for _ in range(20_000)]
    rare_at = {t: set(rng.sample(range(rows), RARE_ROWS)) for t in TERMS["rare"]}
    created = dt.datetime(2026, 1, 1, tzinfo=dt.UTC).isoformat()
    sql = (
        "INSERT INTO insights_insight (workspace_id, program_id, session_id, step_id, kind, "
        "text, speaker_name, customer_id, internal, tags, status, source, captured_by_id, "
        "created_at, version) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1)"
    )
    shares = list(SHARE.items())
    batch: list[tuple[Any, ...]] = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER insights_insight_fts_ai")
        for i in range(rows):
            words = list(sentences[rng.randrange(len(sentences))])
            for term, share in shares:
                if rng.random() < share:
                    words.insert(rng.randrange(len(words) + 1), term)
            for term, at in rare_at.items():
                if i in at:
                    words.insert(rng.randrange(len(words) + 1), term)
            s = rng.randrange(len(world["sessions"]))
            session_id, program_id = world["sessions"][s]
            status = rng.random()
            internal = status < 0.15
            batch.append(
                (
                    world["workspace_id"],
                    program_id,
                    session_id,
                    world["steps"][s][i % 4],
                    KINDS[i % len(KINDS)],
                    " ".join(words).capitalize() + ".",
                    "Someone",
                    None if internal else world["customers"][i % len(world["customers"])],
                    internal,
                    TAGS[i % len(TAGS)],
                    "accepted" if status < 0.95 else "candidate" if status < 0.98 else "discarded",
                    "import",
                    world["user_id"],
                    created,
                )
            )
            if len(batch) == 20_000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)
        cursor.execute("INSERT INTO insights_insight_fts(insights_insight_fts) VALUES ('rebuild')")
        cursor.execute(insert_trigger)


def _raw(db_path: str) -> Callable[[str, int], tuple[int, list[int]]]:
    con = sqlite3.connect(db_path)
    fts = '"insights_insight_fts"'

    def query(match: str, cap: int) -> tuple[int, list[int]]:
        count = con.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH ? LIMIT ?)",
            (match, cap + 1),
        ).fetchone()[0]
        order = "f.rowid DESC" if count > cap else f"bm25({fts}), f.rowid DESC"
        rows = con.execute(
            "SELECT i.id, i.text, i.tags, i.kind, i.speaker_name, i.internal, i.created_at, "
            f"s.title, st.title, c.name FROM {fts} AS f "
            "JOIN insights_insight AS i ON i.id = f.rowid "
            "JOIN cosessions_session AS s ON s.id = i.session_id "
            "LEFT JOIN insights_step AS st ON st.id = i.step_id "
            "LEFT JOIN customers_customer AS c ON c.id = i.customer_id "
            f"WHERE {fts} MATCH ? ORDER BY {order} LIMIT 51",
            (match,),
        ).fetchall()
        return count, [r[0] for r in rows]

    return query


def _ms(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1000, out


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(args: argparse.Namespace, var_dir: Path) -> list[Row]:
    """Seed, measure, and return one Row per term class (rare, medium, common)."""
    from django.conf import settings
    from django.db import connection

    from traction.insights import search

    rows = int(getattr(args, "search_rows", 1_000_000))
    reps = int(getattr(args, "search_reps", 15))
    t0 = time.monotonic()
    main = _world("Bench search", "bench-search", "search@bench.example")
    rival = _world("Bench rival", "bench-rival", "rival@bench.example")
    print(f"  workspaces in {time.monotonic() - t0:.1f} s", flush=True)
    print(f"Inserting {rows:,} insights (+{rows // 20:,} in a second workspace) …", flush=True)
    _insert(rival, rows // 20, seed=2)
    _insert(main, rows, seed=1)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"  seeded in {time.monotonic() - t0:.0f} s", flush=True)

    raw = _raw(str(settings.DATABASES["default"]["NAME"]))
    viewer = main["viewer"]
    ws = main["workspace_id"]
    out: list[Row] = []
    for klass, terms in TERMS.items():
        mine: list[float] = []
        theirs: list[float] = []
        for term in terms:
            match = search.parse(term).fts5()
            for _ in range(2):  # warm-up
                search.search(viewer, term)
                raw(match, search.DEFAULT_CAP)
            for n in range(reps):
                pair = [
                    ("selector", lambda t=term: search.search(viewer, t)),
                    ("raw", lambda m=match: raw(m, search.DEFAULT_CAP)),
                ]
                for name, fn in pair if n % 2 == 0 else pair[::-1]:
                    elapsed, result = _ms(fn)
                    if name == "selector":
                        mine.append(elapsed)
                        if len(result.hits) != min(50, result.count) or any(
                            h.insight.workspace_id != ws for h in result.hits
                        ):
                            raise RuntimeError(f"{term}: unexpected page from the selector")
                    else:
                        theirs.append(elapsed)
            found = search.search(viewer, term)
            print(
                f"  {klass:6} {term:12} {found.count_label:>18} ({found.order}); "
                f"selector median {statistics.median(mine[-reps:]):.1f} ms, "
                f"raw {statistics.median(theirs[-reps:]):.1f} ms",
                flush=True,
            )
        ratio = statistics.median(mine) / statistics.median(theirs)
        out.append(
            Row(
                benchmark=f"search-1m ({klass})",
                figure=f"median {statistics.median(mine):.1f} ms, p95 {_p95(mine):.1f} ms",
                baseline=f"median {statistics.median(theirs):.1f} ms, p95 {_p95(theirs):.1f} ms",
                ratio=f"{ratio:.2f}",
                goal=GOALS[klass],
                measured_on=(
                    f"{cpu_model()}, {os.cpu_count() or 0} cores, {dt.date.today().isoformat()}"
                ),
            )
        )
    return out


def main() -> int:
    from bench.run import table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", dest="search_rows", type=int, default=1_000_000)
    parser.add_argument("--reps", dest="search_reps", type=int, default=15)
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="traction-bench-search."))
    try:
        prepare_django(var_dir)
        rows = run(args, var_dir)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    print()
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
