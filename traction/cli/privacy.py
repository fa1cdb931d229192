"""``traction privacy erase``: erase a customer contact's identity for good (admins)."""

from __future__ import annotations

import click

from traction.cli.base import domain_command, stored_text, viewer_for_email


@click.group()
def privacy() -> None:
    """Personal data: erase a contact's identity on request."""


@privacy.command("erase")
@click.argument("contact_id", type=click.IntRange(min=1, max=2**63 - 1))
@click.option(
    "--reason", required=True, callback=stored_text, help="Why, e.g. the person's request; kept."
)
@click.option("--as", "email", required=True, help="Act as this admin.")
@click.option("--workspace", "workspace_slug", help="The workspace (its slug), if several.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@domain_command
def privacy_erase(
    contact_id: int, reason: str, email: str, workspace_slug: str | None, yes: bool
) -> None:
    """Erase contact CONTACT_ID: name and email become "Erased contact N" everywhere they
    were stored (the audit trail included); title and notes are cleared. What they said,
    their votes and approvals stay. Cannot be undone."""
    from traction.customers import selectors, services

    viewer, where = viewer_for_email(email, workspace_slug)
    contact = selectors.contact(viewer, contact_id, action="contact.erase")
    if not yes:
        click.confirm(
            f"Erase {contact.name} <{contact.email}> of {contact.customer.name} in {where}? "
            "This cannot be undone",
            abort=True,
        )
    erased = services.erase_contact(viewer, contact=contact, reason=reason)
    click.echo(f"Contact {erased.pk} erased; it is now “{erased.name}”.")
