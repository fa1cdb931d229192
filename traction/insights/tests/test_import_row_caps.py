"""Every importer that takes a file has a row cap beside its byte cap
(``TRACTION_IMPORT_MAX_ROWS``, counted while reading by ``core.csv_reader.RowCap``): a file over
it is refused as soon as its first row too many is read, naming the limit, the file and the
line, and nothing is written. The insight import (service, web, API; the CLI in
``cli/tests/test_import.py``), the deliveries import and the measurements import."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape

from traction.core.errors import ValidationFailed
from traction.core.models import AuditEvent
from traction.debrief.models import Measurement
from traction.debrief.tests.scorecard_helpers import make_metric
from traction.insights import imports
from traction.insights.models import ImportBatch, Insight
from traction.loop.models import Delivery

from .conftest import Room

pytestmark = pytest.mark.django_db

WALL = "Content,Author\n" + "Too many forms,Gina Globex\n" * 5
REFUSAL = (
    "“wall.csv” has more than 3 rows, the most one import takes (row 4 is on line 5); "
    "split it into files of at most 3 rows and import each."
)


@pytest.fixture
def three_rows(settings) -> None:
    settings.TRACTION_IMPORT_MAX_ROWS = {
        "insights": 3,
        "deliveries": 3,
        "measurements": 3,
    }


def nothing_written(room: Room) -> None:
    assert not ImportBatch.objects.filter(session=room.session).exists()
    assert not Insight.objects.filter(session=room.session).exists()
    assert not AuditEvent.objects.filter(action="insights.imported").exists()


def test_the_service_refuses_a_file_over_the_cap_and_takes_one_at_it(
    room: Room, three_rows: None
) -> None:
    fran = room.cast.viewer("facilitator")
    for call in (imports.preview_import, imports.import_file):
        with pytest.raises(ValidationFailed) as refused:
            call(
                fran,
                session=room.session,
                stream=io.BytesIO(WALL.encode()),
                filename="wall.csv",
                options=imports.ImportOptions(unmatched="keep"),
            )
        assert refused.value.errors == {"file": [REFUSAL]}
    nothing_written(room)
    # A transcript's rows are its utterances: four speakers taking turns are four rows.
    turns = "".join(f"{name}: Point {n}.\n" for n, name in enumerate("ABAB", 1))
    with pytest.raises(ValidationFailed, match=r"row 4 is on line 4\)"):
        imports.preview_import(
            fran, session=room.session, stream=io.BytesIO(turns.encode()), filename="call.txt"
        )
    at_cap = "Content,Author\n" + "Too many forms,Gina Globex\n" * 3
    done = imports.import_file(
        fran,
        session=room.session,
        stream=io.BytesIO(at_cap.encode()),
        filename="wall.csv",
        options=imports.ImportOptions(unmatched="keep"),
    )
    assert done.batch.rows == 3


def test_the_web_form_shows_the_refusal_beside_the_file_field(
    room: Room, three_rows: None, client: Client
) -> None:
    client.force_login(room.cast.users["facilitator"])
    url = f"/w/{room.session.workspace.slug}/insights/sessions/{room.session.pk}/import/"
    page = client.post(url, {"file": SimpleUploadedFile("wall.csv", WALL.encode())})
    assert page.status_code == 422
    assert page.context["form"].errors == {"file": [REFUSAL]}
    html = page.content.decode()
    field = re.search(
        r'<div class="field field-invalid[^"]*field-clearablefile">.*?name="file"', html, re.S
    )
    assert field is not None, html
    assert escape(REFUSAL) in field.group(0)  # the error is in the file field's own group
    nothing_written(room)
    # The upload form states both caps, and asks for progress (upload_progress.js).
    form = client.get(url).content.decode()
    assert "Up to 25 MB and 3 rows" in form
    assert "data-upload-progress" in form
    # A file at the cap is previewed; its confirm says it is working while it imports.
    at_cap = "Content,Author\n" + "Too many forms,Gina Globex\n" * 3
    preview = client.post(url, {"file": SimpleUploadedFile("wall.csv", at_cap.encode())})
    assert preview.status_code == 200
    assert 'data-busy="Importing 3 rows… A large file takes up to a minute' in (
        preview.content.decode()
    )


def test_the_api_answers_422_on_the_file(
    room: Room, three_rows: None, api_client_for: Callable[[str], Client]
) -> None:
    answer = api_client_for("facilitator").post(
        f"/api/v1/sessions/{room.session.pk}/imports",
        {"file": SimpleUploadedFile("wall.csv", WALL.encode()), "unmatched": "keep"},
    )
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert (error["loc"], error["msg"]) == (["body", "file"], REFUSAL)
    nothing_written(room)


def test_deliveries_and_measurements_have_their_cap_too(
    room: Room,
    three_rows: None,
    client_for: Callable[[str], Client],
    api_client_for: Callable[[str], Client],
) -> None:
    program = room.cast.program
    assert program is not None
    make_metric(room.cast)
    deliveries = "date,title\n" + "".join(f"2027-01-0{n},Release {n}\n" for n in range(1, 6))
    measurements = "metric,date,value\n" + "".join(
        f"Days to first invoice,2027-01-0{n},{n}\n" for n in range(1, 6)
    )
    refusal = REFUSAL.replace("wall.csv", "{name}")
    api = api_client_for("facilitator")
    for url, name, data in [
        (f"/api/v1/programs/{program.pk}/deliveries/import", "d.csv", deliveries),
        (f"/api/v1/programs/{program.pk}/measurements/import", "m.csv", measurements),
    ]:
        answer = api.post(url, {"file": SimpleUploadedFile(name, data.encode())})
        assert answer.status_code == 422, url
        [error] = answer.json()["detail"]
        assert (error["loc"], error["msg"]) == (["body", "file"], refusal.format(name=name))
    web = client_for("facilitator")
    slug = room.cast.acme.slug
    for url, name, data in [
        (f"/w/{slug}/loop/programs/{program.pk}/deliveries/import/", "d.csv", deliveries),
        (f"/w/{slug}/debriefs/programs/{program.pk}/scorecard/import/", "m.csv", measurements),
    ]:
        page = web.post(url, {"file": SimpleUploadedFile(name, data.encode())})
        assert page.status_code == 422, url  # refused, as the insight import answers
        # Beside the file field, as the insight import shows it, not in the list above the
        # form: the error has the field's error id, and the input points at it.
        assert page.context["errors"] == [], url
        assert page.context["form"].errors == {"file": [refusal.format(name=name)]}
        html = page.content.decode()
        error = re.search(r'<ul[^>]*id="id_file_error"[^>]*>(.*?)</ul>', html, re.S)
        assert error is not None, html
        assert escape(refusal.format(name=name)) in error.group(1)
        assert re.search(r'<input[^>]*name="file"[^>]*aria-describedby="[^"]*id_file_error', html)
        assert "Nothing was imported. Fix" not in html
    assert not Delivery.objects.exists()
    assert not Measurement.objects.exists()
    assert not AuditEvent.objects.filter(
        action__in=["loop.delivery_recorded", "measurement.recorded"]
    ).exists()
