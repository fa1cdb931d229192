"""session-10k: a session's pages with 10,000 cards, in a workspace of 1,000,000 insights.

A bench SQLite database (migrated, production settings) gets one workspace, built through
the services: a program, customers whose contacts are invited to a big session (a scenario of
six steps, voting open, every invited contact's dots spent in the room), an empty session
(planned, nothing captured) and filler sessions. The insights themselves are written with
``Insight.objects.bulk_create`` (the full-text triggers index them as they go; generation
time is not the figure): the big session gets 10,000 accepted cards (every grid kind on
every step, quotes, questions, outcome quotes, internal remarks) and 500 candidates waiting
for review, the filler sessions the rest of the workspace.

Each page is asked in-process through Django's test client as the workspace admin (the
whole middleware stack and the templates; no network), by URL path, not URL name: the
session page, the map, the review queue, the ranking page and its API
(``GET /api/v1/sessions/{id}/voting/results`` with a bearer token), the voting room and the
search page filtered to the session. For each: median and p95 over ``--reps`` requests after
a warm-up, the response's size, and its SQL queries (counted on one more request).

The baseline is an empty session (planned, nothing captured) in each of two workspaces, one
of 1,000 insights and the big one, their pages alternated request by request (A B A B) in
the same run: its cost must not grow with the workspace (its queries read the session's
index, not the workspace's); the ratio column is p95 at 1,000,000 ÷ p95 at 1,000.

Standalone: ``.venv/bin/python -m bench.session10k [--rows N] [--session-rows N] [--reps N]``
prints the table (``--rows 100000`` for a quick run while developing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.run import Row, cpu_model, prepare_django

ROWS = 1_000_000  # insights in the workspace
SESSION_ROWS = 10_000  # accepted insights in the big session
CANDIDATES = 500  # waiting for review in the big session
SMALL = 1_000  # the workspace's size for the empty session's first measurement
REPS = 31
WARM_UP = 3
PAGE_BUDGET_MS = 20_000  # per page and measurement: fewer runs of a page that takes seconds
P95_GOAL_MS = 300.0
BYTES_GOAL = 1_000_000
STEPS = ["Find us", "Sign up", "Set up", "First invoice", "Pay", "Renew"]
CONTACTS = 8
FILLER_SESSIONS = 20
WORDS = [
    "invoice",
    "billing",
    "approval",
    "onboarding",
    "dashboard",
    "report",
    "export",
    "import",
    "renewal",
    "contract",
    "support",
    "ticket",
    "escalation",
    "pricing",
    "discount",
    "seat",
    "licence",
    "integration",
    "calendar",
    "reminder",
    "payment",
    "card",
    "transfer",
    "refund",
    "audit",
    "security",
    "login",
    "password",
    "team",
    "admin",
    "permission",
    "mobile",
    "offline",
    "sync",
    "spreadsheet",
    "template",
    "workflow",
    "deadline",
    "forecast",
    "budget",
]
# (kind, share of the big session's accepted cards, on a step?)
MIX = [
    ("moment_of_truth", 0.12, True),
    ("issue", 0.30, True),
    ("idea", 0.22, True),
    ("customer_metric", 0.08, True),
    ("quote", 0.12, False),
    ("question", 0.08, False),
    ("outcome", 0.03, False),
    ("issue", 0.05, False),  # a grid kind on no step: "not on a step yet"
]
INTERNAL_SHARE = 0.05


@dataclass
class World:
    slug: str
    viewer: Any  # traction.core.permissions.Viewer of the admin
    admin: Any  # the admin's User
    token: str
    big: Any  # Session
    empty: Any  # Session
    fillers: list[Any]  # Sessions
    scenario: Any
    steps: list[Any]
    contacts: list[Any]


def _world(slug: str = "bench-10k") -> World:
    """A workspace, its people and sessions, through the services (no insight yet)."""
    from traction.accounts import services as accounts
    from traction.core import audit
    from traction.core.permissions import Role, Viewer
    from traction.customers import services as customer_services
    from traction.insights import services as insight_services
    from traction.programs import services as program_services
    from traction.sessions import services as session_services

    with audit.channel("system"):
        admin = accounts.create_user(
            email=f"admin@{slug}.example", full_name="Bench Admin", password=None
        )
        workspace = accounts.create_workspace(name=slug, admin=admin, slug=slug)
        viewer = Viewer(user=admin, workspace_id=workspace.pk, role=Role.ADMIN)
        program = program_services.create_program(viewer, name="Billing", goal="Measure.")
        start = dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)

        def plan(title: str, day: int) -> Any:
            return session_services.plan_session(
                viewer,
                program=program,
                title=title,
                starts_at=start + dt.timedelta(days=day),
                ends_at=start + dt.timedelta(days=day, hours=3),
            )

        big = plan("The big session", 0)
        empty = plan("The empty session", 1)
        fillers = [plan(f"Filler session {n}", 2 + n) for n in range(FILLER_SESSIONS)]
        contacts = []
        for n in range(CONTACTS):
            customer = customer_services.create_customer(
                viewer, name=f"Customer {n}", segment="enterprise", account_owner_id=admin.pk
            )
            contact = customer_services.add_contact(
                viewer,
                customer=customer,
                name=f"Contact {n}",
                email=f"contact{n}@{slug}.example",
                consent_to_contact=True,
            )
            # The admin is the customer's account owner: her own request is approved at once.
            request = session_services.request_outreach(viewer, session=big, contact=contact)
            session_services.send_invitation(viewer, request=request)
            contacts.append(contact)
        scenario = insight_services.create_scenario(
            viewer, session=big, title="Team Blue", outcome="Paid on time.", steps=STEPS
        )
        _, token = accounts.create_api_token(viewer, name="bench")
    return World(
        slug=workspace.slug,
        viewer=viewer,
        admin=admin,
        token=token,
        big=big,
        empty=empty,
        fillers=fillers,
        scenario=scenario,
        steps=list(scenario.steps.order_by("position")),
        contacts=contacts,
    )


def _text(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(6, 14))).capitalize() + "."


def _bulk(rows: list[Any]) -> None:
    from django.db import transaction

    from traction.insights.models import Insight

    with transaction.atomic():
        Insight.objects.bulk_create(rows, batch_size=2_000)


def _big_session(world: World, accepted: int, rng: random.Random) -> None:
    """The big session's cards: ``accepted`` of the ``MIX`` and ``CANDIDATES`` candidates."""
    from traction.insights.models import Insight

    base = dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)
    s = world.big
    rows = []
    kinds = [k for k, _, _ in MIX]
    weights = [w for _, w, _ in MIX]
    for i in range(accepted + CANDIDATES):
        at = rng.choices(range(len(MIX)), weights)[0]
        kind, on_step = kinds[at], MIX[at][2]
        contact = world.contacts[i % len(world.contacts)]
        internal = i < accepted and rng.random() < INTERNAL_SHARE
        rows.append(
            Insight(
                workspace_id=s.workspace_id,
                program_id=s.program_id,
                session_id=s.pk,
                scenario=world.scenario if on_step or kind == "outcome" or at == 7 else None,
                step=world.steps[i % len(world.steps)] if on_step else None,
                kind=kind,
                text=_text(rng),
                speaker_contact=None if internal else contact,
                speaker_user=world.admin if internal else None,
                speaker_name=world.admin.full_name if internal else contact.name,
                customer_id=None if internal else contact.customer_id,
                internal=internal,
                status="accepted" if i < accepted else "candidate",
                source="live" if i < accepted else "import",
                created_at=base + dt.timedelta(seconds=i),
                captured_by=world.admin,
            )
        )
    _bulk(rows)


