"""`make bench`: measure, then rewrite docs/benchmarks.md with one row per benchmark.

api-list-customers: requests per second of GET /api/v1/customers?page=1&page_size=50 as an
admin with a bearer token (500, then 10,000 customers in the workspace), served by granian
with 2 WSGI workers under production settings, against a bare Django view serving the same
JSON from the same two raw SQL queries (count, page). The two are measured interleaved,
round after round, with wrk on the loopback, so a noisy neighbour hurts both alike; medians
and ranges are reported, and the p95 latency of one client sending one request at a time.

Bounded in time (--budget seconds overall, a timeout on every subprocess); the server is
killed on every way out. ``--self-test`` measures the raw view against itself (for when the
API is not there yet) and prints the table instead of writing the docs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
API_PATH = "/api/v1/customers?page=1&page_size=50"
RAW_PATH = "/bench/raw/customers?page=1&page_size=50&workspace=bench"
WRK = shutil.which("wrk") or "/usr/bin/wrk"


class BenchError(Exception):
    pass


@dataclass
class Row:
    benchmark: str
    figure: str
    baseline: str
    ratio: str
    goal: str
    measured_on: str


# --- environment and data ---------------------------------------------------------------------


def prepare_django(var_dir: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "traction.settings.bench"
    os.environ["TRACTION_VAR_DIR"] = str(var_dir)
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def seed(customers: int) -> str:
    """A workspace with ``customers`` customers (every third with contacts); an admin's token."""
    from traction.accounts import services as accounts
    from traction.core import audit
    from traction.core.permissions import Role, Viewer

    with audit.channel("system"):
        admin = accounts.create_user(
            email="admin@bench.example", full_name="Bench Admin", password=None
        )
        owner = accounts.create_user(
            email="owner@bench.example", full_name="Bench Owner", password=None
        )
        workspace = accounts.create_workspace(name="Bench", admin=admin, slug="bench")
        accounts.add_member(None, workspace=workspace, user=owner, role=Role.ACCOUNT_OWNER)
        viewer = Viewer(user=admin, workspace_id=workspace.pk, role=Role.ADMIN)
        add_customers(viewer, range(customers))
        _, key = accounts.create_api_token(viewer, name="bench")
    return key


