"""debrief-page and scorecard-page: the debrief room and a program's scorecard at scale.

A bench SQLite database (migrated, production settings) gets one program of ``--sessions``
co-design sessions (200), ``--insights`` insights spread over them (100,000), and for every
session its debrief with recommendations (5,000 in all, each backed by evidence cards and
most of them decided), action items for the approved ones (20,000, in every status and due
over two years) and a scorecard of 50 metrics with ``--measurements`` measurements (50,000).
People, the program, the sessions and the measured session's votes go through the services;
the bulk rows (insights, recommendations, actions, measurements) are written with
``bulk_create`` (generation time is not the figure); each debrief's results checkpoints are
made, and those whose day has come reached, by the app's periodic job.

Measured, in-process through Django's test client as the workspace admin (middleware,
permission policy, templates): the room of the last session's debrief
(``/w/<slug>/debriefs/<id>/``) and the program's scorecard page
(``/w/<slug>/debriefs/programs/<id>/scorecard/``). Each against its baseline, alternated
request by request (A B A B): a bare view that reads what the page shows as raw SQL through
Django's cursor (``bench/views.py``: the top priorities of the frozen ranking with their
quotes, spread and earlier decisions; the debrief's recommendations with their evidence,
metrics, decisions and action counts; the program's open actions of earlier debriefs (how
many, the ten most urgent); the coverage; the approved recommendations, their action items'
counts by state and the ten needing attention; the session's first ten customer metric cards
and their count, and the debrief's metrics. The count of metrics and the first page of 25
with their owners' and parts' names and recent values; how many checkpoints, reached and
ahead, the next five due and the latest five reached) and returns it as JSON,
with no ORM, no policy, no template. Both baselines also read what every signed-in page
reads around its content: the session (decoded), the user, their membership, the
workspace switcher and the navigation's badges. The goal: ≤ 3× the baseline.
Beside them, the floor: every signed-in page's layout with no content (``bench/views.py``
``layout``: the sign-in, the workspace, the navigation and its badges, the base template, the
middleware), printed with its own ratio to the baseline, so how much of a ratio no page of
the app can avoid is measured in the same run.
Queries per page are counted on the same pages of a small program (4 sessions, 1/50 of
the rows): they must be the same.

Standalone: ``.venv/bin/python -m bench.debrief [--sessions N] [--reps N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.run import Row, cpu_model, prepare_django
from bench.session10k import WORDS, measure_pages, web_client

SESSIONS = 200
INSIGHTS = 100_000
RECOMMENDATIONS = 5_000
ACTIONS = 20_000
MEASUREMENTS = 50_000
METRICS = 50
MEMBERS = 12
CONTACTS = 8
SMALL_SHARE = 50  # the small program has 1/50 of the rows
REPS = 31
GOAL = 3.0
KINDS = ["moment_of_truth", "issue", "idea", "customer_metric", "quote"]
STEPS = ["Find us", "Sign up", "Set up", "First invoice", "Pay", "Renew"]


@dataclass
class World:
    slug: str
    admin: Any
    program: Any
    sessions: list[Any]
    debrief_ids: list[int]


def _text(rng: random.Random) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(6, 14))).capitalize() + "."


def _people(slug: str) -> tuple[Any, Any, list[Any], list[Any]]:
    """The workspace, its admin (the program's sponsor), members and customer contacts."""
    from traction.accounts import services as accounts
    from traction.core import audit
    from traction.core.permissions import Role, Viewer
    from traction.customers import services as customers

    with audit.channel("system"):
        admin = accounts.create_user(
            email=f"admin@{slug}.example", full_name="Bench Admin", password=None
        )
        workspace = accounts.create_workspace(name=slug, admin=admin, slug=slug)
        viewer = Viewer(user=admin, workspace_id=workspace.pk, role=Role.ADMIN)
        members = [admin]
        for n in range(MEMBERS):
            user = accounts.create_user(
                email=f"member{n}@{slug}.example", full_name=f"Member {n}", password=None
            )
            accounts.add_member(viewer, workspace=workspace, user=user, role=Role.CORE_TEAM)
            members.append(user)
        contacts = []
        for n in range(CONTACTS):
            customer = customers.create_customer(
                viewer, name=f"Customer {n}", segment="enterprise", account_owner_id=admin.pk
            )
            contacts.append(
                customers.add_contact(
                    viewer, customer=customer, name=f"Contact {n}",
                    email=f"contact{n}@{slug}.example", consent_to_contact=True,
                )
            )  # fmt: skip
    return viewer, admin, members, contacts


def _world(slug: str, sessions: int, rng: random.Random) -> tuple[World, Any, list[Any]]:
    from traction.core import audit
    from traction.insights import services as insights
    from traction.programs import services as programs
    from traction.sessions import services as planning

    viewer, admin, members, contacts = _people(slug)
    with audit.channel("system"):
        program = programs.create_program(
            viewer, name="Onboarding", goal="Effortless onboarding.",
            executive_sponsor_id=admin.pk,
        )  # fmt: skip
        programs.set_core_team(viewer, program=program, user_ids=[m.pk for m in members[1:]])
        # Sessions a week apart, the last one three days ago: every debrief but the last is
        # an earlier one, whose open actions the last debrief's room reviews.
        last_start = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=3)
        planned = []
        for n in range(sessions):
            start = last_start - dt.timedelta(weeks=sessions - 1 - n)
            if n == sessions - 1:
                start = last_start + dt.timedelta(days=5)
            planned.append(
                planning.plan_session(
                    viewer, program=program, title=f"Co-design {n + 1}",
                    starts_at=start, ends_at=start + dt.timedelta(hours=4),
                )
            )  # fmt: skip
        # The last one was planned ahead (customers are invited to a coming session) and is
        # moved into the past once its votes are in, as the demo's pilot is (``_vote``).
        last = planned[-1]
        for contact in contacts:
            request = planning.request_outreach(viewer, session=last, contact=contact)
            planning.send_invitation(viewer, request=request)
        scenario = insights.create_scenario(
            viewer, session=last, title="Team Blue", outcome="Live in a day.", steps=STEPS
        )
    world = World(slug=slug, admin=admin, program=program, sessions=planned, debrief_ids=[])
    return world, viewer, [scenario, contacts, members]


