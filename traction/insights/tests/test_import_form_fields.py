"""The file uploads of the API refuse a form field they do not declare, as every operation
refuses an unknown query parameter: ``dry_run=true`` sent as a form field to an import that
has no such field must not import for real (core.api.refuse_unknown_query)."""

from __future__ import annotations

from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from traction.debrief.models import Measurement
from traction.insights.models import ImportBatch, Insight
from traction.loop.models import Delivery

from .conftest import Room

VTT = b"WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nGina: I never know where to start.\n"


def test_an_undeclared_form_field_is_refused_and_nothing_is_written(
    room: Room, api_client_for: Callable[[str], Client]
) -> None:
    fran = api_client_for("facilitator")
    program = room.cast.program
    assert program is not None
    insights, batches = Insight.objects.count(), ImportBatch.objects.count()
    uploads = [  # the insight import, the deliveries import, the measurements import
        (f"/api/v1/sessions/{room.session.pk}/imports", "t.vtt", VTT, {"unmatched": "keep"}),
        (f"/api/v1/programs/{program.pk}/deliveries/import", "d.csv", b"date,title\n", {}),
        (f"/api/v1/programs/{program.pk}/measurements/import", "m.csv", b"metric,date\n", {}),
    ]
    for url, name, data, fields in uploads[:2]:
        answer = fran.post(
            url, {"file": SimpleUploadedFile(name, data), "dry_run": "true", **fields}
        )
        assert answer.status_code == 422, url
        [error] = answer.json()["detail"]
        assert error["loc"] == ["body", "dry_run"]
        assert error["msg"].startswith("Unknown form field “dry_run”; this operation takes: ")
    assert (Insight.objects.count(), ImportBatch.objects.count()) == (insights, batches)
    # Where the operation takes the name in the address, the answer says so.
    [error] = fran.post(
        uploads[2][0], {"file": SimpleUploadedFile("m.csv", b"metric,date\n"), "dry_run": "1"}
    ).json()["detail"]
    assert error["loc"] == ["body", "dry_run"]
    assert error["msg"] == (
        "“dry_run” is a query parameter of this operation, not a form field: "
        "send it in the address (?dry_run=…)."
    )
    assert not Delivery.objects.exists()
    assert not Measurement.objects.exists()
    # Not blind: the declared fields alone import.
    done = fran.post(uploads[0][0], {"file": SimpleUploadedFile("t.vtt", VTT), "unmatched": "keep"})
    assert done.status_code == 201
    assert ImportBatch.objects.count() == batches + 1
