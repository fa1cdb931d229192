"""Taking a wrong import back: ``discard_import`` (service, API, web), the review queue's
filter by file, and the same file imported again once its batch is discarded."""

from __future__ import annotations

import io
import re
import zoneinfo
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import dateformat

from traction.core.errors import Conflict, PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.insights import imports
from traction.insights.imports import ImportOptions
from traction.insights.models import ImportBatch, Insight
from traction.insights.tests.conftest import Room
from traction.insights.tests.test_imports import ZOOM
from traction.voting.models import Vote

pytestmark = pytest.mark.django_db

OTHER = "Gina Globex: Another file.\nIvy: Same session.\n"


def run(room: Room, content: str, filename: str = "zoom.vtt", **options: object):
    return imports.import_file(
        room.cast.viewer("core_team"),
        session=room.session,
        stream=io.BytesIO(content.encode()),
        filename=filename,
        options=ImportOptions(unmatched="keep", **options),  # type: ignore[arg-type]
    )


def statuses(room: Room, batch: ImportBatch) -> list[str]:
    return list(Insight.objects.filter(batch=batch).order_by("pk").values_list("status", flat=True))


def test_discarding_an_import_takes_its_candidates_out_once_and_allows_it_again(
    room: Room,
) -> None:
    first = run(room, ZOOM)
    other = run(room, OTHER, "notes.txt")
    queue = list(imports.review_queue(room.session).values_list("pk", flat=True))
    Insight.objects.filter(pk=queue[0]).update(status="discarded")  # reviewed before: stays
    done = imports.discard_import(
        room.cast.viewer("facilitator"), session=room.session, batch_id=first.batch.pk
    )
    assert (done.candidates, done.accepted, done.kept) == (2, 0, 0)
    assert done.summary == "Discarded the import of zoom.vtt: 2 waiting for review."
    assert statuses(room, first.batch) == ["discarded"] * 3
    assert statuses(room, other.batch) == ["candidate", "candidate"]
    events = AuditEvent.objects.filter(action="insights.import_discarded")
    assert [e.changes["candidates"] for e in events] == [2]
    with pytest.raises(Conflict, match="already discarded"):
        imports.discard_import(
            room.cast.viewer("facilitator"), session=room.session, batch_id=first.batch.pk
        )
    again = run(room, ZOOM)
    assert again.created
    assert again.batch.pk != first.batch.pk
    assert statuses(room, again.batch) == ["candidate"] * 3


def test_an_accepted_import_leaves_the_map_unless_something_uses_its_rows(room: Room) -> None:
    voted = run(room, ZOOM, accept=True)
    card = Insight.objects.filter(batch=voted.batch).order_by("pk").first()
    assert card is not None
    Vote.objects.create(
        workspace_id=card.workspace_id,
        session=room.session,
        insight=card,
        contact=room.gina,
        dots=1,
        channel="room",
    )
    with pytest.raises(ValidationFailed) as refused:
        imports.discard_import(
            room.cast.viewer("core_team"), session=room.session, batch_id=voted.batch.pk
        )
    assert refused.value.errors["import"][0].startswith(
        "This import cannot be discarded as a whole: customers voted on some of its rows"
    )
    assert statuses(room, voted.batch) == ["accepted"] * 3
    assert ImportBatch.objects.get(pk=voted.batch.pk).discarded_at is None
    Vote.objects.all().delete()
    done = imports.discard_import(
        room.cast.viewer("core_team"), session=room.session, batch_id=voted.batch.pk
    )
    assert (done.candidates, done.accepted) == (0, 3)
    assert statuses(room, voted.batch) == ["discarded"] * 3


def test_without_accept_rows_placed_on_the_map_stay_and_are_counted(room: Room) -> None:
    wall = "text,author,type\nContract is long,Gina Globex,quote\nPrint it,Ivy,\n"
    batch = run(room, wall, "wall.csv").batch
    assert sorted(statuses(room, batch)) == ["accepted", "candidate"]
    done = imports.discard_import(
        room.cast.viewer("core_team"), session=room.session, batch_id=batch.pk
    )
    assert (done.candidates, done.accepted, done.kept) == (1, 0, 1)
    assert "1 accepted row stay on the map" in done.summary


def test_only_those_who_import_may_discard(room: Room) -> None:
    batch = run(room, ZOOM).batch
    with pytest.raises(PermissionDenied):
        imports.discard_import(room.cast.viewer("sponsor"), session=room.session, batch_id=batch.pk)
    assert statuses(room, batch) == ["candidate"] * 3


