"""Import benchmarks: `import-vtt-1mb` (against Taguette 1.5.2) and `import-stickies-100k`
(against a raw ``executemany``).

import-vtt-1mb: a realistic generated ~1 MB Zoom WebVTT transcript (~3,500 cues, "Name: text",
sentences drawn from real interview vocabulary, non-ASCII names, one speaker who takes part in
no session) and a ~1 MB Teams WebVTT transcript of the same talk (``<v Name>`` voice tags),
each imported, as a user would, over HTTP on the loopback into Traction served by granian
(1 worker, production settings, SQLite) and uploaded into Taguette 1.5.2 run as its own server
process (``taguette --no-browser``, single-user mode, its own SQLite database) from its own
virtualenv (``make bench-deps``): its ``POST /api/project/<id>/document/new``, what its upload
dialog sends. Measured, each round with a fresh file variant and a fresh session, the two
sides alternated (Taguette first in even rounds, Traction first in odd ones):

- the single import call: ``POST /api/v1/sessions/{id}/imports`` with ``unmatched=keep``;
- the documented API flow: the same upload without it (a 422 listing the unknown name, which
  must write nothing), then again with ``unmatched=keep``;
- the web flow: the upload (the preview page; it parses the file and writes nothing to the
  database, checked) then the confirm as the preview form posts it, until its redirect.

Taguette refuses Teams files (its subtitle parser wants cue numbers): that refusal is shown,
and Traction's Teams figures are set against Taguette's upload of the Zoom file of the same
round. Figures are medians (min–max); the ratio is Traction's median ÷ Taguette's.

import-stickies-100k: a generated 100,000-row sticky-note CSV imported through the same code
path as `traction import` (``import_file`` with a progress callback, audit channel "cli")
into a fresh session, alternated with the **baseline**: a raw ``sqlite3`` ``executemany`` of
the very same rows (read back from the bench database) in one transaction into a fresh
database holding the insight table as the migrations made it (its CREATE TABLE, indexes, FTS5
table and triggers copied from ``sqlite_master``, the tables its foreign keys point at, Django's
PRAGMAs). A B A B; the ratio is our median rows/s ÷ raw median rows/s. Peak memory
(tracemalloc, Python allocations) of the same import at 10k and 100k rows, in separate runs,
shows memory staying flat as the file grows.

Run standalone: ``.venv/bin/python -m bench.imports`` prints the rows.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as default
from datetime import timedelta
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

if TYPE_CHECKING:
    from bench.run import Row

ROOT = Path(__file__).resolve().parent.parent
TAGUETTE = ROOT / ".bench" / "taguette-venv" / "bin" / "taguette"
ROWS = 100_000
SMALL_ROWS = 10_000
STICKY_ROUNDS = 2
VTT_BYTES = 1_000_000
VTT_CUES = 3_500
VTT_ROUNDS = 5
KINDS = ["Pain point", "Idea", "Moment of truth", "KPI", "Issue", "Wish"]
STEPS = ["Discover", "Sign the contract", "Set up billing", "First invoice", "Renew"]
# The session's people, as a meeting tool writes them, and one guest who takes part in none.
CONTACTS = ["Zoë Ångström", "José Núñez", "Łucja Żak", "Gina Globex"]
TAKER = "Nora Notes"
UNKNOWN = "Björn Okänd"
# Interview talk: the transcript's sentences are drawn from these, a few per cue.
SENTENCES = """\
Honestly the approval step is where everything slows down for us.
We wait about three weeks before finance signs off on a new supplier.
Our controller in Malmö prints every invoice twice, which nobody really understands.
I think the onboarding emails arrive before anyone has an account, so they get ignored.
The dashboard looks nice but I can't export the numbers my manager asks for.
Could you explain how the renewal reminder is supposed to work?
Last quarter we missed two renewals because the reminder went to a shared mailbox.
Single sign-on would save us a lot of support tickets.
When the contract is forty pages long, legal takes it home for the weekend.
We use a spreadsheet to track which customers have been invited to training.
The pricing page doesn't mention the discount for public-sector customers.
Our team in Zürich works in German, so the English-only templates are a problem.
I'd love a pre-filled billing form; we type the same address every month.
Support answered quickly, but the ticket was closed before the fix was deployed.
The integration with our ERP breaks whenever the API changes a field name.
Sometimes the webhook fires twice and we create duplicate orders.
It took us a day to find out who owns the data migration.
Our CFO wants one report, not five, before the board meeting.
The first invoice was paid in a day, which honestly surprised everyone.
We would pay more for an audit trail that our auditors accept as is.
Can we get the handover checklist before the kickoff, not after?
The café team in Porto uses tablets, so the mobile layout matters a lot.
Nobody reads the welcome mail, to be frank; it's too long.
If the password reset link expires in ten minutes, people give up.
We had to translate the training material ourselves, for the façade workers.
What happens to our data when the contract ends?
Sales promises features that product hasn't even planned yet.
I'm not sure the workflow matches how procurement actually works here.
Right, and the purchase order needs two signatures above ten thousand euros.
Yes, exactly, that is the moment of truth for our accountants.
Okay, so let me share my screen and show you the report we build by hand.
The import from the old system dropped every accented name: Müller became M ller.
We spend roughly four hours a week reconciling payments manually.
A weekly digest would be better than an email for every single change.
Our security team asked for the penetration test summary twice already.
I think the renewal price should be visible thirty days earlier.
The template library is great, but searching it is painful.
We onboarded twelve new hubs this year and each one needed a call.
The naïve approach was to give everyone admin rights, which we regret.
Let me check with Zoë, she owns the rollout in the Nordics.
""".splitlines()
FILLERS = ["Yeah.", "Mm-hmm.", "Right.", "Okay.", "So,", "I mean,", "Well,", "Sure."]


@dataclass
class World:
    viewer: Any
    user: Any
    slug: str
    token: str
    sessions: list[Any]  # fresh sessions, taken one per measured import
    scenario_of: dict[int, int] = default(default_factory=dict)  # session id -> scenario id
    authors: list[str] = default(default_factory=list)

    def take(self) -> Any:
        return self.sessions.pop()


def _seed(sessions: int) -> World:
    """A workspace with four customers' contacts (non-ASCII names) invited to ``sessions``
    sessions, a note taker, and a scenario with five steps in each; all through the services."""
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
        taker = accounts.create_user(email="notes@bench.example", full_name=TAKER, password=None)
        workspace = accounts.create_workspace(name="Imports", admin=admin, slug="imports")
        accounts.add_member(None, workspace=workspace, user=taker, role=Role.CORE_TEAM)
        viewer = Viewer(user=admin, workspace_id=workspace.pk, role=Role.ADMIN)
        program = programs.create_program(viewer, name="Bench program", goal="Measure imports.")
        contacts = []
        for n, name in enumerate(CONTACTS):
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
        _, token = accounts.create_api_token(viewer, name="bench")
    authors = [*CONTACTS, "Ångström, Zoë", TAKER]
    return World(viewer, admin, workspace.slug, token, found, scenario_of, authors)


# --- the files --------------------------------------------------------------------------------


def stickies_csv(rows: int, authors: list[str], seed: int = 7) -> bytes:
    rng = random.Random(seed)
    words = " ".join(SENTENCES).split()
    out = io.StringIO()
    out.write("Sticky note,Created by,Card type,Frame,Tags\r\n")
    for n in range(rows):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(5, 14))).replace(",", "")
        tags = f"{rng.choice(words)}; {rng.choice(words)}".replace(",", "") if n % 3 == 0 else ""
        author = authors[n % len(authors)]
        author = f'"{author}"' if "," in author else author
        out.write(f"Note {n}: {text},{author},{KINDS[n % len(KINDS)]},{STEPS[n % 5]},{tags}\r\n")
    return out.getvalue().encode()


def _talk(variant: int, cues: int, size: int) -> Iterator[tuple[str, int, int, str]]:
    """(speaker, start ms, end ms, text) of a ~``size``-byte conversation of ``cues`` cues."""
    rng = random.Random(variant)
    speakers = [*CONTACTS, TAKER]
    per_cue = size // cues - 45  # the cue's number, times and name take about 45 bytes
    speaker = speakers[0]
    ms = 0
    for n in range(cues):
        if rng.random() < 0.5:
            speaker = UNKNOWN if rng.random() < 0.03 else rng.choice(speakers)
        if n == 7:
            speaker = UNKNOWN  # the guest speaks early on, so the preview shows them
        text = rng.choice(FILLERS) if rng.random() < 0.15 else ""
        while len(text.encode()) < per_cue - 40:
            text = f"{text} {rng.choice(SENTENCES)}".strip()
        start, ms = ms, ms + rng.randint(1500, 6000)
        yield speaker, start, ms, text


def zoom_vtt(variant: int, cues: int = VTT_CUES, size: int = VTT_BYTES) -> bytes:
    lines = ["WEBVTT", ""]
    for n, (speaker, start, end, text) in enumerate(_talk(variant, cues, size), start=1):
        lines += [str(n), f"{_stamp(start)} --> {_stamp(end)}", f"{speaker}: {text}", ""]
    return "\n".join(lines).encode()


def teams_vtt(variant: int, cues: int = VTT_CUES, size: int = VTT_BYTES) -> bytes:
    rng = random.Random(-variant)
    lines = ["\ufeffWEBVTT", ""]
    for n, (speaker, start, end, text) in enumerate(_talk(variant, cues, size), start=1):
        cue = f"{uuid.UUID(int=rng.getrandbits(128))}/{n}-0"
        lines += [cue, f"{_stamp(start)} --> {_stamp(end)}", f"<v {speaker}>{text}</v>", ""]
    return "\r\n".join(lines).encode()


def _stamp(ms: int) -> str:
    s, ms = divmod(ms, 1000)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.{ms:03d}"


# --- HTTP, as a user's browser or script sends it ---------------------------------------------


class Browser:
    """One user agent against one server: its cookies, and each request timed (no redirect
    followed: a redirect is the answer)."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.headers = headers or {}

    def request(
        self,
        method: str,
        path: str,
        fields: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str, float]:
        body: bytes | None = None
        sent = {**self.headers, **(headers or {})}
        if files is not None:
            boundary = uuid.uuid4().hex
            head = f"--{boundary}\r\nContent-Disposition: form-data; name="
            parts = [f'{head}"{k}"\r\n\r\n{v}\r\n'.encode() for k, v in (fields or {}).items()]
            for name, (filename, data, kind) in files.items():
                parts.append(
                    f'{head}"{name}"; filename="{filename}"\r\n'.encode()
                    + f"Content-Type: {kind}\r\n\r\n".encode()
                    + data
                    + b"\r\n"
                )
            parts.append(f"--{boundary}--\r\n".encode())
            body = b"".join(parts)
            sent["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif fields is not None:
            body = urlencode(fields).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        started = time.perf_counter()
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        seconds = time.perf_counter() - started
        connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        if response.status in (301, 302, 303):
            text = response.headers.get("Location", "")
        return response.status, text, seconds


class _FormFields(HTMLParser):
    """The fields a browser would post with the form whose action contains ``action``."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.inside = False
        self.fields: dict[str, str] = {}
        self.select: str | None = None
        self.first_option: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = self.action in a.get("action", "")
        elif not self.inside:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields[a["name"]] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select":
            self.select, self.first_option = a.get("name"), None
        elif tag == "option" and self.select:
            if self.first_option is None:
                self.first_option = a.get("value", "")
                self.fields.setdefault(self.select, self.first_option)
            if "selected" in a:
                self.fields[self.select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None


def form_fields(html: str, action: str) -> dict[str, str]:
    parser = _FormFields(action)
    parser.feed(html)
    return parser.fields


# --- the two servers --------------------------------------------------------------------------


@contextlib.contextmanager
def taguette(var_dir: Path, port: int) -> Iterator[tuple[Browser, str]]:
    """Taguette 1.5.2 as its own server process, single-user mode: a signed-in browser and
    the path of a new project's upload."""
    from bench.run import BenchError, stop

    if not TAGUETTE.exists():
        raise BenchError(f"{TAGUETTE} is missing: run `make bench-deps` (pip install taguette)")
    log = (var_dir / "taguette.log").open("w")
    proc = subprocess.Popen(
        [str(TAGUETTE), "--no-browser", "-p", str(port), "--database", str(var_dir / "tg.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        join = None
        deadline = time.monotonic() + 60
        for line in proc.stdout:
            log.write(line)
            if found := re.search(r"(http://\S+\?token=\S+)", line):
                join = urlsplit(found.group(1))
                break
            if time.monotonic() > deadline:
                break
        if join is None:
            raise BenchError(f"Taguette did not start; see {var_dir / 'taguette.log'}")
        drain = threading.Thread(target=shutil.copyfileobj, args=(proc.stdout, log), daemon=True)
        drain.start()
        browser = Browser(port)
        browser.request("GET", f"{join.path}?{join.query}")  # single-user sign-in
        browser.request("GET", "/project/new")  # sets the _xsrf cookie
        xsrf = browser.cookies["_xsrf"]
        status, where, _ = browser.request(
            "POST", "/project/new", {"name": "Bench", "description": "", "_xsrf": xsrf}
        )
        project = re.search(r"/project/(\d+)", where)
        if status not in (302, 303) or project is None:
            raise BenchError(f"Taguette did not create the project: {status} {where[:200]}")
        browser.headers["X-XSRFToken"] = xsrf
        yield browser, f"/api/project/{project.group(1)}/document/new"
    finally:
        stop(proc)
        log.close()


def taguette_upload(browser: Browser, path: str, name: str, data: bytes) -> tuple[float, str]:
    """Seconds for Taguette to take a transcript as a new document, and its answer."""
    status, body, seconds = browser.request(
        "POST",
        path,
        {"name": name, "description": "", "text_direction": "LEFT_TO_RIGHT"},
        {"file": (name, data, "text/vtt")},
    )
    return seconds, f"{status} {body.strip()[:120]}"


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


# --- Traction's side --------------------------------------------------------------------------


def _signed_in(world: World, port: int) -> Browser:
    """A browser holding the admin's session cookie (signed in as the login page would)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(world.user)
    browser = Browser(port)
    browser.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[
        settings.SESSION_COOKIE_NAME
    ].value
    return browser


def _written(session: Any) -> tuple[int, int]:
    from traction.insights.models import ImportBatch, Insight

    return (
        Insight.objects.filter(session=session).count(),
        ImportBatch.objects.filter(session=session).count(),
    )


def api_import(api: Browser, session: Any, name: str, data: bytes, **fields: str) -> Any:
    return api.request(
        "POST",
        f"/api/v1/sessions/{session.pk}/imports",
        fields,
        {"file": (name, data, "text/vtt")},
    )


def single_call(api: Browser, world: World, name: str, data: bytes) -> float:
    from bench.run import BenchError

    session = world.take()
    status, body, seconds = api_import(api, session, name, data, unmatched="keep")
    if status != 201:
        raise BenchError(f"the API import of {name} answered {status}: {body[:300]}")
    return seconds


def api_flow(api: Browser, world: World, name: str, data: bytes) -> float:
    """The documented flow: a 422 listing the unknown name (nothing written), then keep."""
    from bench.run import BenchError

    session = world.take()
    status, body, first = api_import(api, session, name, data)
    if status != 422 or UNKNOWN not in body:
        raise BenchError(f"expected a 422 naming {UNKNOWN}, got {status}: {body[:300]}")
    if _written(session) != (0, 0):
        raise BenchError(f"the refused import of {name} wrote {_written(session)}")
    status, body, second = api_import(api, session, name, data, unmatched="keep")
    if status != 201:
        raise BenchError(f"the API import of {name} answered {status}: {body[:300]}")
    return first + second


def web_flow(web: Browser, world: World, name: str, data: bytes) -> tuple[float, float]:
    """Upload (the preview page) then confirm: (both, the preview alone)."""
    from bench.run import BenchError

    session = world.take()
    page = f"/w/{world.slug}/insights/sessions/{session.pk}/import/"
    web.request("GET", page)  # the page the user opens before picking the file (sets csrftoken)
    csrf = web.cookies["csrftoken"]
    status, html, preview = web.request(
        "POST",
        page,
        {"csrfmiddlewaretoken": csrf, "scenario": ""},
        {"file": (name, data, "text/vtt")},
    )
    if status != 200 or "Check the import" not in html:
        raise BenchError(f"the web upload of {name} answered {status}: {html[:300]}")
    if _written(session) != (0, 0):
        raise BenchError(f"the preview of {name} wrote {_written(session)}")
    fields = form_fields(html, "import/confirm/")
    status, where, confirm = web.request("POST", page + "confirm/", fields)
    if status != 302 or "/review/" not in where:
        raise BenchError(f"the web confirm of {name} answered {status}: {where[:300]}")
    if _written(session)[1] != 1:
        raise BenchError(f"the web import of {name} made no batch")
    return preview + confirm, preview


# --- import-stickies-100k ---------------------------------------------------------------------


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


def _peak_mib(world: World, data: bytes, name: str) -> float:
    session = world.take()
    tracemalloc.start()
    try:
        _import(world, session, data, name, scenario_id=world.scenario_of[session.pk])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / (1024 * 1024)


def stickies(args: argparse.Namespace, world: World, var_dir: Path, measured_on: str) -> Row:
    from django.conf import settings

    from bench.run import BenchError, Row

    rows = int(getattr(args, "import_rows", ROWS))
    small = min(SMALL_ROWS, rows)
    db_path = str(settings.DATABASES["default"]["NAME"])
    ours: list[float] = []
    raws: list[float] = []
    inserted: list[tuple[Any, ...]] = []
    columns: list[str] = []
    for n in range(STICKY_ROUNDS):
        data = stickies_csv(rows, world.authors, seed=7 + n)
        session = world.take()
        print(f"  round {n + 1}: importing {rows:,} sticky notes ({len(data) / 1e6:.1f} MB) …")
        started = time.perf_counter()
        result = _import(
            world, session, data, f"wall-{n}.csv", scenario_id=world.scenario_of[session.pk]
        )
        ours.append(time.perf_counter() - started)
        if result.accepted != rows:
            raise BenchError(f"expected {rows} rows on the map, got {result.accepted}")
        if not inserted:
            columns, inserted = _rows_of(result.batch.pk)
        print(f"  round {n + 1}: raw sqlite3 executemany of the same rows …", flush=True)
        with tempfile.TemporaryDirectory(dir=var_dir) as tmp:
            raws.append(raw_insert(db_path, inserted, columns, Path(tmp)))
    del inserted
    print("  peak memory at 10k and 100k rows (tracemalloc) …", flush=True)
    peak_small = _peak_mib(world, stickies_csv(small, world.authors, 8), "small.csv")
    peak_big = _peak_mib(world, stickies_csv(rows, world.authors, 9), "big.csv")
    ours_rate, raw_rate = rows / statistics.median(ours), rows / statistics.median(raws)
    return Row(
        benchmark=f"import-stickies-{rows // 1000}k",
        figure=(
            f"{ours_rate:,.0f} rows/s ({_spread(ours)}); peak memory {peak_small:.1f} MiB at "
            f"{small // 1000}k rows, {peak_big:.1f} MiB at {rows // 1000}k"
        ),
        baseline=f"{raw_rate:,.0f} rows/s ({_spread(raws)}), raw sqlite3 executemany",
        ratio=f"{ours_rate / raw_rate:.2f}",
        goal="≥ 0.5",
        measured_on=measured_on,
    )


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s, {min(values):.3f}–{max(values):.3f}"


# --- import-vtt-1mb ---------------------------------------------------------------------------


def _taguette_round(
    tg: Browser,
    path: str,
    n: int,
    files: dict[str, bytes],
    theirs: list[float],
    refusals: set[str],
) -> None:
    seconds, answer = taguette_upload(tg, path, f"zoom-{n}.vtt", files["Zoom"])
    if not answer.startswith("200"):
        raise RuntimeError(f"Taguette refused the Zoom file: {answer}")
    theirs.append(seconds)
    _, answer = taguette_upload(tg, path, f"teams-{n}.vtt", files["Teams"])
    refusals.add(answer)


def _traction_round(
    api: Browser,
    web: Browser,
    world: World,
    n: int,
    files: dict[str, bytes],
    ours: dict[str, list[float]],
) -> None:
    for tool, data in files.items():
        name = f"{tool.lower()}-{n}.vtt"
        ours.setdefault(f"{tool} single", []).append(single_call(api, world, name, data))
        ours.setdefault(f"{tool} api flow", []).append(api_flow(api, world, name, data))
        both, preview = web_flow(web, world, name, data)
        ours.setdefault(f"{tool} web flow", []).append(both)
        ours.setdefault(f"{tool} preview", []).append(preview)


def transcripts(
    args: argparse.Namespace, world: World, var_dir: Path, measured_on: str
) -> list[Row]:
    from bench.run import Row, free_port, server

    rounds = int(getattr(args, "import_rounds", VTT_ROUNDS))
    port, tg_port = free_port(), free_port()
    ours: dict[str, list[float]] = {}
    theirs: list[float] = []
    refusals: set[str] = set()
    sizes: dict[str, int] = {}
    with server(var_dir, port, 1), taguette(var_dir, tg_port) as (tg, upload_path):
        api = Browser(port, {"Authorization": f"Bearer {world.token}"})
        web = _signed_in(world, port)
        # Warm both up (first requests load code) with a small file each, not measured.
        small = zoom_vtt(999, cues=20, size=6_000)
        taguette_upload(tg, upload_path, "warm-up.vtt", small)
        single_call(api, world, "warm-up.vtt", small)
        for n in range(rounds):
            files = {"Zoom": zoom_vtt(n), "Teams": teams_vtt(n)}
            sizes.update({k: len(v) for k, v in files.items()})

            for side in ("taguette", "traction") if n % 2 == 0 else ("traction", "taguette"):
                if side == "taguette":
                    _taguette_round(tg, upload_path, n, files, theirs, refusals)
                else:
                    _traction_round(api, web, world, n, files, ours)
            print(
                f"  round {n + 1}/{rounds}: Taguette {theirs[-1]:.3f} s; Traction Zoom "
                f"{ours['Zoom single'][-1]:.3f} / {ours['Zoom api flow'][-1]:.3f} / "
                f"{ours['Zoom web flow'][-1]:.3f} s, Teams {ours['Teams single'][-1]:.3f} s",
                flush=True,
            )
    baseline = statistics.median(theirs)
    refused = all(r.startswith("400") for r in refusals)
    found: list[Row] = []
    for tool in ("Zoom", "Teams"):
        mb = sizes[tool] / 1e6
        if tool == "Zoom":
            versus = f"Taguette 1.5.2 upload: {_spread(theirs)}"
        else:
            refusal = "; ".join(sorted(refusals)) if refused else "accepted (!)"
            versus = (
                f"Taguette 1.5.2 refuses Teams files ({refusal}); its upload of the "
                f"same-size Zoom file: {_spread(theirs)}"
            )
        for key, what, goal in (
            ("single", "the single API call (unmatched=keep)", 0.5),
            ("api flow", "API: 422 listing the unknown name, then unmatched=keep", 0.8),
            ("web flow", "web: upload (preview) then confirm", 0.8),
        ):
            figure = f"{_spread(ours[f'{tool} {key}'])}; {what}; {mb:.2f} MB, {VTT_CUES:,} cues"
            if key == "web flow":
                figure += (
                    f" (the preview alone: {_spread(ours[f'{tool} preview'])}; writes nothing)"
                )
            found.append(
                Row(
                    benchmark=f"import-vtt-1mb ({tool}, {key})",
                    figure=figure,
                    baseline=versus,
                    ratio=f"{statistics.median(ours[f'{tool} {key}']) / baseline:.2f}",
                    goal=f"≤ {goal} × Taguette",
                    measured_on=measured_on,
                )
            )
    return found


def run(args: argparse.Namespace, var_dir: Path) -> list[Row]:
    from bench.run import cpu_model

    rounds = int(getattr(args, "import_rounds", VTT_ROUNDS))
    world = _seed(sessions=2 * STICKY_ROUNDS + 2 + 1 + 6 * rounds + 1)
    world.sessions.reverse()  # taken in order of creation
    measured_on = (
        f"{cpu_model()}, {__import__('os').cpu_count()} cores, {time.strftime('%Y-%m-%d')}"
    )
    print("import-stickies: ours and raw executemany, alternated …", flush=True)
    rows = [stickies(args, world, var_dir, measured_on)]
    print("import-vtt-1mb: Traction and Taguette 1.5.2 over HTTP, alternated …", flush=True)
    rows += transcripts(args, world, var_dir, measured_on)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description="Import benchmarks (see bench/imports.py).")
    parser.add_argument("--import-rows", type=int, default=ROWS)
    parser.add_argument("--import-rounds", type=int, default=VTT_ROUNDS)
    parser.add_argument("--only", choices=["stickies", "vtt"])
    args = parser.parse_args()
    from bench.run import cpu_model, prepare_django, table

    var_dir = Path(tempfile.mkdtemp(prefix="traction-bench-imports."))
    try:
        prepare_django(var_dir)
        if args.only is None:
            rows = run(args, var_dir)
        else:
            world = _seed(sessions=2 * STICKY_ROUNDS + 2 + 1 + 6 * args.import_rounds + 1)
            world.sessions.reverse()
            on = f"{cpu_model()}, {time.strftime('%Y-%m-%d')}"
            rows = (
                [stickies(args, world, var_dir, on)]
                if args.only == "stickies"
                else transcripts(args, world, var_dir, on)
            )
        print(table(rows))
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
