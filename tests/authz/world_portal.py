"""The portal's objects in the authorization world: a portal link for a contact of each of
Acme's Globex (owned by Owen: ``link_id``, ``portal_token``), Rival's customer, and Acme's
Initech (owned by the admin: outside Owen's scope)."""

from __future__ import annotations

from typing import Any

from traction.core.testing.cast import Cast

KEYS = ("link_id", "portal_token")


def _objects(contact: Any) -> dict[str, Any]:
    from traction.portal import services

    url = services.issue_link_for_demo(contact)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    return {"link_id": int(token.split(".", 1)[0]), "portal_token": token}


def extend(cast: Cast, world: Any) -> None:
    world.acme.update(_objects(cast.contact))
    world.rival.update(_objects(cast.rival_contact))
    world.hidden.update(_objects(cast.other_contact))
