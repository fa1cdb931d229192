"""The portal's loop pages at their edges: hand-edited link tokens and ids past any row get
the portal's own answers (never a crash, never the members' pages), HEAD is answered, a
priority they raised says they hear about it, and an empty answer gets its own message."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.customers.models import Contact
from traction.loop.models import Feedback

from . import mail_world as mw

pytestmark = pytest.mark.django_db

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture
def world(cast: Cast) -> mw.MailWorld:
    w = mw.build(cast)
    mw.publish(w.base, w.base.card, "planned", "We are working out the details with you.")
    mw.publish(w.base, w.base.card, "delivered")
    return w


def signed_in(contact: Contact) -> Client:
    client = Client()
    assert client.get("/" + mw.portal_client_token(contact)).status_code == 302
    return client


@pytest.mark.parametrize("head", ["\u00b2", "\u00b9", "\u00b3", "\u0661", "1\u00b2"])
def test_a_link_token_with_a_digit_that_is_not_ascii_is_refused_not_a_500(
    cast: Cast, head: str
) -> None:
    client = Client(raise_request_exception=False)
    response = client.get(f"/portal/in/{head}.abc/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_a_real_links_id_in_arabic_indic_digits_signs_nobody_in(world: mw.MailWorld) -> None:
    token = mw.portal_client_token(world.cast.contact).removeprefix("portal/in/").rstrip("/")
    head, secret = token.split(".", 1)
    client = Client(raise_request_exception=False)
    response = client.get(f"/portal/in/{head.translate(ARABIC_INDIC)}.{secret}/")
    assert response.status_code == 404
    assert client.get("/portal/").status_code == 302  # not signed in


@pytest.mark.parametrize(
    "path",
    [
        "/portal/updates/99999999999999999999/",
        "/portal/sessions/99999999999999999999/",
        "/portal/priorities/99999999999999999999/follow/",
    ],
)
def test_an_id_past_any_row_gets_the_portals_own_not_found_audited(
    world: mw.MailWorld, path: str
) -> None:
    client = signed_in(world.cast.contact)
    response = client.post(path) if path.endswith("follow/") else client.get(path)
    assert response.status_code == 404
    page = response.content.decode()
    assert "Back to your portal" in page
    assert "Sign in" not in page
    [denied] = AuditEvent.objects.filter(action="portal.denied")
    assert "99999999999999999999" in denied.reason
    # Not signed in: the portal's sign-in, as for any portal page.
    anonymous = Client().get(path)
    assert anonymous.status_code == 302
    assert anonymous["Location"] == "/portal/sign-in/"


def test_head_is_answered_on_the_portals_pages(world: mw.MailWorld) -> None:
    client = Client()
    assert client.head("/" + mw.portal_client_token(world.cast.contact)).status_code == 302
    assert client.head("/portal/").status_code == 200
    assert client.head(f"/portal/updates/{world.update.pk}/").status_code == 200
    assert Client().head("/portal/sign-in/").status_code == 200


def test_a_priority_they_raised_says_they_hear_about_it_instead_of_follow(
    world: mw.MailWorld,
) -> None:
    base = world.base
    page = signed_in(world.cast.contact).get("/portal/").content.decode()
    assert "You hear about this: you raised it." in page
    assert f"/portal/priorities/{base.card.pk}/follow/" not in page


def test_an_empty_answer_gets_its_own_message_beside_the_field(world: mw.MailWorld) -> None:
    client = signed_in(world.cast.contact)
    posted = client.post(
        f"/portal/updates/{world.update.pk}/feedback/",
        {"priority": world.base.card.pk, "comment": "no answer picked"},
    )
    assert posted.status_code == 422
    page = posted.content.decode()
    assert "Pick yes, partly or no." in page
    assert "This field is required." not in page
    assert not Feedback.objects.exists()


def test_replies_and_comments_are_limited_per_hour_with_a_message_beside_the_field(
    world: mw.MailWorld, settings: Any
) -> None:
    from traction.core import clock
    from traction.insights.models import Insight
    from traction.loop import mail_links

    settings.TRACTION_PORTAL_COMMENTS_PER_HOUR = 3
    client = signed_in(world.cast.contact)
    reply = f"/portal/updates/{world.update.pk}/reply/"
    before = Insight.objects.count()
    for n in range(3):
        assert client.post(reply, {"text": f"Reply {n}"}).status_code == 302
    refused = client.post(reply, {"text": "Reply 4"})
    assert refused.status_code == 422
    assert "the most we take" in refused.content.decode()
    assert "Reply 4" in refused.content.decode()  # kept in the field
    # The email's feedback link: a comment is refused, an answer alone is recorded.
    token = mail_links.feedback_token(world.gina.pk, world.base.card.pk)
    mailed = Client().post(f"/mail/feedback/{token}/", {"answer": "yes", "comment": "More"})
    assert mailed.status_code == 422
    assert "the most we take" in mailed.content.decode()
    assert not Feedback.objects.exists()
    answered = Client().post(f"/mail/feedback/{token}/", {"answer": "yes", "comment": ""})
    assert answered.status_code == 200
    assert Feedback.objects.get().answer == "yes"
    assert Insight.objects.count() == before + 3
    limited = AuditEvent.objects.filter(action="loop.comment_limited")
    assert [e.changes["field"] for e in limited.order_by("pk")] == ["text", "comment"]
    # An hour later they may write again.
    with clock.frozen(clock.now() + timedelta(hours=1, minutes=1)):
        assert client.post(reply, {"text": "Reply 5"}).status_code == 302
