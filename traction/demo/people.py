"""The demo's people: Northwind's staff (``PEOPLE``) and the step that creates them, the
workspace (with Ana as its first admin) and everyone else's membership.
"""

from __future__ import annotations

from dataclasses import dataclass

from traction.accounts import services as accounts
from traction.core.permissions import Role, Viewer

from .common import DEMO_NAME, DEMO_SLUG, Demo


@dataclass(frozen=True)
class Person:
    key: str  # how steps refer to this person
    email: str
    name: str
    role: str
    title: str  # job title, for the story (users have no title field yet)


PEOPLE = [
    Person(
        "admin",
        "ana.admin@northwind.example",
        "Ana Alvarez",
        Role.ADMIN,
        "Head of Customer Operations",
    ),
    Person(
        "facilitator",
        "felix.facilitator@northwind.example",
        "Felix Fischer",
        Role.FACILITATOR,
        "Customer Experience Lead",
    ),
    Person(
        "facilitator2",
        "fatima.facilitator@northwind.example",
        "Fatima Farouk",
        Role.FACILITATOR,
        "Customer Research Manager",
    ),
    Person(
        "product",
        "paul.product@northwind.example",
        "Paul Petersen",
        Role.CORE_TEAM,
        "Product Manager, Onboarding",
    ),
    Person(
        "support",
        "sofia.support@northwind.example",
        "Sofia Santos",
        Role.CORE_TEAM,
        "Support Team Lead",
    ),
    Person(
        "finance",
        "finn.finance@northwind.example",
        "Finn Fraser",
        Role.CORE_TEAM,
        "Finance Operations Manager",
    ),
    Person(
        "sponsor",
        "vera.sponsor@northwind.example",
        "Vera Volkova",
        Role.SPONSOR,
        "VP Customer Success",
    ),
    Person(
        "owner",
        "oscar.owner@northwind.example",
        "Oscar Okafor",
        Role.ACCOUNT_OWNER,
        "Account Executive, EMEA and APAC",
    ),
    Person(
        "owner2",
        "omar.owner@northwind.example",
        "Omar Ortega",
        Role.ACCOUNT_OWNER,
        "Account Executive, North America",
    ),
    Person(
        "observer",
        "olivia.observer@northwind.example",
        "Olivia Olsen",
        Role.OBSERVER,
        "Marketing Analyst",
    ),
]


def add_people(demo: Demo) -> None:
    """The workspace, with Ana as its first admin, and everyone else as members."""
    for person in PEOPLE:
        demo.users[person.key] = accounts.create_user(
            email=person.email, full_name=person.name, password=demo.password
        )
    workspace = accounts.create_workspace(name=DEMO_NAME, admin=demo.users["admin"], slug=DEMO_SLUG)
    demo.workspace = workspace
    for person in PEOPLE:
        viewer = Viewer(user=demo.users[person.key], workspace_id=workspace.pk, role=person.role)
        demo.viewers[person.key] = viewer
        if person.key != "admin":
            accounts.add_member(
                demo.viewer("admin"),
                workspace=workspace,
                user=demo.users[person.key],
                role=person.role,
            )