def _grow(world: World, to: int, rng: random.Random) -> None:
    """Filler insights until the workspace holds ``to`` (in batches of 50,000)."""
    from traction.insights.models import Insight

    have = Insight.objects.filter(workspace_id=world.viewer.workspace_id).count()
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    kinds = [k for k, _, _ in MIX]
    while have < to:
        chunk = min(50_000, to - have)
        rows = []
        for i in range(chunk):
            s = world.fillers[(have + i) % len(world.fillers)]
            contact = world.contacts[i % len(world.contacts)]
            rows.append(
                Insight(
                    workspace_id=s.workspace_id,
                    program_id=s.program_id,
                    session_id=s.pk,
                    kind=kinds[i % len(kinds)],
                    text=_text(rng),
                    speaker_name=contact.name,
                    customer_id=contact.customer_id,
                    source="import",
                    created_at=base + dt.timedelta(seconds=have + i),
                )
            )
        _bulk(rows)
        have += chunk
        print(f"    {have:,} insights", flush=True)


def _vote(world: World, rng: random.Random) -> None:
    """Open voting in the big session; every invited contact spends their dots in the room."""
    from traction.core import audit
    from traction.insights.models import Insight
    from traction.voting import services as voting

    with audit.channel("system"):
        found = voting.open_voting(world.viewer, session=world.big, budget=5)
        votable = list(
            Insight.objects.votable().filter(session=world.big).values_list("pk", flat=True)
        )
        for contact in world.contacts:
            for _ in range(found.budget):
                voting.add_dot(
                    world.viewer,
                    session=world.big,
                    contact_id=contact.pk,
                    insight_id=rng.choice(votable[:200]),  # a few cards collect several dots
                )


