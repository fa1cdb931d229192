"""The signed links an update's email carries (docs/loop.md, "Email delivery").

Each link is single-purpose and names its message (``UpdateRecipient``): an unsubscribe link
names its scope and target (these priorities, this program, all mail), a "did it work for
you?" link names one delivered priority and an answer. They are signed with the site's key
(``django.core.signing``), each kind with its own salt, so a feedback link is no unsubscribe
link and a link edited by hand opens nothing. They do not expire: an unsubscribe link in a
year-old message must still work.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

UNSUBSCRIBE_SALT = "traction.loop.unsubscribe"
FEEDBACK_SALT = "traction.loop.feedback"
SCOPES = ("priority", "program", "all")
ANSWERS = ("yes", "partly", "no")


class BadLink(Exception):
    """A link that was tampered with, or is of another kind."""


@dataclass(frozen=True)
class UnsubscribeLink:
    recipient_id: int
    scope: str  # "priority" (``targets``: priority ids), "program" (its id), "all"
    targets: tuple[int, ...] = ()


@dataclass(frozen=True)
class FeedbackLink:
    recipient_id: int
    priority_id: int


def absolute(path: str) -> str:
    return settings.TRACTION_SITE_URL.rstrip("/") + path


def unsubscribe_token(recipient_id: int, scope: str, targets: tuple[int, ...] = ()) -> str:
    if scope not in SCOPES:
        raise ValueError(f"Unknown unsubscribe scope {scope!r}.")
    return signing.dumps(
        {"r": recipient_id, "s": scope, "t": list(targets)}, salt=UNSUBSCRIBE_SALT, compress=True
    )


def read_unsubscribe(token: str) -> UnsubscribeLink:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        link = UnsubscribeLink(
            int(data["r"]), str(data["s"]), tuple(int(t) for t in data.get("t", []))
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadLink() from exc
    if link.scope not in SCOPES or (link.scope != "all" and not link.targets):
        raise BadLink()
    return link


def feedback_token(recipient_id: int, priority_id: int) -> str:
    return signing.dumps({"r": recipient_id, "p": priority_id}, salt=FEEDBACK_SALT)


def read_feedback(token: str) -> FeedbackLink:
    try:
        data = signing.loads(token, salt=FEEDBACK_SALT)
        return FeedbackLink(int(data["r"]), int(data["p"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadLink() from exc


def unsubscribe_url(token: str) -> str:
    return absolute(reverse("loop_public:unsubscribe", args=[token]))


def one_click_url(token: str) -> str:
    """RFC 8058's one-click POST target (the List-Unsubscribe header)."""
    return absolute(reverse("loop_public:unsubscribe_one_click", args=[token]))


def feedback_url(token: str, answer: str) -> str:
    return absolute(reverse("loop_public:feedback", args=[token])) + f"?answer={answer}"


def portal_update_url(update_id: int) -> str:
    """The update's page in the customer portal (the portal app's route, by name)."""
    return absolute(reverse("portal:update", args=[update_id]))