def _insights(
    world: World, total: int, scenario: Any, contacts: list[Any], rng: random.Random
) -> None:
    from django.db import transaction

    from traction.insights.models import Insight

    steps = list(scenario.steps.order_by("position"))
    last = world.sessions[-1]
    per = total // len(world.sessions)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rows = []
    for s_index, session in enumerate(world.sessions):
        for i in range(per):
            contact = contacts[i % len(contacts)]
            on_map = session.pk == last.pk
            kind = KINDS[i % len(KINDS)]
            rows.append(
                Insight(
                    workspace_id=session.workspace_id, program_id=session.program_id,
                    session_id=session.pk, scenario=scenario if on_map else None,
                    step=steps[i % len(steps)] if on_map and kind != "quote" else None,
                    kind=kind, text=_text(rng), speaker_contact=contact,
                    speaker_name=contact.name, customer_id=contact.customer_id,
                    status="accepted", source="import",
                    created_at=base + dt.timedelta(seconds=s_index * per + i),
                )
            )  # fmt: skip
    with transaction.atomic():
        Insight.objects.bulk_create(rows, batch_size=2_000)


def _vote(world: World, viewer: Any, contacts: list[Any], rng: random.Random) -> None:
    """The last session's customers spend their dots in the room; the round is closed."""
    from traction.core import audit
    from traction.insights.models import Insight
    from traction.sessions import services as planning
    from traction.voting import services as voting

    last = world.sessions[-1]
    with audit.channel("system"):
        found = voting.open_voting(viewer, session=last, budget=5)
        votable = list(Insight.objects.votable().filter(session=last).values_list("pk", flat=True))
        for contact in contacts:
            for _ in range(found.budget):
                voting.add_dot(
                    viewer, session=last, contact_id=contact.pk,
                    insight_id=rng.choice(votable[:60]),
                )  # fmt: skip
        voting.close_voting(viewer, session=last)
        back = last.starts_at - dt.timedelta(days=5)
        world.sessions[-1] = planning.update_session(
            viewer,
            session=last,
            changes={"starts_at": back, "ends_at": back + dt.timedelta(hours=4)},
        )


