"""Personal RSVP links: signed, bound to one invitation and its contact, expiring at session end.

The link needs no account. Its token is ``django.core.signing`` over the invitation and the
contact ids, so one contact's link cannot answer for another, and any change to it breaks
the signature.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from traction.core.errors import NotFound

SALT = "traction.sessions.rsvp"


def make_token(invitation_id: int, contact_id: int) -> str:
    return signing.dumps({"i": invitation_id, "c": contact_id}, salt=SALT, compress=True)


def read_token(token: str) -> tuple[int, int]:
    """(invitation id, contact id), or NotFound with a message for a tampered token."""
    try:
        data = signing.loads(token, salt=SALT)
        return int(data["i"]), int(data["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise NotFound(
            "This RSVP link is not valid. Use the link from your invitation email as it is, "
            "or ask the organiser for a new one."
        ) from None


def url_for(invitation_id: int, contact_id: int) -> str:
    path = reverse("rsvp", args=[make_token(invitation_id, contact_id)])
    return settings.TRACTION_SITE_URL.rstrip("/") + path
