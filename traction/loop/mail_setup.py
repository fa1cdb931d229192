"""What delivery, subscriptions and the portal's loop panels register (called from
``loop.registrations.register_all``): the periodic delivery job, the update page's
"Delivery" section and the contact page's "What they hear" section. (The portal, above
this app, registers the panels "Updates to you" and "Your priorities": portal/panels.py.)"""

from __future__ import annotations


def register() -> None:
    from traction.core import events, periodic, sections

    from . import mail_selectors, mailer
    from .services import bounces

    periodic.register(
        "loop.updates_mail",
        mailer.run,
        description="Send updates' messages that are due (queued, or failed and due for "
        "another try); count messages whose outcome is unknown.",
        order=45,
    )
    sections.register(
        "loop-update",
        "delivery",
        template="loop/sections/update_delivery.html",
        action="loop.mail",
        context=mail_selectors.delivery_section,
        order=20,
    )
    sections.register(
        "contact",
        "loop-hears",
        template="loop/sections/contact_mail.html",
        action="loop.subscriptions",
        context=mail_selectors.contact_section,
        order=60,
    )
    sections.register(
        "workspace-settings",
        "loop-bounces",
        template="loop/sections/bounce_settings.html",
        action="loop.bounce_inbox",
        context=bounces.settings_section,
        order=50,
    )
    events.subscribe("contact.erased", bounces.forget_erased_contact)
