"""Recording deliveries (docs/loop.md, "Deliveries"): by hand, by CSV (all or nothing, every
bad row named by its line; re-importing finds a delivery by its external id, else by its
link and date, else by its title and date, and duplicates nothing) and through the API. A
delivery is linked to the customer priorities it touches; linking one re-checks their
statuses (a delivered status may rest on it). Deliveries notify nobody (there are no
notifications yet; a past date never will by itself). A delivery is recorded once it
happened: a date after the workspace's today is refused."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from traction.accounts.models import Workspace
from traction.core import audit, clock, permissions
from traction.core.errors import ValidationFailed
from traction.core.permissions import Viewer
from traction.core.text import check_length
from traction.loop import deliveries_csv, selectors
from traction.loop.models import Delivery, DeliveryPriority, DeliverySource
from traction.programs.models import Program

TITLE_MAX = 200  # the columns' widths
LINK_MAX = 500
EXTERNAL_ID_MAX = 120
DESCRIPTION_MAX = 5_000  # a delivery's description: long free text
PRIORITIES_MAX = 200  # customer priorities one delivery links
_IDS_A_QUERY = 500  # ids looked up per query: under every database's limit on parameters
_UNKNOWN_SHOWN = 10  # unknown ids named in a refusal; the rest are counted


@dataclass(frozen=True)
class Entry:
    on: date
    title: str
    description: str = ""
    link: str = ""
    external_id: str = ""
    priorities: tuple[int, ...] = ()
    line: int = 0
    place: str = "Line"  # what ``line`` is: "Row" of a workbook's sheet


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    linked: int = 0
    deliveries: list[Delivery] | None = None


def _check(entry: Entry, today: date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if entry.on > today:
        # A delivery backs "Delivered" statuses and "we delivered" updates: it has happened.
        errors["on"] = [
            f"A delivery is recorded once it happened: the date cannot be after today "
            f"({today.day} {today:%B %Y})."
        ]
    if not entry.title.strip():
        errors["title"] = ["Give the delivery a title."]
    else:
        check_length(errors, "title", entry.title, TITLE_MAX)
    check_length(errors, "link", entry.link, LINK_MAX)
    if entry.link and "link" not in errors:
        try:
            URLValidator(schemes=["http", "https"])(entry.link)
        except ValidationError:
            errors["link"] = ["Enter a web address (http or https)."]
    check_length(errors, "description", entry.description.strip(), DESCRIPTION_MAX)
    check_length(errors, "external_id", entry.external_id, EXTERNAL_ID_MAX)
    check_length(errors, "priorities", entry.priorities, PRIORITIES_MAX)
    return errors


def _visible(actor: Viewer, program: Program, ids: set[int]) -> set[int]:
    """Which of ``ids`` are priorities of ``program`` the actor sees; never every priority of
    the program, and a few hundred ids a query (a file of thousands of rows names many)."""
    found: set[int] = set()
    wanted = sorted(ids)
    for start in range(0, len(wanted), _IDS_A_QUERY):
        chunk = wanted[start : start + _IDS_A_QUERY]
        found.update(
            selectors.visible_priorities(actor, program)
            .filter(pk__in=chunk)
            .values_list("pk", flat=True)
        )
    return found


def _find(actor: Viewer, entry: Entry) -> Delivery | None:
    found = Delivery.objects.select_for_update().filter(workspace_id=actor.workspace_id)
    if entry.external_id:
        return found.filter(external_id=entry.external_id).first()
    if entry.link:
        return found.filter(link=entry.link, on=entry.on, archived_at__isnull=True).first()
    # Neither: the same title on the same day, recorded without a link or an id, is the same.
    return found.filter(
        title=entry.title.strip(), on=entry.on, link="", external_id="", archived_at__isnull=True
    ).first()


def record(actor: Viewer, program: Program, entries: Iterable[Entry], *, source: str) -> Outcome:
    """Record deliveries of ``program`` (all or nothing): each new one created, one found
    again (external id, else link + date) updated; links added, never removed here."""
    permissions.check(actor, "loop.deliver", program)
    items = list(entries)
    # Of the ids the entries name only (an entry over the cap is refused for that).
    named = {
        i for entry in items if len(entry.priorities) <= PRIORITIES_MAX for i in entry.priorities
    }
    visible = _visible(actor, program, named)
    problems: list[tuple[int, str, str]] = []
    today = clock.today(Workspace.objects.get(pk=program.workspace_id).time_zone)
    for n, entry in enumerate(items, start=1):
        where = entry.line or n
        for name, messages in _check(entry, today).items():
            problems.extend((where, name, m) for m in messages)
        if len(entry.priorities) > PRIORITIES_MAX:
            continue  # refused by ``_check`` above
        unknown = [i for i in entry.priorities if i not in visible]
        if unknown:
            shown = ", ".join(str(i) for i in unknown[:_UNKNOWN_SHOWN])
            more = len(unknown) - _UNKNOWN_SHOWN
            problems.append(
                (
                    where,
                    "priorities",
                    f"No customer priority of this program with the id {shown}"
                    + (f" and {more:,} more." if more > 0 else "."),
                )
            )
    if problems:
        if len(items) == 1 and not items[0].line:
            errors: dict[str, list[str]] = {}
            for _, name, message in problems:
                errors.setdefault(name, []).append(message)
            raise ValidationFailed(errors)
        place = items[0].place if items else "Line"
        raise ValidationFailed({"file": [f"{place} {w}: {m}" for w, _, m in problems]})
    outcome = Outcome()
    made: list[Delivery] = []
    outcome.deliveries = made
    touched: set[int] = set()
    with transaction.atomic():
        for entry in items:
            found = _find(actor, entry)
            if found is None:
                found = Delivery.objects.create(
                    workspace_id=actor.workspace_id,
                    program=program,
                    on=entry.on,
                    title=entry.title.strip(),
                    description=entry.description.strip(),
                    link=entry.link,
                    external_id=entry.external_id,
                    source=source,
                    recorded_by_id=actor.user_id,
                )
                audit.record(
                    actor,
                    action="loop.delivery_recorded",
                    obj=found,
                    changes={"title": found.title, "on": found.on.isoformat()},
                )
                outcome.created += 1
            else:
                before = audit.snapshot(found, ["on", "title", "description", "link"])
                found.on, found.title = entry.on, entry.title.strip()
                found.description, found.link = entry.description.strip(), entry.link
                delta = audit.diff(
                    before, audit.snapshot(found, ["on", "title", "description", "link"])
                )
                if delta:
                    found.save(update_fields=["on", "title", "description", "link"])
                    audit.record(actor, action="loop.delivery_changed", obj=found, changes=delta)
                    outcome.updated += 1
                else:
                    outcome.unchanged += 1
            have = set(found.links.values_list("priority_id", flat=True))
            new = [i for i in entry.priorities if i not in have]
            DeliveryPriority.objects.bulk_create(
                DeliveryPriority(delivery=found, priority_id=i, linked_by_id=actor.user_id)
                for i in new
            )
            if new:
                audit.record(
                    actor, action="loop.delivery_linked", obj=found, changes={"priorities": new}
                )
            outcome.linked += len(new)
            touched.update(new)
            made.append(found)
        from traction.loop.services import radar

        for current in radar.current_statuses(touched):
            radar.check_status(current)
        from traction.loop.services import updates

        for found in made:  # drafts per credited organisation; drafts notify nobody
            updates.draft_for_delivery(actor, found)
    return outcome


def record_delivery(actor: Viewer, program: Program, entry: Entry, *, source: str) -> Delivery:
    outcome = record(actor, program, [entry], source=source)
    assert outcome.deliveries
    return outcome.deliveries[0]


def import_deliveries(actor: Viewer, program: Program, data: bytes, filename: str = "") -> Outcome:
    """A CSV file or an Excel workbook of deliveries (``deliveries_csv``), all or nothing,
    every bad row named by its line (a sheet's by its row); ``filename`` names the file in a
    refusal of the whole file (too many rows)."""
    permissions.check(actor, "loop.deliver", program)
    try:
        parsed = deliveries_csv.parse(data, filename)
    except deliveries_csv.CsvRefused as exc:
        # ``from exc``: the web form shows a refusal of the whole file beside its field.
        raise ValidationFailed.field("file", exc.message) from exc
    place = parsed.place
    problems = [f"{place} {line}: {message}." for line, message in parsed.errors]
    seen: dict[tuple[str, str], int] = {}
    for row in parsed.rows:
        if row.external_id:
            key = ("x", row.external_id)
        elif row.link:
            key = ("l", f"{row.link} {row.on}")
        else:
            key = ("t", f"{row.title} {row.on}")
        if key in seen:
            problems.append(
                f"{place} {row.line}: the same delivery as {place.lower()} {seen[key]}."
            )
        seen.setdefault(key, row.line)
    if problems:
        raise ValidationFailed({"file": sorted(problems, key=lambda p: int(p.split()[1][:-1]))})
    entries = [
        Entry(
            on=r.on,
            title=r.title,
            description=r.description,
            link=r.link,
            external_id=r.external_id,
            priorities=r.priorities,
            line=r.line,
            place=place,
        )
        for r in parsed.rows
    ]
    source = DeliverySource.XLSX if parsed.encoding == "xlsx" else DeliverySource.CSV
    return record(actor, program, entries, source=source)