# --- measuring --------------------------------------------------------------------------------


def _pages(world: World, session: Any) -> dict[str, str]:
    """The pages of ``session``, by path (URL names move as apps split; paths stay)."""
    w, sid = f"/w/{world.slug}", session.pk
    return {
        "session page": f"{w}/sessions/{sid}/",
        "map": f"{w}/insights/sessions/{sid}/map/",
        "review queue": f"{w}/insights/sessions/{sid}/review/",
        "ranking page": f"{w}/insights/sessions/{sid}/results/",
        "ranking API": f"/api/v1/sessions/{sid}/voting/results",
        "voting room": f"{w}/insights/sessions/{sid}/voting/room/",
        "search page": f"{w}/insights/search/?session={sid}",
    }


@dataclass
class Figures:
    median_ms: float
    p95_ms: float
    size: int
    queries: int
    status: int


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _first(client: Any, path: str) -> tuple[Any, int, bool]:
    """Warm the page up; its response and SQL queries (counted on one request), and whether
    it is seconds long."""
    from django.db import connection

    t0 = time.perf_counter()
    client.get(path)
    slow = time.perf_counter() - t0 > 1
    for _ in range(0 if slow else WARM_UP):
        client.get(path)
    executed: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    # The documented hook around every query (not the debug log, which a request resets).
    with connection.execute_wrapper(count):
        response = client.get(path)
    return response, len(executed), slow


def measure_pages(*pages: tuple[Any, str], reps: int) -> list[Figures]:
    """Each (client, path) of ``pages``, alternated request by request (A B A B …), so a
    busy neighbour slows them alike; a page seconds long gets a few runs only."""
    firsts = [_first(client, path) for client, path in pages]
    times: list[list[float]] = [[] for _ in pages]
    for _ in range(reps):
        for (client, path), mine in zip(pages, times, strict=True):
            t0 = time.perf_counter()
            client.get(path)
            mine.append((time.perf_counter() - t0) * 1000)
        if sum(map(sum, times)) > PAGE_BUDGET_MS and len(times[0]) >= 3:
            break  # seconds long: its p95 is plain after a few runs
    return [
        Figures(
            median_ms=statistics.median(mine),
            p95_ms=_p95(mine),
            size=len(response.content),
            queries=queries,
            status=response.status_code,
        )
        for (response, queries, _), mine in zip(firsts, times, strict=True)
    ]


def _client(clients: dict[str, Any], path: str) -> Any:
    return clients["api" if path.startswith("/api/") else "web"]


def web_client(user: Any) -> Any:
    """A test client signed in as ``user`` (the pages are asked in-process)."""
    from django.test import Client

    web = Client(HTTP_HOST="localhost")
    web.force_login(user)
    return web


def _clients(world: World) -> dict[str, Any]:
    from django.test import Client

    web = web_client(world.admin)
    api = Client(HTTP_HOST="localhost", headers={"Authorization": f"Bearer {world.token}"})
    return {"web": web, "api": api}


def _size(n: int) -> str:
    return f"{n / 1000:,.1f} kB" if n < 1_000_000 else f"{n / 1_000_000:,.2f} MB"


def _ms(ms: float) -> str:
    return f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"


def _explain(world: World) -> None:
    """The plans of the session-scoped counts, printed for the record (docs/benchmarks.md)."""
    from django.db import connection

    from traction.insights.models import Insight

    for label, qs in [
        (
            "empty session's accepted count",
            Insight.objects.filter(
                workspace_id=world.viewer.workspace_id, session=world.empty, status="accepted"
            ),
        ),
        (
            "big session's review queue",
            Insight.objects.filter(
                workspace_id=world.viewer.workspace_id, session=world.big, status="candidate"
            ).order_by("batch_id", "source_line", "id"),
        ),
    ]:
        print(f"  plan of the {label} ({connection.vendor}):")
        for line in qs.explain().splitlines():
            print(f"    {line}")
    _explain_ranking(world)


