"""A single checkbox's label is a statement, not a question awaiting a value: no colon after
it (other fields keep theirs), in every form of the app and on its pages."""

from __future__ import annotations

import pytest
from django import forms
from django.test import Client

from traction.core.forms import Form
from traction.core.testing.cast import Cast


class Sample(Form):
    agreed = forms.BooleanField(required=False, label="This person agreed to be contacted")
    name = forms.CharField(label="Name")
    kept = forms.BooleanField(required=False, label="Asked for", label_suffix="?")


def test_a_checkbox_label_has_no_colon_and_other_labels_keep_theirs() -> None:
    form = Sample()
    assert form["agreed"].label_tag().endswith(">This person agreed to be contacted</label>")
    assert form["name"].label_tag().endswith(">Name:</label>")
    assert form["kept"].label_tag().endswith(">Asked for?</label>")  # its own suffix is kept
    # Another form's copy of the fields is untouched by this one's.
    assert Sample.base_fields["agreed"].label_suffix is None


@pytest.mark.django_db
def test_the_contact_form_shows_the_consent_box_without_a_colon(
    cast: Cast, client_for: object
) -> None:
    client: Client = client_for("facilitator")  # type: ignore[operator]
    page = client.get(f"/w/{cast.acme.slug}/customers/{cast.customer.pk}/contacts/new/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "This person agreed to be contacted</label>" in html
    assert "agreed to be contacted:" not in html
