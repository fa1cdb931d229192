"""The signed link in an approval email (docs/loop.md, "Updates" and "Statuses"): the
account owner opens what they are asked to approve (an update, or a priority's proposed
status) and approves it without signing in, the signature being the credential.

The token is ``django.core.signing`` over the approval's id, what it asks about (the
update's version; the status proposal), the account owner's user id and when it was issued
(by ``core.clock``), with a salt of its own per kind of approval (a status link never opens
as an update's, nor the other way round). It is refused when tampered with, older than
``LIFETIME``, superseded (a newer version of the update, a newer proposal of the status),
or once the approval moved to another account owner; a decided approval refuses it too
(single use).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from traction.core import clock
from traction.core.errors import NotFound, ValidationFailed
from traction.loop.models import Approval

LIFETIME = timedelta(days=14)


@dataclass(frozen=True)
class Kind:
    """What differs between the links of the two kinds of approval."""

    name: str  # Approval.subject_kind
    salt: str
    route: str
    invalid: str
    expired: str
    superseded: str
    related: tuple[str, ...]


KINDS = {
    "update": Kind(
        name="update",
        salt="traction.loop.update-approval",
        route="loop:update-approval-link",
        invalid="This approval link is not valid. Open the update in Traction instead.",
        expired="This approval link has expired. Open the update in Traction to approve it.",
        superseded="The update changed since this link was sent; use the link in the newest email.",
        related=("update", "customer", "update__program"),
    ),
    "status": Kind(
        name="status",
        salt="traction.loop.status-approval",
        route="loop:status-approval-link",
        invalid="This approval link is not valid. Open the program's priorities in Traction "
        "instead.",
        expired="This approval link has expired. Open the program's priorities in Traction to "
        "approve it.",
        superseded="A newer status was proposed for this priority since this link was sent; "
        "use the link in the newest email.",
        related=("status", "status__priority", "customer", "program"),
    ),
}
MOVED = "This approval was moved to another account owner; the link no longer works."
INVALID = KINDS["update"].invalid


def _asks(approval: Approval) -> int:
    """What the link asks about: the update's version, or the status proposal."""
    if approval.subject_kind == "status":
        return int(approval.status_id or 0)
    return int(approval.version or 0)


def make_token(approval: Approval) -> str:
    issued = int(clock.now().timestamp())
    return signing.dumps(
        {"a": approval.pk, "v": _asks(approval), "u": approval.account_owner_id, "t": issued},
        salt=KINDS[approval.subject_kind].salt,
        compress=True,
    )


def url_for(approval: Approval, workspace_slug: str) -> str:
    kind = KINDS[approval.subject_kind]
    path = reverse(kind.route, args=[workspace_slug, make_token(approval)])
    return settings.TRACTION_SITE_URL.rstrip("/") + path


def _load(token: str, kind: Kind) -> tuple[int, int, int, int] | None:
    try:
        data = signing.loads(token, salt=kind.salt)
        return int(data["a"]), int(data["v"]), int(data["u"]), int(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def named(token: str, kind: str = "update") -> tuple[Approval | None, int | None]:
    """The approval and owner a well-signed token names, valid or not (None, None when it
    was tampered with): for auditing a refusal on the approval it names."""
    data = _load(token, KINDS[kind])
    if data is None:
        return None, None
    approval_id, _asked, owner, _issued = data
    found = Approval.objects.filter(subject_kind=kind, pk=approval_id).first()
    return found, owner if found is not None else None


def _superseded(found: Approval, asked: int) -> bool:
    if found.subject_kind == "status":
        return found.status is None or found.status.archived_at is not None or asked != _asks(found)
    return found.superseded_at is not None or found.version != asked


def open_link(token: str, kind: str = "update") -> tuple[Approval, int]:
    """(the approval, the owner's user id) a valid token speaks for; NotFound when it was
    tampered with, ValidationFailed (saying why) when it expired, was superseded or moved."""
    spec = KINDS[kind]
    data = _load(token, spec)
    if data is None:
        raise NotFound(spec.invalid)
    approval_id, asked, owner, issued = data
    found = (
        Approval.objects.filter(subject_kind=kind, pk=approval_id)
        .select_related(*spec.related)
        .first()
    )
    if found is None:
        raise NotFound(spec.invalid)
    if clock.now() - datetime.fromtimestamp(issued, tz=UTC) > LIFETIME:
        raise ValidationFailed.field("__all__", spec.expired)
    if _superseded(found, asked):
        raise ValidationFailed.field("__all__", spec.superseded)
    if found.account_owner_id != owner:
        raise ValidationFailed.field("__all__", MOVED)
    return found, owner


__all__ = [
    "INVALID",
    "KINDS",
    "LIFETIME",
    "MOVED",
    "Kind",
    "make_token",
    "named",
    "open_link",
    "url_for",
]
