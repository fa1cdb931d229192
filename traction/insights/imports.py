"""Import transcripts and sticky-note exports into a session (DESIGN.md §3, step 3).

What a facilitator can count on:

- **All or nothing per file.** The whole file is read and written inside one transaction; a
  bad line refuses the file with its line number and the reason, and nothing is written.
- **Idempotent.** A file is known by the SHA-256 of its bytes; importing the same file into
  the same session again adds nothing and says so (``ImportResult.created`` is False).
- **Nobody silently dropped.** Speaker names are matched to the session's participants
  (``speakers.match``: also "Last, First"); a name that matches nobody must be mapped by the
  user (to a participant, to a new contact of a customer, or kept as written, unattributed),
  otherwise the import is refused with the list of such names. Unknown step names likewise.
- **Where rows land.** Transcript utterances become *candidates* of kind "quote" in the
  review queue (``accept=True`` accepts them at once). A sticky note is what the team wrote
  on the wall: when its row names a type we recognise (``parsers.kind_from``) and, for the
  journey-grid types, a step of the chosen scenario, it goes onto the map as accepted;
  otherwise it waits in the review queue as a candidate (kind "idea" when no type is known).

Rows go in through plain INSERTs on the database cursor (``executemany`` in chunks), not the
ORM: an import of 100,000 sticky notes must run at raw-SQL speed, and triggers on the insight
table (the full-text index) must see every row. One audit event records the whole import.
"""

from __future__ import annotations

import hashlib
import io
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO, Literal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from traction.core import audit, permissions
from traction.core.errors import NotFound, ValidationFailed
from traction.core.permissions import Viewer
from traction.sessions.models import Session

from . import parsers, selectors, services
from . import speakers as speaker_names
from .models import (
    GRID_KINDS,
    ImportBatch,
    Insight,
    InsightKind,
    InsightSource,
    InsightStatus,
    Scenario,
    Step,
)

CHUNK_ROWS = 2000  # rows per executemany: big enough to be fast, small enough to stay flat
SAMPLE_ROWS = 8  # rows shown on the preview
MAX_TEXT = 5000  # the longest insight text (as in live capture)
UNATTRIBUTED = "-"  # speaker mapping: keep the name as written, credit nobody
NEW_CONTACT = "new:"  # speaker mapping prefix: "new:<customer id>" creates a contact there

Progress = Callable[[int, int], None]  # (bytes read so far, total bytes)
Unmatched = Literal["ask", "keep"]
UnknownSteps = Literal["ask", "create", "ignore"]


@dataclass(frozen=True)
class ImportOptions:
    """The choices the user confirmed on the preview (or gave the CLI / API).

    ``columns`` maps each CSV field (``parsers.CSV_FIELDS``) to a 0-based column, replacing
    the guessed mapping; ``speakers`` maps names as written in the file to "c:<contact id>",
    "u:<user id>", "new:<customer id>" or "-" (unattributed). ``unmatched``: what to do with
    names matching nobody and not in ``speakers`` ("ask" refuses, listing them; "keep" keeps
    the name unattributed). ``unknown_steps``: step names matching no step of the scenario
    ("ask" refuses, listing them; "create" adds them as steps in order of first appearance;
    "ignore" leaves those rows without a step).
    """

    scenario_id: int | None = None
    columns: Mapping[str, int | None] | None = None
    speakers: Mapping[str, str] = field(default_factory=dict)
    unmatched: Unmatched = "ask"
    unknown_steps: UnknownSteps = "ask"
    accept: bool = False
    format: str | None = None  # forced format; default: detected from name and content


@dataclass(frozen=True)
class Record:
    """One row to import, whatever the file format."""

    line: int
    speaker: str
    text: str
    start_ms: int | None = None
    kind: str = ""  # the raw type cell of a sticky note
    step: str = ""
    tags: tuple[str, ...] = ()


@dataclass
class SpeakerFound:
    name: str  # as written in the file
    rows: int
    first_line: int
    match: selectors.Speaker | None