def _explain_ranking(world: World) -> None:
    """The plan of the ranking's first page (the overall list): the query the ranking page
    and its API run first after the round, as the admin."""
    from django.db import connection

    from traction.voting import selectors as ranking

    executed: list[tuple[str, Any]] = []

    def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        ranking.results(world.big, world.viewer, limit=50)
    sql, params = next(q for q in executed if "SUM(" in q[0] and "ORDER BY" in q[0])
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    print(f"  plan of the big session's ranking, first page ({connection.vendor}):")
    with connection.cursor() as cursor:
        cursor.execute(explain + sql, params)
        for row in cursor.fetchall():
            print(f"    {' '.join(str(c) for c in row)}")


def run(args: argparse.Namespace, var_dir: Path) -> list[Row]:
    """Seed, measure, and return one Row per page."""
    from django.db import connection

    rows = int(getattr(args, "session10k_rows", ROWS))
    accepted = int(getattr(args, "session10k_session_rows", SESSION_ROWS))
    reps = int(getattr(args, "session10k_reps", REPS))
    rng = random.Random(10)
    t0 = time.monotonic()
    small_world = _world("bench-10k-small")
    world = _world()
    print(f"  workspaces, people and sessions in {time.monotonic() - t0:.1f} s", flush=True)
    _grow(small_world, SMALL, rng)
    print(f"Seeding: {accepted:,} cards in one session, the workspace to {rows:,} …", flush=True)
    _big_session(world, accepted, rng)
    _vote(world, rng)
    _grow(world, rows, rng)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"  seeded in {time.monotonic() - t0:.0f} s", flush=True)
    connection.close()
    gc.collect()
    _explain(world)
    clients, small_clients = _clients(world), _clients(small_world)
    big, empty_small, empty_large = {}, {}, {}
    small_pages = _pages(small_world, small_world.empty)
    for name, path in _pages(world, world.empty).items():
        print(f"  {name}: the empty sessions at {SMALL:,} and {rows:,}, alternated …", flush=True)
        empty_small[name], empty_large[name] = measure_pages(
            (_client(small_clients, small_pages[name]), small_pages[name]),
            (_client(clients, path), path),
            reps=reps,
        )
    for name, path in _pages(world, world.big).items():
        print(f"  {name}: the session of {accepted:,} …", flush=True)
        [big[name]] = measure_pages((_client(clients, path), path), reps=reps)
    measured_on = f"{cpu_model()}, {os.cpu_count() or 0} cores, {dt.date.today().isoformat()}"
    out = []
    for name, f in big.items():
        small, large = empty_small[name], empty_large[name]
        met = f.p95_ms < P95_GOAL_MS and f.size < BYTES_GOAL and f.status == 200
        print(
            f"  {name:13} {f.status} median {_ms(f.median_ms)}, p95 {_ms(f.p95_ms)}, "
            f"{_size(f.size)}, {f.queries} queries{'' if met else '  (goal missed)'}; "
            f"empty session: p95 {_ms(small.p95_ms)} at {SMALL:,}, {_ms(large.p95_ms)} at "
            f"{rows:,} ({small.queries}/{large.queries} queries)",
            flush=True,
        )
        out.append(
            Row(
                benchmark=f"session-10k ({name})",
                figure=(
                    f"median {_ms(f.median_ms)}, p95 {_ms(f.p95_ms)}; {_size(f.size)}; "
                    f"{f.queries} queries" + ("" if f.status == 200 else f"; HTTP {f.status}")
                ),
                baseline=(
                    f"empty session: p95 {_ms(small.p95_ms)} at {SMALL:,} insights, "
                    f"{_ms(large.p95_ms)} at {rows:,}; {small.queries} → {large.queries} queries"
                ),
                ratio=f"{large.p95_ms / small.p95_ms:.2f}",
                goal="p95 < 300 ms, < 1 MB; empty session alike at 1k and 1M",
                measured_on=measured_on,
            )
        )
    return out


def main() -> int:
    from bench.run import table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", dest="session10k_rows", type=int, default=ROWS)
    parser.add_argument(
        "--session-rows", dest="session10k_session_rows", type=int, default=SESSION_ROWS
    )
    parser.add_argument("--reps", dest="session10k_reps", type=int, default=REPS)
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="traction-bench-s10k."))
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