def _debriefs(world: World) -> None:
    """Every session's debrief (booked when the session was planned), held and closed but the
    last one's, which is open: the room measured."""
    from traction.debrief.models import Debrief

    by_session = dict(
        Debrief.objects.filter(session__in=world.sessions).values_list("session_id", "pk")
    )
    missing = [s for s in world.sessions if s.pk not in by_session]
    if missing:
        raise SystemExit(f"{len(missing)} sessions have no debrief: is the debrief clock wired?")
    world.debrief_ids = [by_session[s.pk] for s in world.sessions]
    earlier = world.debrief_ids[:-1]
    for session in world.sessions:
        Debrief.objects.filter(session=session).update(
            opened_at=session.ends_at + dt.timedelta(hours=20), status="closed",
            closed_at=session.ends_at + dt.timedelta(hours=23), closing_note="Closed.",
        )  # fmt: skip
    Debrief.objects.filter(pk=world.debrief_ids[-1]).update(status="open", closed_at=None)
    assert len(earlier) == len(world.sessions) - 1
    _checkpoints(world)


def _checkpoints(world: World) -> None:
    """Every closed debrief's checkpoints (3, 6 and 12 months on), made and those whose day
    has come stamped reached by the app's periodic job, as in production (the open one, the
    page's, has none yet)."""
    from traction.debrief.models import Checkpoint, Debrief, DebriefStatus
    from traction.debrief.services import scorecards

    scorecards.reach_checkpoints()
    made = Checkpoint.objects.filter(debrief_id__in=world.debrief_ids)
    closed = Debrief.objects.filter(pk__in=world.debrief_ids, status=DebriefStatus.CLOSED)
    if made.count() != 3 * closed.count():
        raise SystemExit("Not every closed debrief has its three checkpoints.")