@dataclass
class Preview:
    """What an import would do, read from the file without writing anything."""

    filename: str
    format: str
    sha256: str
    size: int
    rows: int
    sample: list[dict[str, Any]]
    speakers: list[SpeakerFound]
    unknown_steps: list[str]
    layout: parsers.CsvLayout | None
    scenario: Scenario | None
    already: ImportBatch | None

    @property
    def format_label(self) -> str:
        return parsers.FORMATS[self.format]

    @property
    def unmatched(self) -> list[SpeakerFound]:
        return [s for s in self.speakers if s.match is None]


@dataclass(frozen=True)
class ImportResult:
    batch: ImportBatch
    created: bool  # False: this file was imported into this session before; nothing added
    candidates: int = 0
    accepted: int = 0
    new_contacts: tuple[str, ...] = ()
    new_steps: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        name = self.batch.filename
        if not self.created:
            when = timezone.localtime(self.batch.created_at).strftime("%Y-%m-%d %H:%M")
            return (
                f"{name} was already imported into this session ({when}, "
                f"{self.batch.rows} rows); nothing was added."
            )
        parts = []
        if self.accepted:
            parts.append(f"{self.accepted} onto the map")
        if self.candidates or not self.accepted:
            parts.append(f"{self.candidates} candidate{'s' if self.candidates != 1 else ''}")
        return f"Imported {' and '.join(parts)} from {name}."


# --- reading ----------------------------------------------------------------------------------


class _Counting(io.RawIOBase):
    """A readable view of a stream that reports the bytes read so far (for progress bars)."""

    def __init__(self, raw: IO[bytes], total: int, progress: Progress | None) -> None:
        self._raw = raw
        self._total = total
        self._progress = progress
        self.done = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        position = self._raw.seek(offset, whence)
        self.done = position
        return position

    def tell(self) -> int:
        return self._raw.tell()

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self.done += len(data)
        if self._progress is not None:
            self._progress(min(self.done, self._total), self._total)
        return len(data)


def _fingerprint(stream: IO[bytes]) -> tuple[str, int]:
    """SHA-256 and size of the whole stream; refuses files over ``parsers.MAX_BYTES``."""
    digest = hashlib.sha256()
    size = 0
    stream.seek(0)
    while block := stream.read(1024 * 1024):
        size += len(block)
        if size > parsers.MAX_BYTES:
            raise ValidationFailed.field(
                "file",
                f"The file is larger than {parsers.MAX_BYTES // (1024 * 1024)} MB; "
                "split it into smaller files and import each.",
            )
        digest.update(block)
    stream.seek(0)
    if size == 0:
        raise ValidationFailed.field("file", "The file is empty.")
    return digest.hexdigest(), size


def _refuse(exc: parsers.ParseError) -> ValidationFailed:
    return ValidationFailed.field("file", str(exc))


def _detect(stream: IO[bytes], filename: str, forced: str | None) -> str:
    if forced:
        if forced not in parsers.FORMATS:
            raise ValidationFailed.field(
                "format", f"Pick one of: {', '.join(parsers.FORMATS)} (not “{forced}”)."
            )
        return forced
    head = stream.read(64 * 1024)
    stream.seek(0)
    try:
        return parsers.detect_format(filename, head)
    except parsers.ParseError as exc:
        raise _refuse(exc) from None


def _layout(stream: BinaryIO, columns: Mapping[str, int | None] | None) -> parsers.CsvLayout:
    try:
        layout = parsers.sniff_csv(stream)
    except parsers.ParseError as exc:
        raise _refuse(exc) from None
    if columns is None:
        return layout
    unknown = sorted(set(columns) - set(parsers.CSV_FIELDS))
    if unknown:
        raise ValidationFailed.field(
            "columns",
            f"Unknown field(s) {', '.join(unknown)}; map {', '.join(parsers.CSV_FIELDS)}.",
        )
    mapping = {**layout.mapping, **columns}
    if mapping.get("text") is None:
        raise ValidationFailed.field("columns", "Choose the column that holds the note text.")
    for name, index in mapping.items():
        if index is not None and not 0 <= index < len(layout.headers):
            raise ValidationFailed.field(
                "columns",
                f"The column chosen for “{name}” ({index + 1}) is not in the file, which has "
                f"{len(layout.headers)} columns.",
            )
    return parsers.CsvLayout(layout.delimiter, layout.headers, mapping)


