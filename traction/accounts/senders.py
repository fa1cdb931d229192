"""How mail to a workspace's customers is signed (docs/accounts.md, "Workspace settings"):
the workspace's sender name (by default its name) beside Traction's sending address
(``DEFAULT_FROM_EMAIL``: the address stays ours, so SPF and DKIM keep passing), and the
workspace's reply-to address when an admin set one."""

from __future__ import annotations

from email.utils import formataddr, parseaddr

from django.conf import settings

from .models import Workspace


def from_address(workspace: Workspace) -> str:
    """``"<sender name>" <DEFAULT_FROM_EMAIL's address>``."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((workspace.sender_display_name, address))


def reply_to(workspace: Workspace) -> list[str]:
    """The workspace's reply-to address as a Reply-To list ([] when none is set)."""
    if not workspace.reply_to:
        return []
    return [formataddr((workspace.sender_display_name, workspace.reply_to))]
