"""The customer portal, tried as a hostile customer would: with one customer's portal link,
every portal URL with other customers' ids, other sessions, other workspaces, and expired,
revoked and tampered tokens. Nothing leaks (404, 410 or the sign-in page), and the attempts
are audited. Links go through the real services and the real email (locmem here; the SMTP
round trip is in tests/email/test_portal_links.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from traction.core import clock, permissions
from traction.core.errors import PermissionDenied, ValidationFailed
from traction.core.models import AuditEvent
from traction.core.permissions import CustomerPrincipal
from traction.customers import services as customer_services
from traction.customers.models import Contact
from traction.insights.models import Insight
from traction.portal import selectors, services
from traction.portal.models import PortalLink, PortalLinkRequest
from traction.sessions import rsvp
from traction.voting.models import VotingRound

from .conftest import PortalWorld, link_for

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


def _signed_in(world: PortalWorld, capture: Capture, contact_id: int | None = None) -> Client:
    contact = Contact.objects.get(pk=contact_id or world.hank.contact_id)
    token = link_for(contact, capture, world.cast.viewer("account_owner"))
    client = Client()
    response = client.get(f"/portal/in/{token}/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    return client


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


# --- what a contact sees ------------------------------------------------------------------


def test_home_shows_own_sessions_and_contributions_and_nothing_internal(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    client = _signed_in(world, django_capture_on_commit_callbacks)
    page = client.get("/portal/").content.decode()
    assert "Hello Hank Globex" in page
    assert "Onboarding day" in page
    assert "Hank: the setup wizard loses my data" in page
    # Their organisation's words, credited to the colleague, also from a session Hank missed.
    assert "Gail: invoices arrive too late" in page
    assert "Gail Globex" in page
    assert "Gail2: renewals are a surprise" in page
    for leak in (
        "Ian: Initech needs single sign-on",
        "Initech",
        "Ian Initech",
        "Fran: internal",
        "unattributed note",
        "Rita",
        "Rival",
    ):
        assert leak not in page, leak
    assert "No vote is open for you right now" in page
    assert client.get("/portal/").headers["Cache-Control"] == "private, no-store"


def test_sessions_list_only_accepted_invitations(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    client = _signed_in(world, django_capture_on_commit_callbacks)
    page = client.get("/portal/").content.decode()
    assert f"/portal/sessions/{world.session.pk}/" in page
    assert f"/portal/sessions/{world.renewals.pk}/" not in page  # Hank was not invited


def test_session_page_shows_that_sessions_contributions(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    client = _signed_in(world, django_capture_on_commit_callbacks)
    page = client.get(f"/portal/sessions/{world.session.pk}/").content.decode()
    assert "Hank: the setup wizard loses my data" in page
    assert "Gail: invoices arrive too late" in page
    assert "renewals are a surprise" not in page  # another session's
    assert "Ian:" not in page
    assert "Fran:" not in page


def test_empty_states(cast: Any, django_capture_on_commit_callbacks: Capture) -> None:
    contact = cast.contact  # Gina: consented, never invited; a member sends her a link
    token = link_for(contact, django_capture_on_commit_callbacks, cast.viewer("admin"))
    client = Client()
    client.get(f"/portal/in/{token}/")
    page = client.get("/portal/").content.decode()
    assert "No sessions yet" in page
    assert "Nothing yet." in page
    assert "No vote is open for you right now" in page


def test_open_vote_links_to_the_contacts_own_ballot(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    VotingRound.objects.create(workspace_id=world.session.workspace_id, session=world.session)
    client = _signed_in(world, django_capture_on_commit_callbacks)
    page = client.get("/portal/").content.decode()
    assert "Vote now" in page
    from traction.voting import links

    # The token is timestamped, so read the page's link back rather than signing one now:
    # a token made a second later differs.
    tokens = re.findall(r'/vote/([^/"]+)/"', page)
    assert [links.read_token(t) for t in tokens] == [(world.hank.pk, world.hank.contact_id)]
    VotingRound.objects.filter(session=world.session).update(closed_at=clock.now())
    assert "Vote now" not in client.get("/portal/").content.decode()


def test_a_declined_invitation_offers_no_vote(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    # Its link cannot vote (the ballot says "You declined the invitation…"): not offered.
    from traction.sessions.models import Invitation

    VotingRound.objects.create(workspace_id=world.session.workspace_id, session=world.session)
    Invitation.objects.filter(pk=world.hank.pk).update(rsvp="declined")
    client = _signed_in(world, django_capture_on_commit_callbacks)
    page = client.get("/portal/").content.decode()
    assert "Vote now" not in page
    assert "No vote is open for you right now" in page


# --- hostile: other ids, other workspaces -----------------------------------------------------


def test_other_sessions_answer_404_and_are_audited(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    client = _signed_in(world, django_capture_on_commit_callbacks)
    for session in (world.renewals, world.rival):
        response = client.get(f"/portal/sessions/{session.pk}/")
        assert response.status_code == 404
        body = response.content.decode()
        assert session.title not in body
        assert "Rita" not in body
    for bad in ("999999", "0", "99999999999999999999999999"):
        assert client.get(f"/portal/sessions/{bad}/").status_code == 404
    denied = _events("portal.denied")
    assert [e.reason for e in denied[:2]] == [
        f"session {world.renewals.pk}",
        f"session {world.rival.pk}",
    ]
    assert all(e.actor_label == f"customer contact #{world.hank.contact_id}" for e in denied)


def test_a_portal_principal_reaches_only_its_own_rows(world: PortalWorld) -> None:
    link = PortalLink.objects.create(
        workspace_id=world.session.workspace_id,
        contact_id=world.hank.contact_id,
        token_hash="x" * 64,
        expires_at=clock.now() + timedelta(days=1),
    )
    hank = CustomerPrincipal(
        contact_id=world.hank.contact_id,
        workspace_id=world.session.workspace_id,
        portal_link_id=link.pk,
    )
    texts = set(selectors.contributions(hank).values_list("text", flat=True))
    assert texts == {
        world.cards["hank"].text,
        world.cards["gail"].text,
        world.cards["gail_renewals"].text,
    }
    # The same contact in another workspace's clothes reaches nothing.
    forged = CustomerPrincipal(
        contact_id=world.hank.contact_id,
        workspace_id=world.rival.workspace_id,
        portal_link_id=link.pk,
    )
    assert not selectors.contributions(forged).exists()
    assert not selectors.sessions(forged).exists()
    # A portal principal opens no member action.
    for action in ("insight.view", "session.view", "customer.view", "contact.view"):
        with pytest.raises(PermissionDenied):
            permissions.scope(hank, action, Insight.objects.all())


def test_an_rsvp_link_principal_reaches_nothing_of_the_portal(world: PortalWorld) -> None:
    principal = rsvp.RSVP.principal(rsvp.make_token(world.hank.pk, world.hank.contact_id))
    assert not principal.portal
    assert not selectors.contributions(principal).exists()
    assert not selectors.sessions(principal).exists()


def test_the_portal_principal_opens_no_rsvp(world: PortalWorld) -> None:
    from traction.sessions.models import Invitation

    hank = CustomerPrincipal(
        contact_id=world.hank.contact_id, workspace_id=world.session.workspace_id, portal_link_id=1
    )
    assert not permissions.scope(hank, "invitation.answer", Invitation.objects.all()).exists()


# --- hostile: tokens --------------------------------------------------------------------------


def test_tampered_tokens_are_refused_and_audited(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    contact = Contact.objects.get(pk=world.hank.contact_id)
    token = link_for(contact, django_capture_on_commit_callbacks, world.cast.viewer("admin"))
    link_id, secret = token.split(".", 1)
    ian_token = link_for(
        Contact.objects.get(pk=world.ian.contact_id),
        django_capture_on_commit_callbacks,
        world.cast.viewer("admin"),
    )
    ian_id = ian_token.split(".", 1)[0]
    for bad in (
        f"{link_id}.{secret[:-1]}{'A' if secret[-1] != 'A' else 'B'}",  # one character
        f"{ian_id}.{secret}",  # Hank's secret on Ian's link
        f"{link_id}",
        "nonsense",
        f"{int(link_id) + 1000}.{secret}",  # no such link
    ):
        client = Client()
        response = client.get(f"/portal/in/{bad}/")
        assert response.status_code == 404, bad
        assert "not valid" in response.content.decode()
        assert client.get("/portal/").status_code == 302  # not signed in
    refused = _events("portal.refused")
    assert [(e.object_id, e.reason) for e in refused] == [
        (link_id, "tampered (opening a link)"),
        (ian_id, "tampered (opening a link)"),
        (link_id, "tampered (opening a link)"),
    ]  # a token naming no link belongs to no workspace: logged only


def test_forged_tokens_cannot_flood_the_audit_trail(
    world: PortalWorld,
    django_capture_on_commit_callbacks: Capture,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Attacker's review: a token's first part is only the link's number, so anyone could
    write to the workspace's append-only audit trail without end by opening
    ``/portal/in/<number>.<anything>/``. A link's refusals are audited up to
    ``REFUSALS_AUDITED_PER_HOUR`` an hour; the rest go to the operators' log."""
    contact = Contact.objects.get(pk=world.hank.contact_id)
    token = link_for(contact, django_capture_on_commit_callbacks, world.cast.viewer("admin"))
    link_id = token.split(".", 1)[0]
    limit = services.REFUSALS_AUDITED_PER_HOUR
    with clock.frozen(clock.now()) as frozen, caplog.at_level("WARNING"):
        for n in range(limit + 5):
            assert Client().get(f"/portal/in/{link_id}.forged{n}/").status_code == 404
        assert len(_events("portal.refused")) == limit
        assert "not audited" in caplog.text
        frozen.advance(timedelta(hours=1, seconds=1))
        assert Client().get(f"/portal/in/{link_id}.forged/").status_code == 404
        assert len(_events("portal.refused")) == limit + 1
        assert Client().get(f"/portal/in/{token}/").status_code == 302  # the real one works


