"""Tiny template helpers for the web UI. No rules here: they only read what views pass in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()


@register.filter
def lookup(mapping: Mapping[str, Any] | None, key: str) -> Any:
    """``{{ nav|lookup:"program.view" }}``: dict keys with dots, which ``.`` cannot reach."""
    if not mapping:
        return None
    return mapping.get(key)


# The outreach pages an account owner reaches from Approvals: the navigation marks Approvals.
APPROVAL_PAGES = frozenset(
    {"approvals", "outreach_detail", "outreach_decide", "outreach_waive", "outreach_withdraw"}
)


@register.filter
def approval_page(url_name: str | None) -> bool:
    """``{{ url_name|approval_page }}``: the page belongs to the Approvals tab (not Sessions)."""
    return url_name in APPROVAL_PAGES
