"""search-1m: the search selector over a million insights against the raw full-text query.

A bench SQLite database (migrated, production settings) holds 1,000,000 insights in one
workspace and 50,000 in a second one (the wall must be real: the terms occur there too),
inserted with executemany (the FTS index is built in bulk; generation time is not the
figure). Five classes of searches:

- **no words**: the search page's default (every visible insight, newest first);
- **rare** terms (10 rows each), **medium** (1,500-8,000 rows), **common** (more than half);
- **mostly hidden**: terms whose matches are mostly candidates (not listed by default) or,
  for the scoped viewer, in the other program's sessions (15,000-20,000 matches, a few
  hundred to a few thousand of them visible).

For each class and term: the latency of ``traction.insights.search.search`` (first page of
50 with the capped count, the 50 insights read with their session, step and customer;
highlighting is left to the page, which builds it when it shows a hit) against the **raw**
query: the same answer written as plain SQL in sqlite3 on the same file, in the same run --
the honest lower bound of what the selector does. It walks the matches newest first, driven
by the FTS table (``CROSS JOIN``), within the viewer's scope (the workspace, accepted
insights and, for the scoped viewer, a hand-written test of their programs and sessions) up
to the cap + 1, which gives the capped count and, when capped, the first page; under the cap
it ranks the matches by bm25; then it reads the page's rows with the same columns the
selector reads. The two must return the same count and the same page (checked). Both start
on a fresh connection after seeding; each pair runs A B, then B A, after a warm-up.

Two viewers: the workspace admin, and a core team member of one of the two programs (a
scoped role: ``insight.view`` OWN). One row per class and viewer: medians and p95 in
milliseconds; ratio = median selector / median raw.

``--mmap`` sets ``PRAGMA mmap_size`` and ``cache_size`` on both connections (not a setting
of the application; see docs/architecture.md, "Search: how it works").

Standalone: ``.venv/bin/python -m bench.search [--rows N] [--reps N] [--mmap]`` prints the table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from bench.run import Row, cpu_model, prepare_django

TERMS = {
    "no words": [""],
    "rare": ["zanzibar", "quokka", "xylophone"],
    "medium": ["escalation", "spreadsheet", "dashboard"],
    "common": ["customer", "process", "team"],
    "mostly hidden": ["kumquat", "tamarind"],
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
# Mostly hidden terms: the share of candidates, of the second program's accepted insights and
# of the first program's that contain it (the core team member belongs to the first).
HIDDEN = {"kumquat": (0.5, 0.01, 0.0002), "tamarind": (0.5, 0.0002, 0.0002)}
# Runs of each side per term before measuring (caches, the freshly written file), and measured
# runs per term: a rare word's search is a few tenths of a millisecond, so a median of a few
# runs is mostly noise.
WARM_UP = 10
REPS = 61
GOALS = {
    "no words": "≤ 2×, p95 < 50 ms",
    "rare": "≤ 2×, p95 < 50 ms",
    "medium": "≤ 2×, p95 < 50 ms",
    "common": "≤ 2×",
    "mostly hidden": "≤ 2×, p95 < 50 ms",
}
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
        member = accounts.create_user(
            email=f"core.{email}", full_name=f"{name} Core", password=None
        )
        accounts.add_member(None, workspace=workspace, user=member, role=Role.CORE_TEAM)
        program_services.set_core_team(viewer, program=programs[0], user_ids=[member.pk])
        core = Viewer(user=member, workspace_id=workspace.pk, role=Role.CORE_TEAM)
        customers = [
            customer_services.create_customer(
                viewer, name=f"{name} customer {n}", segment=SEGMENTS[n % len(SEGMENTS)]
            ).pk
            for n in range(20)
        ]
    return {
        "viewer": viewer,
        "core": core,
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
        "created_at, updated_at, version) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 1)"
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
            state = "accepted" if status < 0.95 else "candidate" if status < 0.98 else "discarded"
            for term, (candidates, second, first) in HIDDEN.items():
                if state == "candidate":
                    share = candidates
                elif state == "accepted":
                    share = second if s % 2 else first  # sessions alternate programs
                else:
                    share = 0.0
                if rng.random() < share:
                    words.insert(rng.randrange(len(words) + 1), term)
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
                    state,
                    "import",
                    world["user_id"],
                    created,
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


PRAGMAS = ["PRAGMA mmap_size = 1073741824", "PRAGMA cache_size = -65536"]


COLUMNS = (
    "i.id, i.workspace_id, i.program_id, i.session_id, i.scenario_id, i.step_id, i.kind, "
    "i.text, i.speaker_contact_id, i.speaker_user_id, i.speaker_name, i.customer_id, "
    "i.internal, i.tags, i.status, i.merged_into_id, i.source, i.batch_id, i.source_line, "
    "i.spoken_at_ms, i.captured_by_id, i.created_at, i.version, s.id, s.workspace_id, "
    "s.program_id, s.title, st.id, st.scenario_id, st.position, st.title, c.id, c.name, "
    "c.segment"
)
# The core team member's scope, by hand: the programs they belong to (or sponsor), and the
# sessions they take part in.
CORE_SCOPE = (
    " AND (i.program_id IN (SELECT m.program_id FROM programs_programmember AS m "
    "WHERE m.user_id = :user AND m.left_at IS NULL) "
    "OR i.program_id IN (SELECT p.id FROM programs_program AS p "
    "WHERE p.executive_sponsor_id = :user) "
    "OR i.session_id IN (SELECT pa.session_id FROM cosessions_participant AS pa "
    "WHERE pa.user_id = :user AND pa.left_at IS NULL))"
)


def _raw(
    db_path: str, workspace_id: int, user_id: int | None, pragmas: list[str]
) -> Callable[[str, int], tuple[int, list[Any]]]:
    """The selector's answer in plain sqlite3: the capped count and the page's rows, in order,
    for the admin (``user_id`` None) or the core team member ``user_id``."""
    con = sqlite3.connect(db_path)
    for pragma in pragmas:
        con.execute(pragma)
    fts = '"insights_insight_fts"'
    scope = "i.workspace_id = :ws AND i.status = 'accepted'" + (CORE_SCOPE if user_id else "")
    walk = (
        f"SELECT f.rowid FROM {fts} AS f CROSS JOIN insights_insight AS i ON i.id = f.rowid "
        f"WHERE {fts} MATCH :q AND {scope} ORDER BY "
    )
    listing = f"SELECT i.id FROM insights_insight AS i WHERE {scope} ORDER BY i.id DESC "

    def query(match: str, cap: int) -> tuple[int, list[Any]]:
        params = {"q": match, "ws": workspace_id, "user": user_id, "cap": cap + 1}
        if not match:
            newest = [r[0] for r in con.execute(listing + "LIMIT :cap", params)]
        else:
            newest = [r[0] for r in con.execute(walk + "f.rowid DESC LIMIT :cap", params)]
        if len(newest) > cap or not match or len(newest) <= 1:
            ids = newest[:50]
        else:
            ranked = con.execute(walk + f"bm25({fts}), f.rowid DESC LIMIT 50", params)
            ids = [r[0] for r in ranked]
        marks = ", ".join("?" * len(ids))
        rows = con.execute(
            f"SELECT {COLUMNS} FROM insights_insight AS i "
            "JOIN cosessions_session AS s ON s.id = i.session_id "
            "LEFT JOIN insights_step AS st ON st.id = i.step_id "
            "LEFT JOIN customers_customer AS c ON c.id = i.customer_id "
            f"WHERE i.id IN ({marks})",
            ids,
        ).fetchall()
        by_id = {row[0]: row for row in rows}
        return len(newest), [by_id[i] for i in ids]

    return query


def _ms(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1000, out


def _fmt(ms: float) -> str:
    """Milliseconds with two significant decimals below 10 ms (a rare word: 0.27 ms)."""
    return f"{ms:.2f} ms" if ms < 10 else f"{ms:.1f} ms"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(args: argparse.Namespace, var_dir: Path) -> list[Row]:
    """Seed, measure, and return one Row per term class and viewer."""
    from django.conf import settings
    from django.db import connection

    from traction.insights import search
    from traction.insights.search.query import parse

    rows = int(getattr(args, "search_rows", 1_000_000))
    reps = int(getattr(args, "search_reps", REPS))
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
    # Both sides start alike: a fresh connection each (the seeding's one has its own state),
    # and none of the seeding's garbage left for either to collect.
    connection.close()
    gc.collect()

    pragmas = PRAGMAS if getattr(args, "search_mmap", False) else []
    with connection.cursor() as cursor:
        for pragma in pragmas:
            cursor.execute(pragma)
    ws = main["workspace_id"]
    db_path = str(settings.DATABASES["default"]["NAME"])
    measured_on = f"{cpu_model()}, {os.cpu_count() or 0} cores, {dt.date.today().isoformat()}"
    note = " (mmap)" if pragmas else ""
    out: list[Row] = []
    viewers = [("", main["viewer"], None), (", core team", main["core"], main["core"].user_id)]
    for who, viewer, user_id in viewers:
        raw = _raw(db_path, ws, user_id, pragmas)
        for klass, terms in TERMS.items():
            mine: list[float] = []
            theirs: list[float] = []
            for term in terms:
                match = parse(term).fts5()
                _same_answer(search.search(viewer, term), raw(match, search.DEFAULT_CAP), term)
                for _ in range(WARM_UP):
                    search.search(viewer, term)
                    raw(match, search.DEFAULT_CAP)
                for n in range(reps):
                    pair: list[tuple[list[float], Callable[[], Any]]] = [
                        (mine, partial(search.search, viewer, term)),
                        (theirs, partial(raw, match, search.DEFAULT_CAP)),
                    ]
                    for times, fn in pair if n % 2 == 0 else pair[::-1]:
                        times.append(_ms(fn)[0])
                found = search.search(viewer, term)
                print(
                    f"  {klass:13}{who:11} {term or '(none)':12} {found.count_label:>18} "
                    f"({found.order}); selector median {_fmt(statistics.median(mine[-reps:]))}, "
                    f"raw {_fmt(statistics.median(theirs[-reps:]))}",
                    flush=True,
                )
            ratio = statistics.median(mine) / statistics.median(theirs)
            out.append(
                Row(
                    benchmark=f"search-1m ({klass}{who}){note}",
                    figure=f"median {_fmt(statistics.median(mine))}, p95 {_fmt(_p95(mine))}",
                    baseline=f"median {_fmt(statistics.median(theirs))}, p95 {_fmt(_p95(theirs))}",
                    ratio=f"{ratio:.2f}",
                    goal=GOALS[klass],
                    measured_on=measured_on,
                )
            )
    return out


def _same_answer(results: Any, raw: tuple[int, list[Any]], term: str) -> None:
    """The selector and the raw query agree on the count and on the page, row by row."""
    count, rows = raw
    mine = [h.insight.pk for h in results.hits]
    if results.count != count or mine != [row[0] for row in rows]:
        raise RuntimeError(
            f"{term!r}: the selector ({results.count}, {mine[:5]}…) and the raw query "
            f"({count}, {[row[0] for row in rows][:5]}…) disagree"
        )


def main() -> int:
    from bench.run import table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", dest="search_rows", type=int, default=1_000_000)
    parser.add_argument("--reps", dest="search_reps", type=int, default=REPS)
    parser.add_argument("--mmap", dest="search_mmap", action="store_true", help=PRAGMAS[0])
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
