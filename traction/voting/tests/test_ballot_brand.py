"""The customer's ballot speaks for the inviting workspace: its name and logo, the session's
time in both zones, and no internal words."""

from __future__ import annotations

import re

from django.test import Client

from traction.accounts import services as account_services
from traction.core.testing import images
from traction.core.testing.cast import Cast
from traction.sessions.customer_pages import TZ_COOKIE
from traction.voting import links
from traction.voting import services as voting
from traction.voting.tests.test_voting import Room, build_room

INTERNAL_WORDS = ["internal", "gatekeeper", "account owner", "candidate", "insight", "Traction"]


def test_the_ballot_shows_the_workspaces_name_logo_and_both_times(cast: Cast) -> None:
    room: Room = build_room(cast)
    voting.open_voting(cast.viewer("facilitator"), session=room.session)
    account_services.set_workspace_logo(cast.viewer("admin"), data=images.png())
    client = Client()
    client.cookies[TZ_COOKIE] = "Asia/Tokyo"
    # One token for the page and its logo (a token carries the second it was made).
    token = links.make_token(room.invitations["ian"].pk, room.ian.pk)
    body = client.get(f"/vote/{token}/").content.decode()
    assert '<span class="customer-brand-name">Acme</span>' in body
    logo = f"/vote/{token}/logo"
    assert f'<img src="{logo}?v=' in body
    assert client.get(logo).content == images.png()
    assert '<span class="muted">(UTC)</span>' in body  # the session's zone
    assert '<span class="muted">(Asia/Tokyo)</span>' in body  # the customer's
    text = re.sub(r"<[^>]+>", " ", body).lower()
    for word in INTERNAL_WORDS:
        assert word.lower() not in text, word


def test_a_voting_link_gets_its_own_workspaces_logo_and_a_tampered_one_none(cast: Cast) -> None:
    room = build_room(cast)
    account_services.set_workspace_logo(cast.viewer("stranger"), data=images.png(rgb=(9, 9, 9)))
    token = links.make_token(room.invitations["ian"].pk, room.ian.pk)
    client = Client()
    # Acme has no logo: Rival's is never served in its place.
    assert client.get(f"/vote/{token}/logo").status_code == 404
    assert client.get(f"/vote/{token[:-2]}xx/logo").status_code == 404
    account_services.set_workspace_logo(cast.viewer("admin"), data=images.png())
    assert client.get(f"/vote/{token}/logo").content == images.png()