def test_the_api_discards_and_filters_the_queue_by_import(room: Room, api_client_for) -> None:
    client = api_client_for("facilitator")
    base = f"/api/v1/sessions/{room.session.pk}"
    first = client.post(f"{base}/imports", {"file": SimpleUploadedFile("z.vtt", ZOOM.encode())})
    other = client.post(
        f"{base}/imports",
        {"file": SimpleUploadedFile("n.txt", OTHER.encode()), "unmatched": "keep"},
    )
    first_id, other_id = first.json()["batch"]["id"], other.json()["batch"]["id"]
    only = client.get(f"{base}/review?import_id={other_id}").json()
    assert only["count"] == 2
    done = client.post(f"{base}/imports/{first_id}/discard")
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["candidates"], body["accepted"], body["kept"]) == (3, 0, 0)
    assert body["batch"]["discarded_at"] is not None
    assert client.post(f"{base}/imports/{first_id}/discard").status_code == 409
    assert client.post(f"{base}/imports/999999/discard").status_code == 404
    assert client.get(f"{base}/review").json()["count"] == 2


def test_the_web_confirms_with_the_counts_then_discards(room: Room, client) -> None:
    batch = run(room, ZOOM).batch
    client.force_login(room.cast.users["facilitator"])
    base = f"/w/{room.session.workspace.slug}/insights/sessions/{room.session.pk}"
    listing = client.get(f"{base}/import/").content.decode()
    assert f"{base}/import/{batch.pk}/discard/" in listing
    assert "Discard this import" in listing
    confirm = client.get(f"{base}/import/{batch.pk}/discard/").content.decode()
    assert "<strong>3</strong> rows still waiting in the review queue" in confirm
    assert "Discard 3 rows" in confirm
    done = client.post(f"{base}/import/{batch.pk}/discard/", follow=True)
    assert "Discarded the import of zoom.vtt: 3 waiting for review." in done.content.decode()
    assert statuses(room, batch) == ["discarded"] * 3


def test_the_review_page_filters_by_file_and_offers_the_tick_all_box(room: Room, client) -> None:
    run(room, ZOOM)
    other = run(room, OTHER, "notes.txt").batch
    client.force_login(room.cast.users["facilitator"])
    base = f"/w/{room.session.workspace.slug}/insights/sessions/{room.session.pk}"
    page = client.get(f"{base}/review/?file={other.pk}").content.decode()
    assert "Another file." in page
    assert "Approval takes three weeks" not in page
    assert 'id="tick-all"' in page
    assert "insights/review.js" in page
    assert "<script>" not in page  # no inline script under the CSP
    everything = client.get(f"{base}/review/").content.decode()
    assert "Approval takes three weeks" in everything


def test_import_pages_write_dates_as_the_rest_of_the_product(room: Room, client) -> None:
    """Newcomer walk: the import list and the review queue's file filter showed
    "2026-12-07 18:32" among pages that write "7 Dec 2026, 18:32"."""
    room.cast.acme.time_zone = "Europe/Berlin"
    room.cast.acme.save(update_fields=["time_zone"])
    batch = run(room, ZOOM).batch
    run(room, OTHER, "notes.txt")
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")

    def shown(moment: datetime) -> str:
        return dateformat.format(moment.astimezone(berlin), "j M Y, H:i")

    client.force_login(room.cast.users["facilitator"])
    base = f"/w/{room.session.workspace.slug}/insights/sessions/{room.session.pk}"
    listing = client.get(f"{base}/import/").content.decode()
    assert f'<td class="nowrap">{shown(batch.created_at)}</td>' in listing
    queue = client.get(f"{base}/review/").content.decode()
    assert f">zoom.vtt ({shown(batch.created_at)})</option>" in queue
    confirm = client.get(f"{base}/import/{batch.pk}/discard/").content.decode()
    assert f"Imported on {shown(batch.created_at)}, 3 rows." in confirm
    client.post(f"{base}/import/{batch.pk}/discard/")
    batch.refresh_from_db()
    assert batch.discarded_at is not None
    again = client.get(f"{base}/import/{batch.pk}/discard/").content.decode()
    assert f"already discarded on {shown(batch.discarded_at)}." in again
    listing = client.get(f"{base}/import/").content.decode()
    assert f"Discarded {shown(batch.discarded_at)} (Europe/Berlin)" in listing
    iso = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
    assert not iso.search(listing + queue + confirm + again)