def _records(stream: BinaryIO, fmt: str, layout: parsers.CsvLayout | None) -> Iterator[Record]:
    """Every row of the file as a Record, streamed; ParseError on the first bad line."""
    if fmt == "csv":
        assert layout is not None
        for row in parsers.iter_csv(stream, layout):
            if len(row.text) > MAX_TEXT:
                raise parsers.ParseError(
                    f"This note is longer than {MAX_TEXT:,} characters; shorten or split it.",
                    row.line,
                )
            yield Record(row.line, row.author, row.text, None, row.kind, row.step, row.tags)
    else:
        for cue in parsers.utterances(parsers.iter_cues(stream, fmt)):
            yield Record(cue.line, cue.speaker, cue.text[:MAX_TEXT], cue.start_ms)


def _tags(record: Record) -> str:
    if not record.tags:
        return ""
    try:
        tags = services.normalize_tags(record.tags)
    except ValidationFailed:
        raise parsers.ParseError(
            f"This note has more than {services.MAX_TAGS} tags; keep at most {services.MAX_TAGS}.",
            record.line,
        ) from None
    return tags if len(tags) <= 300 else tags[:300].rsplit(" ", 1)[0]


def _step_key(title: str) -> str:
    return " ".join(title.casefold().split())


def _scenario(session: Session, scenario_id: int | None) -> Scenario | None:
    if scenario_id is None:
        return None
    found = Scenario.objects.filter(session=session, pk=scenario_id).first()
    if found is None:
        raise ValidationFailed.field("scenario", "Pick one of this session's scenarios.")
    return found


def _placement(fmt: str, kind_cell: str, has_step: bool) -> tuple[str, bool]:
    """(kind, goes onto the map right away) for a row, before ``accept``."""
    if fmt != "csv":
        return InsightKind.QUOTE, False
    kind = parsers.kind_from(kind_cell) if kind_cell else None
    if kind is None:
        return InsightKind.IDEA, False
    return kind, has_step or kind not in GRID_KINDS


# --- preview ----------------------------------------------------------------------------------


def preview_import(
    actor: Viewer,
    *,
    session: Session,
    stream: BinaryIO,
    filename: str,
    options: ImportOptions | None = None,
) -> Preview:
    """Read the whole file and say what importing it would do; writes nothing.

    Refuses a bad file (``ValidationFailed`` on "file", with the line number) exactly as the
    import would.
    """
    permissions.check(actor, "insight.import", session)
    options = options or ImportOptions()
    sha256, size = _fingerprint(stream)
    fmt = _detect(stream, filename, options.format)
    layout = _layout(stream, options.columns) if fmt == "csv" else None
    scenario = _scenario(session, options.scenario_id)
    steps = {_step_key(s.title): s for s in scenario.steps.all()} if scenario else {}
    people = [(p, p.name) for p in selectors.speakers(session)]
    found: dict[str, SpeakerFound] = {}
    unknown: dict[str, None] = {}
    sample: list[dict[str, Any]] = []
    rows = 0
    try:
        for record in _records(stream, fmt, layout):
            rows += 1
            _tags(record)
            if record.speaker:
                if record.speaker in found:
                    found[record.speaker].rows += 1
                else:
                    found[record.speaker] = SpeakerFound(
                        record.speaker, 1, record.line, speaker_names.match(record.speaker, people)
                    )
            step = steps.get(_step_key(record.step)) if record.step else None
            if record.step and step is None:
                unknown.setdefault(record.step.strip(), None)
            if len(sample) < SAMPLE_ROWS:
                kind, placed = _placement(fmt, record.kind, step is not None)
                sample.append(
                    {
                        "line": record.line,
                        "speaker": record.speaker,
                        "text": record.text,
                        "kind": InsightKind(kind).label,
                        "step": record.step,
                        "tags": " ".join(record.tags),
                        "at": _clock(record.start_ms),
                        "onto_map": placed or options.accept,
                    }
                )
    except parsers.ParseError as exc:
        raise _refuse(exc) from None
    if rows == 0:
        raise ValidationFailed.field("file", "The file holds no notes or cues to import.")
    return Preview(
        filename=filename,
        format=fmt,
        sha256=sha256,
        size=size,
        rows=rows,
        sample=sample,
        speakers=sorted(found.values(), key=lambda s: s.first_line),
        unknown_steps=list(unknown),
        layout=layout,
        scenario=scenario,
        already=ImportBatch.objects.filter(session=session, sha256=sha256).first(),
    )


