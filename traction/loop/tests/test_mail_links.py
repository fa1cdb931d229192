"""The email's own links beyond the happy path: an erased or archived contact's old links
record nothing (404, audited), the HTML part keeps its answers apart, the unsubscribe page
says what clicking will do before anything is clicked, and HEAD requests are answered."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from traction.core import audit, clock
from traction.core.models import AuditEvent
from traction.core.testing.cast import Cast
from traction.customers import services as customer_services
from traction.insights.models import Insight
from traction.loop import mail_links, mailer
from traction.loop.models import Feedback, Unsubscribe

from . import mail_world as mw

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(cast: Cast) -> mw.MailWorld:
    w = mw.build(cast)
    mw.publish(w.base, w.base.card, "planned", "We are working out the details with you.")
    mw.publish(w.base, w.base.card, "delivered")
    return w


def _gone(world: mw.MailWorld, how: str) -> None:
    cast = world.cast
    if how == "erased":
        customer_services.erase_contact(
            cast.viewer("admin"), contact=cast.contact, reason="asked to be forgotten"
        )
    else:
        customer_services.archive_contact(cast.viewer("admin"), contact=cast.contact)


@pytest.mark.parametrize("how", ["erased", "archived"])
def test_a_gone_contacts_did_it_work_link_records_nothing(world: mw.MailWorld, how: str) -> None:
    token = mail_links.feedback_token(world.gina.pk, world.base.card.pk)
    _gone(world, how)
    insights = Insight.objects.count()
    client = Client()
    assert client.get(f"/mail/feedback/{token}/?answer=no").status_code == 404
    posted = client.post(
        f"/mail/feedback/{token}/", {"answer": "no", "comment": "Gina here, call me on 0123"}
    )
    assert posted.status_code == 404
    assert "not valid" in posted.content.decode()
    assert not Feedback.objects.exists()
    assert Insight.objects.count() == insights
    refused = AuditEvent.objects.filter(action="loop.link_refused")
    assert refused.count() == 2
    assert all(e.reason.startswith("feedback:") for e in refused)


def test_an_old_link_cannot_flood_the_audit_trail(
    world: mw.MailWorld, caplog: pytest.LogCaptureFixture
) -> None:
    """Attacker's review: each opening of an erased contact's link was audited, so whoever
    held the old email wrote to the workspace's append-only trail without end. Refusals are
    audited up to ``audit.OUTSIDERS_AUDITED_PER_HOUR`` an hour about the update, then logged."""
    token = mail_links.feedback_token(world.gina.pk, world.base.card.pk)
    _gone(world, "erased")
    limit = audit.OUTSIDERS_AUDITED_PER_HOUR
    with clock.frozen(clock.now()) as frozen, caplog.at_level("WARNING"):
        for _ in range(limit + 5):
            assert Client().get(f"/mail/feedback/{token}/?answer=no").status_code == 404
        assert AuditEvent.objects.filter(action="loop.link_refused").count() == limit
        assert "not audited" in caplog.text
        frozen.advance(timedelta(hours=1, seconds=1))
        assert Client().get(f"/mail/feedback/{token}/").status_code == 404
        assert AuditEvent.objects.filter(action="loop.link_refused").count() == limit + 1


def test_an_erased_contacts_unsubscribe_link_opens_nothing(world: mw.MailWorld) -> None:
    token = mail_links.unsubscribe_token(world.gina.pk, "all")
    _gone(world, "erased")
    client = Client()
    assert client.get(f"/mail/unsubscribe/{token}/").status_code == 404
    assert client.post(f"/mail/unsubscribe/{token}/").status_code == 404
    assert not Unsubscribe.objects.exists()
    assert AuditEvent.objects.filter(action="loop.link_refused").count() == 2


def test_an_archived_contacts_unsubscribe_link_still_stops_their_mail(
    world: mw.MailWorld,
) -> None:
    """An archived contact may be restored: their wish to stop is kept."""
    token = mail_links.unsubscribe_token(world.gina.pk, "all")
    _gone(world, "archived")
    assert Client().post(f"/mail/unsubscribe/{token}/").status_code == 200
    assert Unsubscribe.objects.get().scope == "all"


def test_the_html_email_separates_the_did_it_work_answers(world: mw.MailWorld) -> None:
    html = mailer.render(world.gina).html
    assert not re.search(r"</a>\s*<a ", html), html
    links = re.findall(r">(Yes|Partly|No)</a>", html)
    assert links == ["Yes", "Partly", "No"]
    assert re.search(r">Yes</a> &middot; <a [^>]*>Partly</a> &middot; <a [^>]*>No</a>", html)


def test_the_unsubscribe_page_says_what_clicking_will_do(world: mw.MailWorld) -> None:
    token = mail_links.unsubscribe_token(world.gina.pk, "all")
    client = Client()
    page = client.get(f"/mail/unsubscribe/{token}/").content.decode()
    assert "no longer receive" not in page
    assert "Nothing has changed yet" in page
    assert "Clicking <strong>Unsubscribe</strong> stops" in page
    assert not Unsubscribe.objects.exists()
    done = client.post(f"/mail/unsubscribe/{token}/").content.decode()
    assert "You will no longer receive" in done


def test_head_requests_on_the_emails_links_are_answered_and_record_nothing(
    world: mw.MailWorld,
) -> None:
    client = Client()
    feedback = mail_links.feedback_token(world.gina.pk, world.base.card.pk)
    unsubscribe = mail_links.unsubscribe_token(world.gina.pk, "all")
    assert client.head(f"/mail/feedback/{feedback}/?answer=yes").status_code == 200
    assert client.head(f"/mail/unsubscribe/{unsubscribe}/").status_code == 200
    assert not Feedback.objects.exists()
    assert not Unsubscribe.objects.exists()
