"""The portal's panels: what the portal's home shows, one registered panel each.

Panels are ``core.sections`` sections of the page ``"portal-home"``, asked with the portal
principal: ``sections.for_page("portal-home", principal, None)``. An app above the portal
(the loop app: "Your priorities and their status", "Updates to you") registers its panels in
its ``AppConfig.ready`` with an action that grants ``customer=OWN``; a panel whose action
does not grant customers is never shown on the portal (``permissions.allows``), and its
``context`` must read through the policy with the principal it is given.
"""

from __future__ import annotations

from traction.core import sections

PAGE = "portal-home"


def register_loop() -> None:
    """The loop's panels: "Updates to you" and "Your priorities" (the portal sits above the
    loop app, so it registers them; their reads are the loop's, with the principal)."""
    from traction.loop import mail_selectors

    sections.register(
        PAGE,
        "loop-updates",
        template="portal/panel_loop_updates.html",
        action="loop.portal_update",
        context=mail_selectors.updates_panel,
        order=5,
    )
    sections.register(
        PAGE,
        "loop-priorities",
        template="portal/panel_loop_priorities.html",
        action="loop.portal_priority",
        context=mail_selectors.priorities_panel,
        order=15,
    )


def register_builtin() -> None:
    from . import behalf, selectors

    sections.register(
        PAGE,
        "votes",
        template="portal/panel_votes.html",
        action="portal.vote",
        context=selectors.votes_panel,
        order=10,
    )
    sections.register(
        PAGE,
        "behalf",
        template="portal/panel_behalf.html",
        action="behalf.vote.withdraw",
        context=behalf.panel,
        order=12,
    )
    sections.register(
        PAGE,
        "sessions",
        template="portal/panel_sessions.html",
        action="portal.session",
        context=selectors.sessions_panel,
        order=20,
    )
    sections.register(
        PAGE,
        "contributions",
        template="portal/panel_contributions.html",
        action="portal.contribution",
        context=selectors.contributions_panel,
        order=30,
    )