def _clock(ms: int | None) -> str:
    if ms is None:
        return ""
    seconds = ms // 1000
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


# --- the import -------------------------------------------------------------------------------


# (contact id, user id, customer id, internal, the speaker's name to show)
Who = tuple[int | None, int | None, int | None, bool, str]


class _Attributions:
    """Who each name written in the file is, decided once per distinct name."""

    def __init__(self, actor: Viewer, session: Session, options: ImportOptions) -> None:
        self.actor = actor
        self.session = session
        self.mapping = dict(options.speakers)
        self.keep_unmatched = options.unmatched == "keep"
        self.people = selectors.speakers(session)
        self.by_key = {p.key: p for p in self.people}
        self.pairs = [(p, p.name) for p in self.people]
        self.cache: dict[str, Who] = {}
        self.unmatched: dict[str, int] = {}  # name -> first line
        self.new_contacts: list[str] = []
        self._check_mapping()

    def _check_mapping(self) -> None:
        for name, key in self.mapping.items():
            if key == UNATTRIBUTED or key in self.by_key:
                continue
            if key.startswith(NEW_CONTACT) and key[len(NEW_CONTACT) :].isdigit():
                continue
            raise ValidationFailed.field(
                "speakers",
                f"“{name}” is mapped to “{key}”: use a participant (c:<contact id>, "
                "u:<user id>), new:<customer id> for a new contact, or - to keep the name "
                "unattributed.",
            )

    def __call__(self, name: str, line: int) -> Who:
        """(contact id, user id, customer id, internal, name to show) for a name as written:
        the credited person's own name when matched, else the name as written."""
        if name in self.cache:
            return self.cache[name]
        key = self.mapping.get(name)
        person = self.by_key.get(key) if key else None
        if key is None:
            person = speaker_names.match(name, self.pairs) if name else None
        who: Who = (None, None, None, False, name)
        if person is not None:
            who = (
                person.contact_id,
                person.user_id,
                person.customer_id,
                person.internal,
                person.name,
            )
        elif key and key.startswith(NEW_CONTACT):
            who = self._new_contact(name, int(key[len(NEW_CONTACT) :]))
        elif name and key is None and not self.keep_unmatched:
            self.unmatched.setdefault(name, line)
        self.cache[name] = who
        return who

    def _new_contact(self, name: str, customer_id: int) -> Who:
        from traction.customers import selectors as customer_selectors
        from traction.customers import services as customer_services

        from .speakers import normalize

        try:
            customer = customer_selectors.customer(self.actor, customer_id)
        except NotFound:  # say which name pointed there
            raise ValidationFailed.field(
                "speakers", f"“{name}”: no customer with the id {customer_id} here."
            ) from None
        written = " ".join(name.split())
        if written.count(",") == 1:  # "Last, First" as people write it: "First Last"
            last, first = written.split(",")
            written = f"{first.strip()} {last.strip()}"
        # The transcript gives no address: a reserved, undeliverable placeholder (RFC 2606)
        # marks the contact as "email unknown"; nobody is invited without consent anyway.
        local = normalize(name).replace(" ", ".") or "contact"
        taken = set(customer.contacts.values_list("email", flat=True))
        email = next(
            e
            for n in itertools.count(1)
            if (e := f"{local}{'' if n == 1 else n}@unknown.invalid") not in taken
        )
        contact = customer_services.add_contact(
            self.actor, customer=customer, name=written[:150], email=email
        )
        self.new_contacts.append(contact.name)
        return contact.pk, None, customer.pk, False, contact.name


