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