def add_customers(viewer: Any, numbers: range) -> None:
    """Customers number ``numbers`` of the bench workspace, through the services."""
    from traction.accounts.models import User
    from traction.core import audit
    from traction.customers import services as customer_services

    segments = ["enterprise", "mid_market", "small_business", "public_sector"]
    sizes = ["1-49", "50-249", "250-999", "1000-4999", "5000+", ""]
    regions = ["EMEA", "North America", "APAC", "LATAM"]
    owner = User.objects.get(email="owner@bench.example")
    with audit.channel("system"):
        for i in numbers:
            customer = customer_services.create_customer(
                viewer,
                name=f"Customer {i:04d}",
                segment=segments[i % len(segments)],
                size=sizes[i % len(sizes)],
                region=regions[i % len(regions)],
                account_owner_id=owner.pk if i % 2 else None,
                notes=f"Notes about customer {i}: " + "onboarding, invoicing, renewals. " * (i % 4),
            )
            for j in range(2 if i % 3 == 0 else 0):
                customer_services.add_contact(
                    viewer,
                    customer=customer,
                    name=f"Contact {i}-{j}",
                    email=f"c{i}-{j}@example.org",
                )


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(var_dir: Path, port: int, workers: int) -> Iterator[None]:
    from traction.cli.main import granian_argv

    static = var_dir / "static"
    static.mkdir(exist_ok=True)
    argv = granian_argv(
        host="127.0.0.1",
        port=port,
        workers=workers,
        static_route="/static",
        static_root=str(static),
    )
    argv[argv.index("traction.wsgi:application") : -1] = ["--log-level", "warning"]
    log = (var_dir / "server.log").open("w")
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        wait_until_up(port, proc, var_dir / "server.log")
        yield
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_until_up(port: int, proc: subprocess.Popen[Any], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"the server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise BenchError(f"the server did not answer within 30 s:\n{log.read_text()}")


def fetch(url: str, token: str | None) -> tuple[int, Any]:
    request = urllib.request.Request(url)  # noqa: S310 -- our own loopback server
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()[:300]


# --- measuring --------------------------------------------------------------------------------


def wrk(url: str, token: str | None, seconds: int, threads: int, connections: int) -> float:
    argv = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s"]
    if token:
        argv += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(
        [*argv, url], capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    if "Non-2xx or 3xx responses" in out or "Socket errors" in out:
        raise BenchError(f"wrk saw errors for {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise BenchError(f"could not read wrk's output:\n{out}")
    return float(match.group(1))


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} req/s ({min(values):.0f}–{max(values):.0f})"


P95_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("p95_us %d\\n", latency:percentile(95)))
end
"""


def p95_ms(url: str, token: str | None, seconds: int) -> float:
    """The p95 latency of one client sending one request at a time (no queueing)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(P95_LUA)
        script.flush()
        argv = [WRK, "-t1", "-c1", f"-d{seconds}s", "-s", script.name]
        if token:
            argv += ["-H", f"Authorization: Bearer {token}"]
        out = subprocess.run(
            [*argv, url], capture_output=True, text=True, timeout=seconds + 30, check=True
        ).stdout
    match = re.search(r"p95_us (\d+)", out)
    if not match or "Non-2xx or 3xx responses" in out:
        raise BenchError(f"could not read wrk's latency for {url}:\n{out}")
    return int(match.group(1)) / 1000


def api_list_customers(args: argparse.Namespace, var_dir: Path) -> list[Row]:
    from traction.accounts.models import Workspace
    from traction.core.permissions import Role, Viewer

    scales = sorted({args.customers, *args.customer_scale})
    print(f"Seeding {scales[0]} customers through the services …", flush=True)
    token = seed(scales[0])
    workspace = Workspace.objects.get(slug="bench")
    admin = workspace.memberships.get(role=Role.ADMIN).user
    viewer = Viewer(user=admin, workspace_id=workspace.pk, role=Role.ADMIN)
    rows = []
    for done, scale in zip([0, *scales], scales, strict=False):
        if done and scale > done:
            print(f"Adding customers up to {scale} …", flush=True)
            add_customers(viewer, range(done, scale))
        rows.append(measure_customers(args, var_dir, token, scale))
    return rows


def measure_customers(args: argparse.Namespace, var_dir: Path, token: str, customers: int) -> Row:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    api_url, raw_url = base + (RAW_PATH if args.self_test else API_PATH), base + RAW_PATH
    api_token = None if args.self_test else token
    with server(var_dir, port, args.workers):
        status_api, body_api = fetch(api_url, api_token)
        status_raw, body_raw = fetch(raw_url, None)
        if (status_api, status_raw) != (200, 200):
            raise BenchError(
                f"expected 200 from both, got API {status_api} {body_api!r}, raw {status_raw}"
            )
        if body_api != body_raw:
            first = next(
                (
                    i
                    for i, (a, b) in enumerate(
                        zip(body_api["items"], body_raw["items"], strict=False)
                    )
                    if a != b
                ),
                None,
            )
            detail = (
                f"item {first}:\n  API {body_api['items'][first]}\n  raw {body_raw['items'][first]}"
                if first is not None
                else f"count API {body_api.get('count')} raw {body_raw.get('count')}"
            )
            raise BenchError(f"the API and the raw view disagree at {detail}")
        if body_raw["count"] != customers or len(body_raw["items"]) != 50:
            raise BenchError(
                f"unexpected page: count {body_raw['count']}, {len(body_raw['items'])} items"
            )
        print("Both endpoints return 200 and the same 50 items; warming up …", flush=True)
        for url, tok in ((api_url, api_token), (raw_url, None)):
            wrk(url, tok, 2, args.threads, args.connections)
        api_rates: list[float] = []
        raw_rates: list[float] = []
        for n in range(args.rounds):
            order = [("api", api_url, api_token), ("raw", raw_url, None)]
            for name, url, tok in order if n % 2 == 0 else order[::-1]:
                rate = wrk(url, tok, args.seconds, args.threads, args.connections)
                (api_rates if name == "api" else raw_rates).append(rate)
                print(f"  round {n + 1}/{args.rounds} {name}: {rate:.0f} req/s", flush=True)
        api_p95 = p95_ms(api_url, api_token, args.seconds)
        raw_p95 = p95_ms(raw_url, None, args.seconds)
        print(f"  p95, one client: api {api_p95:.1f} ms, raw {raw_p95:.1f} ms", flush=True)
    ratio = statistics.median(api_rates) / statistics.median(raw_rates)
    cores = os.cpu_count() or 0
    name = f"api-list-customers ({customers:,} customers)"
    return Row(
        benchmark=name + (" (self-test: raw vs raw)" if args.self_test else ""),
        figure=f"{summary(api_rates)}, p95 {api_p95:.1f} ms",
        baseline=f"{summary(raw_rates)}, p95 {raw_p95:.1f} ms",
        ratio=f"{ratio:.2f}",
        goal="≥ 0.5, p95 < 20 ms",
        measured_on=f"{cpu_model()}, {cores} cores, {dt.date.today().isoformat()}",
    )


def _api_list_customers(args: argparse.Namespace, var_dir: Path) -> list[Row]:
    return api_list_customers(args, var_dir)


def _imports(args: argparse.Namespace, var_dir: Path) -> list[Row]:
    from bench import imports

    return imports.run(args, var_dir)


def _search(args: argparse.Namespace, var_dir: Path) -> list[Row]:
    from bench import search

    return search.run(args, var_dir)


def _session10k(args: argparse.Namespace, var_dir: Path) -> list[Row]:
    from bench import session10k

    return session10k.run(args, var_dir)


def _debrief(args: argparse.Namespace, var_dir: Path) -> list[Row]:
    from bench import debrief

    return debrief.run(args, var_dir)


# Each returns its rows; they run in this order in one prepared database (search and
# session-10k last: each seeds a million insights, which would only slow the others down).
BENCHMARKS = {
    "api-list-customers": _api_list_customers,
    "imports": _imports,
    "debrief": _debrief,
    "search": _search,
    "session-10k": _session10k,
}
# The rows each benchmark writes start with this (for --only ... --update).
ROW_PREFIX = {
    "api-list-customers": "api-list-customers",
    "imports": "import-",
    "debrief": ("debrief-page", "scorecard-page"),
    "search": "search-1m",
    "session-10k": "session-10k",
}


def read_rows(text: str) -> list[Row]:
    """The table rows of an earlier docs/benchmarks.md."""
    rows = []
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if line.startswith("| ") and len(cells) == 6 and cells[0] not in ("benchmark", "---"):
            rows.append(Row(*cells))
    return rows


def updated_rows(earlier: list[Row], measured: list[Row], chosen: list[str]) -> list[Row]:
    """Earlier rows with the chosen benchmarks' rows replaced, in the usual order; each row
    keeps its own "measured on" date, so the page says which figures are older."""

    def key(row: Row) -> str:
        return next(
            (name for name, prefix in ROW_PREFIX.items() if row.benchmark.startswith(prefix)), ""
        )

    kept = [row for row in earlier if key(row) not in chosen] + measured
    order = list(BENCHMARKS)
    return sorted(kept, key=lambda row: order.index(key(row)) if key(row) in order else len(order))


# --- the report -------------------------------------------------------------------------------

HEADER = """\
# Benchmarks

Written by `make bench` (bench/run.py); do not edit by hand.

- **api-list-customers** — `GET /api/v1/customers?page=1&page_size=50` with an admin's
  bearer token (authenticated, permission-checked) over {customers} customers, then
  10,000 (`--customer-scale`), production settings, SQLite, granian with 2 WSGI workers,
  `wrk -t{threads} -c{connections}` on the loopback for {seconds} s per round, {rounds} rounds
  alternating with the **baseline**: a bare Django view returning the same JSON built by
  hand from the same two raw SQL queries, the count and the page (bench/views.py). Figures
  are medians with the range (min–max) in brackets; the ratio is median API ÷ median
  baseline; p95 is the latency of one client sending one request at a time for {seconds} s.
- **import-stickies-100k** — a generated {import_rows:,}-row sticky-note CSV imported through
  the same code path as `traction import` (parse once, check, one `executemany` per committed
  chunk; the full-text index follows), in rows per second, alternated A B A B with a raw
  `sqlite3` `executemany` of the same rows into a copy of the same table with the same
  indexes, full-text table and triggers, read from the migrated database (bench/imports.py).
  Peak memory (tracemalloc) at 10k and 100k rows shows it stays flat as the file grows.
- **import-vtt-1mb** — a realistic generated 1 MB Zoom WebVTT transcript (3,500 cues, real
  interview sentences, non-ASCII names, one speaker who takes part in nothing) and a 1 MB
  Teams one, imported over HTTP into Traction (granian, 1 worker, SQLite) by one API call
  (`unmatched=keep`), by the API's 422-then-`unmatched=keep` flow, and by the web's
  upload (preview: parses, writes nothing, checked) then confirm; against Taguette 1.5.2's
  upload of the same file to its own server process (`make bench-deps` installs it in
  `.bench/taguette-venv`), alternated round by round. Taguette refuses Teams files; the
  Teams rows compare with its upload of the Zoom file. Medians (min–max); ratio = ours ÷
  Taguette's.
- **debrief-page / scorecard-page** — the debrief room of the last of 200 co-design sessions
  and the program's scorecard page, in a program of 100,000 insights, 5,000 recommendations,
  20,000 action items, 50 metrics with 50,000 measurements and 600 results checkpoints
  (bench/debrief.py), asked in-process as the admin; median and p95 over 31 requests
  alternated A B A B with the **baseline**: a bare view reading, as raw SQL through Django's
  cursor, what the page shows (the room: every panel's rows and aggregates — the action items
  as counts by state and the ten needing attention, the first ten customer metric cards and
  their count; the scorecard: the count and the first page of 25 metrics with their names and
  recent values, the checkpoints' counts (reached, ahead), the next five due and the latest
  five reached), and, like the page, who is asking and the frame around the content (the
  session, the user and their membership, the workspace switcher, the navigation's
  badges), with no ORM, policy or template (bench/views.py).
  Ratio: median / p95 of the page ÷ the baseline's (goal ≤ 3×); the SQL queries per page
  are compared with a program 1/50 the size (goal: the same count). Alternated with them,
  the **floor**: the signed-in layout with no content (the session, the user, the workspace,
  the navigation and its badges, the base template, the middleware; bench/views.py
  `layout`), in the baseline column with its own ratio: the share of the ratio that no
  page of the app can avoid.
- **search-1m** — the search selector (first page of 50 and the count, capped at 1,000)
  over {search_rows:,} insights in one workspace (plus 5% in another), for no words (the
  page's default), rare, medium, common and mostly hidden terms, median and p95 of
  {search_reps} runs per term, against the same answer written as plain `sqlite3` SQL on the
  same file (the FTS-driven walk within the viewer's scope, the capped count, bm25 under the
  cap, the page's columns; same count and page checked), alternated, as an admin and as a
  core team member of one program (bench/search.py, docs/architecture.md).
- **session-10k** — one session with {session10k_session_rows:,} accepted insights (and 500
  candidates) in a workspace of {session10k_rows:,}, its pages asked in-process through
  Django's test client as the admin, by path: the session page, the map, the review queue,
  the ranking page and `GET /api/v1/sessions/{{id}}/voting/results`, the voting room and the
  search page filtered to the session; median and p95 of up to {session10k_reps} requests,
  the response's size and its SQL queries. The **baseline** is an empty session's same page
  in a workspace of 1,000 insights and in the one of {session10k_rows:,}, alternated request
  by request; the ratio is p95 at {session10k_rows:,} ÷ p95 at 1,000 (1.0: the empty session
  does not pay for the workspace). Printed with the plans of the session-scoped reads
  (bench/session10k.py).

"""


def table(rows: list[Row]) -> str:
    lines = [
        "| benchmark | figure | baseline | ratio | goal | measured on |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.benchmark} | {r.figure} | {r.baseline} | {r.ratio} | {r.goal} | {r.measured_on} |"
        for r in rows
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5, help="length of one measurement")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument(
        "--customer-scale",
        type=int,
        action="append",
        default=[10_000],
        help="also measure api-list-customers with this many customers (repeatable)",
    )
    parser.add_argument("--budget", type=int, default=5400, help="give up after this many seconds")
    parser.add_argument("--self-test", action="store_true", help="raw view against itself; no docs")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--search-rows", type=int, default=1_000_000)
    parser.add_argument("--search-reps", type=int, default=61)
    parser.add_argument("--session10k-rows", type=int, default=1_000_000)
    parser.add_argument("--session10k-session-rows", type=int, default=10_000)
    parser.add_argument("--session10k-reps", type=int, default=31)
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BENCHMARKS),
        help="run only this benchmark (repeatable); the docs are then not rewritten",
    )
    parser.add_argument(
        "--update",
        action="store_true",
        help="with --only: replace those benchmarks' rows in the docs, keep the others",
    )
    args = parser.parse_args()
    if not Path(WRK).exists():
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2

    def out_of_time(signum: int, frame: Any) -> None:
        raise BenchError(f"gave up after {args.budget} s")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.signal(signal.SIGTERM, lambda s, f: sys.exit(143))
    signal.alarm(args.budget)
    var_dir = Path(tempfile.mkdtemp(prefix="traction-bench."))
    try:
        prepare_django(var_dir)
        chosen = args.only or list(BENCHMARKS)
        rows = [row for name in chosen for row in BENCHMARKS[name](args, var_dir)]
    except (BenchError, subprocess.SubprocessError) as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
        shutil.rmtree(var_dir, ignore_errors=True)
    if args.only and args.update and not args.self_test:
        rows = updated_rows(read_rows(DOCS.read_text()), rows, args.only)
    report = HEADER.format(**vars(args)) + table(rows)
    if args.self_test or (args.only and not args.update):
        print(report)
    else:
        DOCS.write_text(report)
        print(f"Wrote {DOCS.relative_to(ROOT)}:\n\n{table(rows)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
