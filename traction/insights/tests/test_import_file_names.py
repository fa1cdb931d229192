"""An imported file's name is kept as the import's source name and shown on every page that
names the import: a name holding an invisible bidirectional control character is refused, as
``traction import FILE`` refuses it, and nothing is written. Django's multipart reader drops
such characters from an uploaded file's name; the upload form, the preview's posted-back name,
the API's ``filename`` field and the services themselves refuse one. Right-to-left names are
welcome."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from traction.core.errors import ValidationFailed
from traction.core.models import AuditEvent
from traction.insights import imports
from traction.insights.imports import ImportOptions
from traction.insights.models import ImportBatch, Insight
from traction.insights.tests.conftest import Room

pytestmark = pytest.mark.django_db

RLO = "\u202e"
SPOOFED = f"notes{RLO}vsc.csv"
NOTES = b"Content,Author\nApproval takes three weeks,Gina Globex\n"
REFUSAL = (
    "The file's name contains an invisible bidirectional control character (U+202E "
    "RIGHT-TO-LEFT OVERRIDE)"
)


def nothing_written(room: Room) -> None:
    assert not ImportBatch.objects.filter(session=room.session).exists()
    assert not Insight.objects.filter(session=room.session).exists()
    assert not AuditEvent.objects.filter(action="insights.imported").exists()


def test_the_upload_form_refuses_the_name_beside_the_file_field(room: Room, client_for) -> None:
    from traction.insights.imports.forms import UploadForm

    form = UploadForm({}, {"file": SimpleUploadedFile(SPOOFED, NOTES)}, scenarios=[])
    assert not form.is_valid()
    assert list(form.errors) == ["file"]
    assert form.errors["file"][0].startswith(REFUSAL)
    # Through the page, Django's multipart reader already drops the invisible characters
    # from an uploaded file's name: what is kept never holds one.
    web = client_for("facilitator")
    url = f"/w/acme/insights/sessions/{room.session.pk}/import/"
    shown = web.post(url, {"file": SimpleUploadedFile(SPOOFED, NOTES)})
    assert shown.status_code == 200
    assert shown.context["preview"].filename == "notesvsc.csv"
    nothing_written(room)
    welcome = web.post(url, {"file": SimpleUploadedFile("ملاحظات.csv", NOTES)})
    assert welcome.context["preview"].filename == "ملاحظات.csv"


def test_a_confirm_posted_with_a_spoofed_name_writes_nothing(room: Room, client_for) -> None:
    web = client_for("facilitator")
    url = f"/w/acme/insights/sessions/{room.session.pk}/import/"
    shown = web.post(url, {"file": SimpleUploadedFile("notes.csv", NOTES)})
    assert shown.status_code == 200
    form = shown.context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update({f.html_name: f.value() or "" for f in form})
    data["filename"] = SPOOFED  # the hidden field, changed by hand
    done = web.post(url + "confirm/", data)
    assert done.status_code == 422
    assert "bidirectional control character (U+202E" in done.context["form"].errors["filename"][0]
    nothing_written(room)


def test_the_api_refuses_the_filename_field(room: Room, api_client_for) -> None:
    client = api_client_for("facilitator")
    url = f"/api/v1/sessions/{room.session.pk}/imports"
    by_field = client.post(
        url, {"file": SimpleUploadedFile("notes.csv", NOTES), "filename": SPOOFED}
    )
    assert by_field.status_code == 422
    assert by_field.json()["message"].startswith(
        "filename: The form field “filename”: It contains an invisible bidi"
    )
    nothing_written(room)
    done = client.post(
        url,
        {
            "file": SimpleUploadedFile(SPOOFED, NOTES),
            "filename": "ملاحظات.csv",
            "unmatched": "keep",
        },
    )
    assert done.status_code == 201, done.content
    assert ImportBatch.objects.get().filename == "ملاحظات.csv"


def test_the_services_refuse_the_name_too(room: Room) -> None:
    actor = room.cast.viewer("core_team")
    for service in (imports.preview_import, imports.import_file):
        with pytest.raises(ValidationFailed) as refused:
            service(
                actor,
                session=room.session,
                stream=io.BytesIO(NOTES),
                filename=SPOOFED,
                options=ImportOptions(unmatched="keep"),
            )
        assert refused.value.errors["file"][0].startswith(REFUSAL)
    nothing_written(room)
