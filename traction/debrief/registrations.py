"""Everything the debrief app plugs into the kernel and lower apps (navigation, sections,
figures, event handlers, webhook event types), gathered by area so that each area of the app
registers its own (``AppConfig.ready`` calls ``register_all``)."""

from __future__ import annotations


def register_all() -> None:
    from . import handlers

    handlers.register()