def _decisions(
    world: World, members: list[Any], recommendations: int, actions: int, rng: random.Random
) -> None:
    from django.db import transaction

    from traction.debrief import models as m
    from traction.insights.models import Insight

    admin = world.admin
    ws = world.program.workspace_id
    per = recommendations // len(world.sessions)
    evidence_pool = {
        s.pk: list(Insight.objects.votable().filter(session=s).values_list("pk", flat=True)[:80])
        for s in world.sessions
    }
    outcomes = ["approved"] * 6 + ["deferred"] * 2 + ["rejected"] + ["pending"]
    with transaction.atomic():
        recs = []
        for session, debrief_id in zip(world.sessions, world.debrief_ids, strict=True):
            for n in range(per):
                outcome = outcomes[n % len(outcomes)]
                decided = outcome != "pending"
                recs.append(
                    m.Recommendation(
                        workspace_id=ws, program=world.program, debrief_id=debrief_id,
                        title=f"Recommendation {n + 1} of {session.title}",
                        rationale=_text(rng), customer_summary=_text(rng), outcome=outcome,
                        decision_reason="Decided in the room." if decided else "",
                        revisit_on=(session.ends_at + dt.timedelta(days=90)).date()
                        if outcome == "deferred" else None,
                        decided_at=session.ends_at + dt.timedelta(hours=22) if decided else None,
                        decided_by=admin if decided else None,
                        decided_as="Executive sponsor" if decided else "", created_by=admin,
                    )
                )  # fmt: skip
        m.Recommendation.objects.bulk_create(recs, batch_size=2_000)
        recs = list(
            m.Recommendation.objects.filter(program=world.program).select_related("debrief")
        )
        session_of = {d: s for s, d in zip(world.sessions, world.debrief_ids, strict=True)}
        m.Evidence.objects.bulk_create(
            [
                m.Evidence(recommendation=r, insight_id=i, added_by=admin)
                for r in recs
                for i in set(rng.sample(evidence_pool[session_of[r.debrief_id].pk], 2))
            ],
            batch_size=2_000,
        )
        m.Decision.objects.bulk_create(
            [
                m.Decision(
                    workspace_id=ws,
                    recommendation=r,
                    outcome=r.outcome,
                    reason=r.decision_reason,
                    revisit_on=r.revisit_on,
                    decided_by=admin,
                    decided_by_label=admin.full_name,
                    decided_as=r.decided_as,
                )
                for r in recs
                if r.outcome != "pending"
            ],
            batch_size=2_000,
        )
        approved = [r for r in recs if r.outcome == "approved"]
        statuses = ["done"] * 8 + ["in_progress"] * 5 + ["open"] * 4 + ["blocked"] * 2 + ["dropped"]
        items = []
        for n in range(actions):
            r = approved[n % len(approved)]
            status = statuses[n % len(statuses)]
            ended = session_of[r.debrief_id].ends_at
            items.append(
                m.ActionItem(
                    workspace_id=ws, recommendation=r, program=world.program,
                    title=f"Action {n + 1}", owner=members[n % len(members)],
                    planned_start=(ended + dt.timedelta(days=7)).date(),
                    due_on=(ended + dt.timedelta(days=30 + n % 400)).date(), status=status,
                    status_reason="Waiting for legal." if status in ("blocked", "dropped") else "",
                    started_at=ended + dt.timedelta(days=8) if status != "open" else None,
                    done_at=ended + dt.timedelta(days=40) if status == "done" else None,
                    created_by=admin,
                )
            )  # fmt: skip
        m.ActionItem.objects.bulk_create(items, batch_size=2_000)


def _scorecard(world: World, measurements: int, rng: random.Random) -> None:
    from django.db import transaction

    from traction.debrief import models as m

    ws = world.program.workspace_id
    per = measurements // METRICS
    first = dt.date.today() - dt.timedelta(days=per)
    with transaction.atomic():
        metrics = m.ScorecardMetric.objects.bulk_create(
            [
                m.ScorecardMetric(
                    workspace_id=ws,
                    program=world.program,
                    debrief_id=world.debrief_ids[n % len(world.debrief_ids)],
                    name=f"Metric {n + 1:02}",
                    definition="Share of new accounts live in a day.",
                    unit="%",
                    direction="up" if n % 3 else "down",
                    frequency="weekly",
                    data_source="Warehouse",
                    owner=world.admin,
                    baseline=Decimal("40"),
                    baseline_on=first,
                    target=Decimal("80"),
                    target_on=first + dt.timedelta(days=365),
                    forecast=[{"on": (first + dt.timedelta(days=180)).isoformat(), "value": "60"}],
                )
                for n in range(METRICS)
            ]
        )
        rows = []
        for metric in metrics:
            value = 40.0
            for day in range(per):
                value = max(0.0, value + rng.uniform(-1, 1.2))
                rows.append(
                    m.Measurement(
                        workspace_id=ws, metric=metric, on=first + dt.timedelta(days=day),
                        value=Decimal(f"{value:.2f}"), source="csv", recorded_by=world.admin,
                    )
                )  # fmt: skip
        m.Measurement.objects.bulk_create(rows, batch_size=5_000)


