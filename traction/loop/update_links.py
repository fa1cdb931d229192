"""The signed link in an approval email (docs/loop.md, "Updates"): the account owner opens
the update and approves it without signing in, the signature being the credential.

The token is ``django.core.signing`` over the approval's id, the update version it asks
about, the account owner's user id and when it was issued (by ``core.clock``), with a salt
of its own. It is refused when tampered with, older than ``LIFETIME``, of a superseded
version, or once the approval moved to another account owner; a decided approval refuses
it too (single use).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from traction.core import clock
from traction.core.errors import NotFound, ValidationFailed
from traction.loop.models import Approval

SALT = "traction.loop.update-approval"
LIFETIME = timedelta(days=14)
INVALID = "This approval link is not valid. Open the update in Traction instead."


def make_token(approval: Approval) -> str:
    issued = int(clock.now().timestamp())
    return signing.dumps(
        {"a": approval.pk, "v": approval.version, "u": approval.account_owner_id, "t": issued},
        salt=SALT,
        compress=True,
    )


def url_for(approval: Approval, workspace_slug: str) -> str:
    path = reverse("loop:update-approval-link", args=[workspace_slug, make_token(approval)])
    return settings.TRACTION_SITE_URL.rstrip("/") + path


def named(token: str) -> tuple[Approval | None, int | None]:
    """The approval and owner a well-signed token names, valid or not (None, None when it
    was tampered with): for auditing a refusal on the approval it names."""
    try:
        data = signing.loads(token, salt=SALT)
        approval_id, owner = int(data["a"]), int(data["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None, None
    found = Approval.objects.filter(subject_kind="update", pk=approval_id).first()
    return found, owner if found is not None else None


def open_link(token: str) -> tuple[Approval, int]:
    """(the approval, the owner's user id) a valid token speaks for; NotFound when it was
    tampered with, ValidationFailed (saying why) when it expired, was superseded or moved."""
    try:
        data = signing.loads(token, salt=SALT)
        approval_id, version, owner, issued = (
            int(data["a"]),
            int(data["v"]),
            int(data["u"]),
            int(data["t"]),
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise NotFound(INVALID) from None
    found = (
        Approval.objects.filter(subject_kind="update", pk=approval_id)
        .select_related("update", "customer", "update__program")
        .first()
    )
    if found is None:
        raise NotFound(INVALID)
    if clock.now() - datetime.fromtimestamp(issued, tz=UTC) > LIFETIME:
        raise ValidationFailed.field(
            "__all__",
            "This approval link has expired. Open the update in Traction to approve it.",
        )
    if found.superseded_at is not None or found.version != version:
        raise ValidationFailed.field(
            "__all__",
            "The update changed since this link was sent; use the link in the newest email.",
        )
    if found.account_owner_id != owner:
        raise ValidationFailed.field(
            "__all__", "This approval was moved to another account owner; the link no longer works."
        )
    return found, owner