class _Steps:
    """The step a row names, within the chosen scenario; unknown names created or listed."""

    def __init__(
        self, actor: Viewer, session: Session, scenario: Scenario | None, mode: UnknownSteps
    ) -> None:
        self.actor = actor
        self.session = session
        self.scenario = scenario
        self.mode = mode
        self.known: dict[str, int | None] = (
            {_step_key(s.title): s.pk for s in scenario.steps.all()} if scenario else {}
        )
        self.unknown: dict[str, int] = {}  # title -> first line
        self.created: list[str] = []

    def __call__(self, title: str, line: int) -> int | None:
        if not title:
            return None
        key = _step_key(title)
        if key in self.known:
            return self.known[key]
        if self.mode == "create" and self.scenario is not None:
            step = services.add_step(self.actor, scenario=self.scenario, title=title[:160])
            self.created.append(step.title)
            self.known[key] = step.pk
            return step.pk
        if self.mode != "ignore":
            self.unknown.setdefault(title, line)
        self.known[key] = None  # decided once per name
        return None


def _columns() -> list[str]:
    return [f.column for f in Insight._meta.concrete_fields if not f.primary_key]


def _insert_sql() -> str:
    quote = connection.ops.quote_name
    names = _columns()
    # Identifiers come from the model's own metadata, quoted; values travel as parameters.
    table = quote(Insight._meta.db_table)
    columns = ", ".join(quote(n) for n in names)
    marks = ", ".join(["%s"] * len(names))
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608