def test_a_signed_in_contact_cannot_flood_the_audit_trail(
    world: PortalWorld,
    django_capture_on_commit_callbacks: Capture,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Attacker's review: each portal page asked for with an id not the contact's was
    audited ("portal.denied"), so a contact (or whoever holds a forwarded link) wrote to the
    workspace's append-only trail without end by counting through ``/portal/sessions/<n>/``.
    Up to ``REFUSALS_AUDITED_PER_HOUR`` an hour are audited; the rest go to the log."""
    client = _signed_in(world, django_capture_on_commit_callbacks)
    limit = services.REFUSALS_AUDITED_PER_HOUR
    with clock.frozen(clock.now()) as frozen, caplog.at_level("WARNING"):
        for n in range(limit + 5):
            assert client.get(f"/portal/sessions/{900000 + n}/").status_code == 404
        assert client.get("/portal/sessions/99999999999999999999999/").status_code == 404
        assert len(_events("portal.denied")) == limit
        assert "not audited" in caplog.text
        frozen.advance(timedelta(hours=1, seconds=1))
        assert client.get(f"/portal/sessions/{world.rival.pk}/").status_code == 404
        assert len(_events("portal.denied")) == limit + 1
        assert client.get(f"/portal/sessions/{world.session.pk}/").status_code == 200


def test_expired_link_offers_a_new_one_and_is_audited(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    contact = Contact.objects.get(pk=world.hank.contact_id)
    token = link_for(contact, django_capture_on_commit_callbacks, world.cast.viewer("admin"))
    client = Client()
    assert client.get(f"/portal/in/{token}/").status_code == 302
    PortalLink.objects.update(expires_at=clock.now() - timedelta(seconds=1))
    # The open session ends with its link, and so does opening the link again.
    response = client.get("/portal/")
    assert response.status_code == 410
    assert "The link has expired" in response.content.decode()
    assert "Email me a link" in response.content.decode()
    assert Client().get(f"/portal/in/{token}/").status_code == 410
    assert [e.reason for e in _events("portal.refused")] == [
        "expired (portal session ended)",
        "expired (opening a link)",
    ]


def test_revoking_ends_the_sessions_opened_with_the_link(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    client = _signed_in(world, django_capture_on_commit_callbacks)
    assert client.get("/portal/").status_code == 200
    link = PortalLink.objects.get(contact_id=world.hank.contact_id)
    services.revoke_link(world.cast.viewer("account_owner"), link=link)
    response = client.get("/portal/")
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()
    assert client.get(f"/portal/sessions/{world.session.pk}/").status_code == 302  # cookie gone
    [revoked] = _events("portal.link_revoked")
    assert revoked.actor_id == world.cast.users["account_owner"].pk


def test_a_forged_cookie_opens_nothing(
    world: PortalWorld, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    link = PortalLink.objects.create(
        workspace_id=world.session.workspace_id,
        contact_id=world.hank.contact_id,
        token_hash="y" * 64,
        expires_at=clock.now() + timedelta(days=1),
    )
    client.cookies["traction_portal"] = str(link.pk)  # unsigned
    with caplog.at_level("WARNING", logger="traction.portal.services"):
        assert client.get("/portal/").status_code == 302
    # It names no workspace to audit it in: the operators' log has it.
    assert "refused a session cookie with a bad signature" in caplog.text


def test_sign_out_ends_the_session(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    client = _signed_in(world, django_capture_on_commit_callbacks)
    response = client.post("/portal/sign-out/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/signed-out/"
    assert client.get("/portal/").status_code == 302
    assert len(_events("portal.signed_out")) == 1
    assert len(_events("portal.signed_in")) == 1


def test_a_session_cookie_copied_before_signing_out_opens_nothing_after(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    """Attacker's review: signing out only deleted the cookie in that browser; the same
    cookie, copied before (another browser, a proxy's log, a shared machine's profile), still
    opened the portal until the link expired. Signing out now ends every portal session
    opened with the link until then; opening the link again starts a new one."""
    contact = Contact.objects.get(pk=world.hank.contact_id)
    token = link_for(contact, django_capture_on_commit_callbacks, world.cast.viewer("admin"))
    client = Client()
    assert client.get(f"/portal/in/{token}/").status_code == 302
    copied = client.cookies["traction_portal"].value
    elsewhere = Client()
    elsewhere.cookies["traction_portal"] = copied
    assert elsewhere.get("/portal/").status_code == 200
    assert client.post("/portal/sign-out/").status_code == 302
    replayed = Client()
    replayed.cookies["traction_portal"] = copied
    response = replayed.get("/portal/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/sign-in/"
    assert elsewhere.get("/portal/").status_code == 302
    assert [e.reason for e in _events("portal.refused")] == [
        "signed out (portal session ended)"
    ] * 2  # the copy, and the other browser
    again = Client()
    assert again.get(f"/portal/in/{token}/").status_code == 302  # the link itself still works
    assert again.get("/portal/").status_code == 200
    assert replayed.get("/portal/").status_code == 302


# --- members and the portal do not mix -----------------------------------------------------


def test_a_member_session_does_not_open_the_portal(world: PortalWorld, client_for: Any) -> None:
    for who in ("admin", "facilitator", "account_owner"):
        response = client_for(who).get("/portal/")
        assert response.status_code == 302
        assert response["Location"] == "/portal/sign-in/"


def test_a_portal_session_does_not_open_member_pages(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    client = _signed_in(world, django_capture_on_commit_callbacks)
    slug = world.cast.acme.slug
    for url in (f"/w/{slug}/", f"/w/{slug}/customers/", f"/w/{slug}/sessions/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response["Location"], url
    api = client.get("/api/v1/customers")
    assert api.status_code == 401


# --- members' actions --------------------------------------------------------------------


def test_sending_needs_consent_and_an_active_contact(cast: Any) -> None:
    with pytest.raises(ValidationFailed, match="consented"):
        services.send_link(cast.viewer("admin"), contact=cast.other_contact)
    with pytest.raises(PermissionDenied):
        services.send_link(cast.viewer("observer"), contact=cast.contact)
    with pytest.raises(PermissionDenied):  # not Owen's customer
        services.send_link(cast.viewer("account_owner"), contact=cast.other_contact)


def test_the_contact_page_sends_lists_and_revokes_links(
    cast: Any, client_for: Any, django_capture_on_commit_callbacks: Capture
) -> None:
    owen = client_for("account_owner")
    slug = cast.acme.slug
    page = owen.get(f"/w/{slug}/customers/contacts/{cast.contact.pk}/edit/").content.decode()
    assert "Send a portal link" in page
    assert "No portal link has been sent" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = owen.post(f"/w/{slug}/portal/contacts/{cast.contact.pk}/send/")
    assert response.status_code == 302
    link = PortalLink.objects.get(contact=cast.contact)
    assert link.created_by_id == cast.users["account_owner"].pk
    assert not link.requested_by_contact
    page = owen.get(response["Location"]).content.decode()
    assert "A portal link was emailed to Gina Globex" in page
    assert "Active" in page
    assert "owen@" in page
    owen.post(f"/w/{slug}/portal/links/{link.pk}/revoke/")
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert "Revoked" in owen.get(response["Location"]).content.decode()


def test_the_token_is_never_stored(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    contact = Contact.objects.get(pk=world.hank.contact_id)
    token = link_for(contact, django_capture_on_commit_callbacks, world.cast.viewer("admin"))
    link = PortalLink.objects.get(contact=contact)
    assert token.split(".", 1)[1] not in link.token_hash
    assert len(link.token_hash) == 64
    assert not AuditEvent.objects.filter(changes__icontains=token.split(".", 1)[1]).exists()


def test_api_sends_lists_and_revokes(cast: Any, django_capture_on_commit_callbacks: Capture):
    from traction.accounts import services as account_services

    _token, secret = account_services.create_api_token(cast.viewer("facilitator"), name="t")
    headers = {"Authorization": f"Bearer {secret}"}
    client = Client(headers=headers)
    url = f"/api/v1/contacts/{cast.contact.pk}/portal-links"
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(url)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "active"
    assert "token" not in body
    assert "url" not in body
    assert body["created_by"] == cast.users["facilitator"].email
    listed = client.get(url).json()
    assert listed["count"] == 1
    assert [item["id"] for item in listed["items"]] == [body["id"]]
    revoked = client.post(f"/api/v1/portal-links/{body['id']}/revoke")
    assert revoked.json()["state"] == "revoked"
    assert AuditEvent.objects.get(action="portal.link_revoked").via == "api"
    refused = client.post(f"/api/v1/contacts/{cast.other_contact.pk}/portal-links")
    assert refused.status_code == 422
    assert "consented" in refused.content.decode()


# --- asking for a link ---------------------------------------------------------------------


def test_request_page_answers_the_same_for_anyone(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    from django.core import mail

    contact = Contact.objects.get(pk=world.hank.contact_id)
    answers = []
    for email in (contact.email, "nobody@example.test", world.cast.other_contact.email):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = Client().post("/portal/sign-in/", {"email": email.upper()})
        answers.append(response.content.decode().replace("csrfmiddlewaretoken", ""))
        sent = [m.to for m in mail.outbox]
        assert sent == ([[contact.email]] if email == contact.email else []), email
    assert "If we know this address" in answers[0]
    assert len({_strip_csrf(a) for a in answers}) == 1
    link = PortalLink.objects.get(contact=contact)
    assert link.requested_by_contact
    assert link.created_by is None


def _strip_csrf(page: str) -> str:
    import re

    return re.sub(r'value="[^"]{20,}"', "", page)


def test_request_page_is_rate_limited_per_address_and_per_ip(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture, settings: Any
) -> None:
    from django.core import mail

    contact = Contact.objects.get(pk=world.hank.contact_id)
    mail.outbox.clear()
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            Client().post("/portal/sign-in/", {"email": contact.email})
    assert len(mail.outbox) == settings.TRACTION_PORTAL_REQUESTS_PER_EMAIL
    # One address asking for many: the per-IP ceiling stops it whatever the addresses.
    settings.TRACTION_PORTAL_REQUESTS_PER_IP = 2
    PortalLinkRequest.objects.all().delete()
    gail = Contact.objects.get(pk=world.gail.contact_id)
    mail.outbox.clear()
    for email in ("a@example.test", "b@example.test", gail.email):
        with django_capture_on_commit_callbacks(execute=True):
            Client().post("/portal/sign-in/", {"email": email})
    assert mail.outbox == []


def test_the_per_ip_limit_counts_an_ipv6_network_as_one_address(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture, settings: Any
) -> None:
    """Attacker's review: an IPv6 client holds a whole /64; counted address by address, each
    new one started afresh. The addresses of one /64 share the per-IP limit."""
    from django.core import mail

    settings.TRACTION_PORTAL_REQUESTS_PER_IP = 2
    gail = Contact.objects.get(pk=world.gail.contact_id)
    mail.outbox.clear()
    for n, email in enumerate(("a@example.test", "b@example.test", gail.email), start=1):
        with django_capture_on_commit_callbacks(execute=True):
            Client(REMOTE_ADDR=f"2001:db8:5:5::{n}").post("/portal/sign-in/", {"email": email})
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        Client(REMOTE_ADDR="2001:db8:5:6::1").post("/portal/sign-in/", {"email": gail.email})
    assert len(mail.outbox) == 1


def test_the_requests_kept_for_the_limit_stay_few(world: PortalWorld, settings: Any) -> None:
    """Attacker's review: every post of the public "send me a link" page stored a row, kept
    for ever, throttled or not: anonymous requests grew the table without end. A throttled
    request is not stored (it changes nothing), and rows older than the hour are deleted."""
    with clock.frozen(clock.now()) as frozen:
        for n in range(30):
            Client().post("/portal/sign-in/", {"email": f"x{n}@example.test"})
        assert PortalLinkRequest.objects.count() == settings.TRACTION_PORTAL_REQUESTS_PER_IP
        frozen.advance(timedelta(hours=1, seconds=1))
        Client().post("/portal/sign-in/", {"email": "late@example.test"})
        assert list(PortalLinkRequest.objects.values_list("email", flat=True)) == [
            "late@example.test"
        ]


def test_request_page_shows_an_error_beside_the_field() -> None:
    page = Client().post("/portal/sign-in/", {"email": "not an address"}).content.decode()
    assert "Enter a valid email address" in page


def test_an_archived_contact_gets_no_link_and_its_sessions_end(
    world: PortalWorld, django_capture_on_commit_callbacks: Capture
) -> None:
    client = _signed_in(world, django_capture_on_commit_callbacks)
    contact = Contact.objects.get(pk=world.hank.contact_id)
    customer_services.archive_contact(world.cast.viewer("admin"), contact=contact)
    assert client.get("/portal/").status_code == 410
    assert services.with_portal_access(contact.email) == []