def build(slug: str, share: int, rng: random.Random) -> World:
    sessions = max(4, SESSIONS // share)
    world, viewer, (scenario, contacts, members) = _world(slug, sessions, rng)
    _insights(world, INSIGHTS // share, scenario, contacts, rng)
    _vote(world, viewer, contacts, rng)
    _debriefs(world)
    _decisions(world, members, RECOMMENDATIONS // share, ACTIONS // share, rng)
    _scorecard(world, MEASUREMENTS // share, rng)
    return world


def _pages(world: World) -> dict[str, tuple[str, str]]:
    """(page, its raw-SQL baseline) by name."""
    w, debrief, program = f"/w/{world.slug}", world.debrief_ids[-1], world.program.pk
    return {
        "debrief-page": (
            f"{w}/debriefs/{debrief}/",
            f"/bench/raw/debrief?workspace={world.slug}&debrief={debrief}",
        ),
        "scorecard-page": (
            f"{w}/debriefs/programs/{program}/scorecard/",
            f"/bench/raw/scorecard?workspace={world.slug}&program={program}",
        ),
    }


def _ms(ms: float) -> str:
    return f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"


def run(args: argparse.Namespace, var_dir: Path) -> list[Row]:
    from django.db import connection

    reps = int(getattr(args, "debrief_reps", REPS))
    rng = random.Random(12)
    t0 = time.monotonic()
    print("Seeding the small program …", flush=True)
    small = build("bench-debrief-small", SMALL_SHARE, rng)
    print(f"Seeding {SESSIONS} sessions, {INSIGHTS:,} insights, {RECOMMENDATIONS:,} "
          f"recommendations, {ACTIONS:,} action items, {MEASUREMENTS:,} measurements …",
          flush=True)  # fmt: skip
    world = build("bench-debrief", 1, rng)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(f"  seeded in {time.monotonic() - t0:.0f} s", flush=True)
    connection.close()
    gc.collect()
    client, small_client = web_client(world.admin), web_client(small.admin)
    small_pages = _pages(small)
    measured_on = f"{cpu_model()}, {os.cpu_count() or 0} cores, {dt.date.today().isoformat()}"
    out = []
    for name, (page, raw) in _pages(world).items():
        print(f"  {name}: the page and its raw SQL, alternated …", flush=True)
        f, b, floor = measure_pages(
            (client, page), (client, raw), (client, f"/w/{world.slug}/bench/layout/"), reps=reps
        )
        [s] = measure_pages((small_client, small_pages[name][0]), reps=3)
        ratio_median, ratio_p95 = f.median_ms / b.median_ms, f.p95_ms / b.p95_ms
        met = f.status == 200 and ratio_p95 <= GOAL and s.queries == f.queries
        print(
            f"  {name}: {f.status} median {_ms(f.median_ms)}, p95 {_ms(f.p95_ms)}, "
            f"{f.queries} queries (small program: {s.queries}); raw SQL median "
            f"{_ms(b.median_ms)}, p95 {_ms(b.p95_ms)}; {ratio_median:.2f}× / {ratio_p95:.2f}×; "
            f"the layout alone: median {_ms(floor.median_ms)} "
            f"({floor.median_ms / b.median_ms:.2f}× the raw SQL)"
            + ("" if met else "  (goal missed)"),
            flush=True,
        )
        out.append(
            Row(
                benchmark=name,
                figure=f"median {_ms(f.median_ms)}, p95 {_ms(f.p95_ms)}; {f.queries} queries "
                f"({s.queries} for a program of {len(small.sessions)} sessions)"
                + ("" if f.status == 200 else f"; HTTP {f.status}"),
                baseline=f"what the page shows, read in raw SQL: median {_ms(b.median_ms)}, "
                f"p95 {_ms(b.p95_ms)}; the signed-in layout with no content: median "
                f"{_ms(floor.median_ms)}, p95 {_ms(floor.p95_ms)} "
                f"({floor.median_ms / b.median_ms:.2f}× the raw SQL by itself)",
                ratio=f"{ratio_median:.2f} / {ratio_p95:.2f}",
                goal="≤ 3× raw SQL; queries constant as data grows",
                measured_on=measured_on,
            )
        )
    return out


def main() -> int:
    from bench.run import table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", dest="debrief_reps", type=int, default=REPS)
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="traction-bench-debrief."))
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