def _insert_chunk(cursor: Any, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """One chunk of plain INSERTs (triggers on the insight table see every row)."""
    cursor.executemany(sql, rows)


def import_file(
    actor: Viewer,
    *,
    session: Session,
    stream: BinaryIO,
    filename: str,
    options: ImportOptions | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import one file into the session's map and review queue, all or nothing.

    The same file (by SHA-256) imported again adds nothing (``created`` False). A bad line,
    an unmatched speaker or unknown step left undecided (``options``), or a refused mapping
    raises ``ValidationFailed`` and writes nothing. ``progress`` is called with the bytes
    read so far and the file's size.
    """
    permissions.check(actor, "insight.import", session)
    options = options or ImportOptions()
    sha256, size = _fingerprint(stream)
    existing = ImportBatch.objects.filter(session=session, sha256=sha256).first()
    if existing is not None:
        return ImportResult(batch=existing, created=False)
    fmt = _detect(stream, filename, options.format)
    layout = _layout(stream, options.columns) if fmt == "csv" else None
    try:
        return _import(
            actor, session, stream, filename, options, progress, fmt, layout, sha256, size
        )
    except IntegrityError:
        # Someone imported the same file at the same moment: theirs won, ours added nothing.
        existing = ImportBatch.objects.filter(session=session, sha256=sha256).first()
        if existing is None:
            raise
        return ImportResult(batch=existing, created=False)


@transaction.atomic
def _import(
    actor: Viewer,
    session: Session,
    stream: BinaryIO,
    filename: str,
    options: ImportOptions,
    progress: Progress | None,
    fmt: str,
    layout: parsers.CsvLayout | None,
    sha256: str,
    size: int,
) -> ImportResult:
    scenario = _scenario(session, options.scenario_id)
    who = _Attributions(actor, session, options)
    step_of = _Steps(actor, session, scenario, options.unknown_steps)
    mapping: dict[str, Any] = {
        "speakers": dict(options.speakers),
        "unmatched": options.unmatched,
        "scenario": scenario.pk if scenario else None,
        "unknown_steps": options.unknown_steps,
        "accept": options.accept,
    }
    if layout is not None:
        mapping["delimiter"] = layout.delimiter
        mapping["columns"] = {
            k: (layout.headers[v] if v is not None else None) for k, v in layout.mapping.items()
        }
    batch = ImportBatch.objects.create(
        workspace_id=session.workspace_id,
        session=session,
        format=fmt,
        filename=filename[:255],
        sha256=sha256,
        size=size,
        mapping=mapping,
        created_by_id=actor.user_id,
    )
    # Every column of the insight table, in table order; what a row does not set is the
    # field's default, computed once.
    fields = [f for f in Insight._meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    fixed = {
        **defaults,
        "workspace_id": session.workspace_id,
        "program_id": session.program_id,
        "session_id": session.pk,
        "source": InsightSource.IMPORT,
        "batch_id": batch.pk,
        "captured_by_id": actor.user_id,
        "created_at": now,
        "version": 1,
        "merged_into_id": None,
    }
    attnames = [f.attname for f in fields]
    at = {name: n for n, name in enumerate(attnames)}
    template = [fixed.get(name) for name in attnames]
    i_scenario, i_step, i_kind, i_text = (at[n] for n in ("scenario_id", "step_id", "kind", "text"))
    i_contact, i_user, i_name, i_customer = (
        at[n] for n in ("speaker_contact_id", "speaker_user_id", "speaker_name", "customer_id")
    )
    i_internal, i_tags, i_status, i_line, i_ms = (
        at[n] for n in ("internal", "tags", "status", "source_line", "spoken_at_ms")
    )
    scenario_of_step: dict[int, int] = dict(
        Step.objects.filter(scenario__session=session).values_list("pk", "scenario_id")
    )
    counting = io.BufferedReader(_Counting(stream, size, progress), buffer_size=256 * 1024)
    sql = _insert_sql()
    accepted = candidates = 0
    chunk: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        try:
            for record in _records(counting, fmt, layout):
                contact_id, user_id, customer_id, internal, shown = who(record.speaker, record.line)
                step_id = step_of(record.step, record.line) if record.step else None
                kind, placed = _placement(fmt, record.kind, step_id is not None)
                if placed or options.accept:
                    status = InsightStatus.ACCEPTED
                    accepted += 1
                else:
                    status = InsightStatus.CANDIDATE
                    candidates += 1
                row = template.copy()
                if step_id is not None:
                    if step_id not in scenario_of_step:  # created during this import
                        scenario_of_step[step_id] = scenario.pk if scenario else 0
                    row[i_step] = step_id
                    row[i_scenario] = scenario_of_step[step_id]
                elif scenario is not None:
                    row[i_scenario] = scenario.pk
                row[i_kind] = kind
                row[i_text] = record.text
                row[i_contact] = contact_id
                row[i_user] = user_id
                row[i_name] = shown[:160]
                row[i_customer] = customer_id
                row[i_internal] = internal
                row[i_tags] = _tags(record)
                row[i_status] = status
                row[i_line] = record.line
                row[i_ms] = record.start_ms
                chunk.append(tuple(row))
                if len(chunk) >= CHUNK_ROWS:
                    _insert_chunk(cursor, sql, chunk)
                    chunk = []
        except parsers.ParseError as exc:
            raise _refuse(exc) from None
        if chunk:
            _insert_chunk(cursor, sql, chunk)
    rows = accepted + candidates
    _refuse_undecided(who, step_of, rows)
    batch.rows = rows
    batch.save(update_fields=["rows"])
    audit.record(
        actor,
        action="insights.imported",
        obj=batch,
        changes={
            "filename": batch.filename,
            "format": fmt,
            "rows": rows,
            "sha256": sha256,
            "accepted": accepted,
            "candidates": candidates,
            "new_contacts": who.new_contacts,
            "new_steps": step_of.created,
        },
    )
    return ImportResult(
        batch=batch,
        created=True,
        candidates=candidates,
        accepted=accepted,
        new_contacts=tuple(who.new_contacts),
        new_steps=tuple(step_of.created),
    )


def _refuse_undecided(who: _Attributions, step_of: _Steps, rows: int) -> None:
    errors: dict[str, list[str]] = {}
    if rows == 0:
        errors["file"] = ["The file holds no notes or cues to import."]
    if who.unmatched:
        names = "; ".join(f"“{n}” (line {line})" for n, line in who.unmatched.items())
        errors["speakers"] = [
            f"These names match nobody taking part in the session: {names}. Map each to a "
            "participant or a new contact, or keep them unattributed."
        ]
    if step_of.unknown:
        titles = "; ".join(f"“{t}” (line {line})" for t, line in step_of.unknown.items())
        where = (
            f"the scenario “{step_of.scenario.title}”"
            if step_of.scenario
            else "any scenario (pick the scenario the notes belong to)"
        )
        errors["steps"] = [
            f"These steps are not in {where}: {titles}. Create them as new steps, "
            "or import those rows without a step."
        ]
    if errors:
        raise ValidationFailed(errors)


def new_contact_customers(actor: Viewer) -> list[Any]:
    """The customers the actor may add a contact to (for "new contact of …" choices)."""
    from traction.customers.models import Customer

    if not permissions.allows(actor, "contact.change"):
        return []
    return list(permissions.scope(actor, "customer.change", Customer.objects.order_by("name")))
