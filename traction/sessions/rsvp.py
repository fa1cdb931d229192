"""Personal links bound to one invitation and its contact, and the RSVP link built on them.

The link needs no account. Its token is ``django.core.signing`` over the invitation and the
contact ids with a salt of its own per purpose, so one contact's link cannot answer for
another, a link for one purpose (RSVP) does not open another (voting, in insights), and any
change to it breaks the signature.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from traction.core.errors import NotFound
from traction.core.permissions import CustomerPrincipal


@dataclass(frozen=True)
class InvitationLink:
    """Signed tokens for one purpose: ``salt`` keeps purposes apart, ``invalid`` is what a
    tampered token is told, ``url_name`` the route that takes the token."""

    salt: str
    invalid: str
    url_name: str
    gone: str = "This invitation no longer exists."

    def make_token(self, invitation_id: int, contact_id: int) -> str:
        return signing.dumps({"i": invitation_id, "c": contact_id}, salt=self.salt, compress=True)

    def read_token(self, token: str) -> tuple[int, int]:
        """(invitation id, contact id), or NotFound with a message for a tampered token."""
        try:
            data = signing.loads(token, salt=self.salt)
            return int(data["i"]), int(data["c"])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise NotFound(self.invalid) from None

    def principal(self, token: str) -> CustomerPrincipal:
        """The customer contact a verified token speaks for (see ``customer_principal``);
        NotFound with ``invalid`` for a tampered token, ``RETIRED`` once the contact (or
        their customer) is archived or erased."""
        invitation_id, contact_id = self.read_token(token)
        try:
            return customer_principal(invitation_id, contact_id)
        except ContactRetired:
            raise NotFound(RETIRED) from None
        except NotFound:
            raise NotFound(self.gone) from None

    def url_for(self, invitation_id: int, contact_id: int) -> str:
        path = reverse(self.url_name, args=[self.make_token(invitation_id, contact_id)])
        return settings.TRACTION_SITE_URL.rstrip("/") + path


RETIRED = (
    "This link no longer works. If you still want to take part, ask the organiser for a new "
    "invitation."
)


class ContactRetired(NotFound):
    """The link's contact, or their customer, is archived (an erased contact is archived
    too): the person may have left, or asked to be forgotten, so the link speaks for
    nobody, as a portal link does (``portal.services``)."""


def customer_principal(invitation_id: int, contact_id: int) -> CustomerPrincipal:
    """Who is asking through an invitation link: the contact, bound to the invitation and
    its session, for the policy to decide what they may see and do. This only reads the
    invitation's workspace and session and whether the contact still stands; it checks
    nothing else itself.

    NotFound when the invitation is gone (or is not this contact's); ContactRetired when
    the contact or their customer is archived or erased (restoring them revives the link).
    """
    from traction.sessions.models import Invitation

    row = (
        Invitation.objects.filter(pk=invitation_id, contact_id=contact_id)
        .values(
            "workspace_id",
            "session_id",
            "contact__archived_at",
            "contact__customer__archived_at",
        )
        .first()
    )
    if row is None:
        raise NotFound("This invitation no longer exists.")
    if row["contact__archived_at"] is not None or row["contact__customer__archived_at"] is not None:
        raise ContactRetired(RETIRED)
    return CustomerPrincipal(
        contact_id=contact_id,
        workspace_id=row["workspace_id"],
        invitation_id=invitation_id,
        session_id=row["session_id"],
    )


SALT = "traction.sessions.rsvp"
RSVP = InvitationLink(
    salt=SALT,
    invalid=(
        "This RSVP link is not valid. Use the link from your invitation email as it is, "
        "or ask the organiser for a new one."
    ),
    url_name="rsvp",
)
make_token = RSVP.make_token
read_token = RSVP.read_token
url_for = RSVP.url_for
