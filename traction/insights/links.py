"""Personal voting links: signed, bound to one invitation and its contact.

Like the RSVP link (``traction.sessions.rsvp``), the token is ``django.core.signing`` over the
invitation and contact ids with its own salt, so an RSVP token does not open the ballot and
one customer's link cannot vote for another.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from traction.core.errors import NotFound

SALT = "traction.insights.vote"


def make_token(invitation_id: int, contact_id: int) -> str:
    return signing.dumps({"i": invitation_id, "c": contact_id}, salt=SALT, compress=True)


def read_token(token: str) -> tuple[int, int]:
    """(invitation id, contact id), or NotFound with a message for a tampered token."""
    try:
        data = signing.loads(token, salt=SALT)
        return int(data["i"]), int(data["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise NotFound(
            "This voting link is not valid. Use the link the facilitator shared with you as it "
            "is, or ask them for a new one."
        ) from None


def url_for(invitation_id: int, contact_id: int) -> str:
    path = reverse("vote", args=[make_token(invitation_id, contact_id)])
    return settings.TRACTION_SITE_URL.rstrip("/") + path
