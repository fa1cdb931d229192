"""The portal's "Did it work for you?" form reads the same before and after an error: one
label for the answer ("Your answer"), and no colon after the question "Anything to add?"."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from traction.core.testing.cast import Cast
from traction.loop.mail_forms import FeedbackForm

from . import mail_world as mw

pytestmark = pytest.mark.django_db


def _labels(html: str) -> list[str]:
    found = re.findall(r"<(?:legend|label)[^>]*>(.*?)</(?:legend|label)>", html, re.S)
    return [re.sub(r"<[^>]+>|\s+", " ", t).strip() for t in found]


def test_the_feedback_labels_are_the_same_before_and_after_an_error(cast: Cast) -> None:
    world = mw.build(cast)
    mw.publish(world.base, world.base.card, "delivered")
    client = Client()
    assert client.get("/" + mw.portal_client_token(cast.contact)).status_code == 302
    url = f"/portal/updates/{world.update.pk}/"
    before = client.get(url).content.decode().split('id="update-reply"')[0]
    bad = client.post(url + "feedback/", {"priority": world.base.card.pk, "answer": "maybe"})
    assert bad.status_code == 422
    after = bad.content.decode().split('id="update-reply"')[0]
    assert "Pick yes, partly or no." in after
    for page in (before, after):
        labels = _labels(page)
        assert "Your answer" in labels, labels
        assert "Anything to add? (optional)" in labels, labels
        assert "Did it work for you?" not in labels, labels  # the heading asks it, once
        assert not any(label.endswith("?:") or "? (optional):" in label for label in labels)


def test_a_question_label_has_no_colon_after_it() -> None:
    form = FeedbackForm()
    assert form["comment"].label_tag().endswith(">Anything to add? (optional)</label>")
    assert form["answer"].legend_tag().endswith(">Did it work for you?</legend>")
