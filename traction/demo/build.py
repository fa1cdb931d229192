"""Northwind Software: a B2B invoicing-software company making onboarding effortless.

The demo is built as a list of steps (``STEPS``), each a function taking the ``Demo`` being
built. Every write goes through the services, so the audit trail tells the story too.
Later areas of the flow (sessions, insights, debriefs, updates) add their own step at the
end of ``STEPS``, reading what earlier steps left in ``Demo`` (people, customers, programs).

Everything is deterministic: fixed names and values, dates relative to the day it is built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from traction.accounts import services as accounts
from traction.accounts.models import User, Workspace
from traction.core.errors import Conflict
from traction.core.permissions import Role, Viewer
from traction.customers import services as customers
from traction.customers.models import Customer
from traction.programs import services as programs
from traction.programs.models import Program, ProgramStatus

DEMO_SLUG = "northwind"
DEMO_NAME = "Northwind Software"
DEMO_EMAIL_DOMAIN = "northwind.example"
DEMO_PASSWORD = "traction-demo"  # noqa: S105 -- printed to everyone on purpose: demo only


class DemoExists(Conflict):
    """The demo workspace is already there; rebuilding it needs an explicit reset."""


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


@dataclass(frozen=True)
class ContactSpec:
    name: str
    email: str
    title: str
    consent: bool
    channel: str = "email"
    cadence: str = "as_needed"
    notes: str = ""


@dataclass(frozen=True)
class CustomerSpec:
    name: str
    segment: str
    size: str
    region: str
    owner: str  # a Person key
    notes: str
    contacts: list[ContactSpec]


CUSTOMERS = [
    CustomerSpec(
        "Brightwater Logistics",
        "mid_market",
        "250-999",
        "EMEA",
        "owner",
        "Dutch 3PL, customer since 2023. Onboarding took seven weeks; their finance team "
        "still exports invoices to a spreadsheet to check VAT.",
        [
            ContactSpec(
                "Marieke de Vries",
                "marieke.devries@brightwater.example",
                "Head of Finance",
                True,
                "video",
                "monthly",
                "Prefers Tuesday mornings CET.",
            ),
            ContactSpec(
                "Joris Bakker", "joris.bakker@brightwater.example", "Accounts Receivable Lead", True
            ),
        ],
    ),
    CustomerSpec(
        "Cobalt Dental Group",
        "mid_market",
        "50-249",
        "North America",
        "owner2",
        "Chain of 40 dental clinics. Signed last quarter; first invoice run slipped by two weeks "
        "because of a payment-terms mapping problem.",
        [
            ContactSpec(
                "Dana Whitfield",
                "dana.whitfield@cobaltdental.example",
                "Controller",
                True,
                "email",
                "monthly",
            ),
            ContactSpec(
                "Luis Romero",
                "luis.romero@cobaltdental.example",
                "Practice Operations Manager",
                False,
                notes="Ask Omar before any contact: renewal talks under way.",
            ),
        ],
    ),
    CustomerSpec(
        "Helios Energy Cooperative",
        "enterprise",
        "1000-4999",
        "EMEA",
        "owner",
        "German energy cooperative, 1,800 staff. Strategic account; very direct feedback.",
        [
            ContactSpec(
                "Katrin Vogel",
                "katrin.vogel@helios-energy.example",
                "CFO",
                True,
                "video",
                "quarterly",
                "Executive contact: keep updates short.",
            ),
            ContactSpec(
                "Stefan Braun",
                "stefan.braun@helios-energy.example",
                "ERP Integration Architect",
                True,
            ),
            ContactSpec(
                "Aylin Demir",
                "aylin.demir@helios-energy.example",
                "Billing Specialist",
                True,
                "portal",
                "monthly",
            ),
        ],
    ),
    CustomerSpec(
        "Juniper & Finch Architects",
        "small_business",
        "1-49",
        "EMEA",
        "owner",
        "London studio of 22. Self-serve signup, upgraded after three months.",
        [
            ContactSpec(
                "Harriet Finch",
                "harriet@juniperfinch.example",
                "Managing Partner",
                True,
                "email",
                "quarterly",
            ),
        ],
    ),
    CustomerSpec(
        "Kestrel Freight Systems",
        "mid_market",
        "250-999",
        "APAC",
        "owner",
        "Freight forwarder in Singapore and Sydney; invoices in four currencies.",
        [
            ContactSpec(
                "Wei Ling Tan",
                "weiling.tan@kestrelfreight.example",
                "Finance Director",
                True,
                "video",
                "monthly",
                "Time zone SGT: afternoons in Europe do not work.",
            ),
            ContactSpec(
                "Mark O'Connor", "mark.oconnor@kestrelfreight.example", "IT Manager", False
            ),
        ],
    ),
    CustomerSpec(
        "City of Lakemont",
        "public_sector",
        "1000-4999",
        "North America",
        "owner2",
        "Municipal finance department; procurement rules limit what we may promise.",
        [
            ContactSpec(
                "Gloria Hayes",
                "gloria.hayes@lakemont.example",
                "Deputy Finance Director",
                True,
                "email",
                "quarterly",
                "All communication in writing, copied to procurement.",
            ),
        ],
    ),
    CustomerSpec(
        "Meridian Health Partners",
        "enterprise",
        "5000+",
        "North America",
        "owner2",
        "Hospital network. Large rollout planned; onboarding is their main worry.",
        [
            ContactSpec(
                "Priya Raman",
                "priya.raman@meridianhealth.example",
                "VP Revenue Cycle",
                True,
                "video",
                "monthly",
            ),
            ContactSpec(
                "Tom Becker",
                "tom.becker@meridianhealth.example",
                "Billing Systems Analyst",
                True,
                "email",
                "as_needed",
            ),
        ],
    ),
]


@dataclass
class Demo:
    """What the steps have built so far; later steps read it and add to it."""

    today: date
    workspace: Workspace | None = None
    users: dict[str, User] = field(default_factory=dict)
    viewers: dict[str, Viewer] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    programs: dict[str, Program] = field(default_factory=dict)

    def viewer(self, key: str) -> Viewer:
        return self.viewers[key]


def _months_ahead(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s month."""
    month_index = day.year * 12 + day.month - 1 + months
    return date(month_index // 12, month_index % 12 + 1, 1)


# --- steps ----------------------------------------------------------------------------------


def add_people(demo: Demo) -> None:
    """The workspace, with Ana as its first admin, and everyone else as members."""
    for person in PEOPLE:
        demo.users[person.key] = accounts.create_user(
            email=person.email, full_name=person.name, password=DEMO_PASSWORD
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


def add_customers(demo: Demo) -> None:
    """Customer organisations across segments and regions, with their contacts."""
    felix = demo.viewer("facilitator")
    for spec in CUSTOMERS:
        customer = customers.create_customer(
            felix,
            name=spec.name,
            segment=spec.segment,
            size=spec.size,
            region=spec.region,
            account_owner_id=demo.users[spec.owner].pk,
            notes=spec.notes,
        )
        for c in spec.contacts:
            customers.add_contact(
                felix,
                customer=customer,
                name=c.name,
                email=c.email,
                title=c.title,
                consent_to_contact=c.consent,
                preferred_channel=c.channel,
                update_cadence=c.cadence,
                communication_notes=c.notes,
            )
        demo.customers[spec.name] = customer


def add_programs(demo: Demo) -> None:
    """The running onboarding program, and a renewals program still being planned."""
    felix = demo.viewer("facilitator")
    onboarding = programs.create_program(
        felix,
        name="Effortless onboarding for mid-market customers",
        goal=(
            "New mid-market customers send their first invoice within one day of signing and "
            "get paid without calling support."
        ),
        executive_sponsor_id=demo.users["sponsor"].pk,
        status=ProgramStatus.ACTIVE,
        results_window_start=_months_ahead(demo.today, 3),
        results_window_end=_months_ahead(demo.today, 12),
        core_team_ids=[demo.users[k].pk for k in ("product", "support", "finance")],
    )
    programs.set_core_team(
        felix,
        program=onboarding,
        user_ids=[demo.users[k].pk for k in ("observer", "owner", "owner2")],
        kind="observer",
    )
    renewals = programs.create_program(
        felix,
        name="Renewals without surprises",
        goal="Enterprise customers see the value they got and the renewal terms 90 days ahead.",
        executive_sponsor_id=demo.users["sponsor"].pk,
        status=ProgramStatus.PLANNING,
        core_team_ids=[demo.users["finance"].pk],
    )
    demo.programs = {"onboarding": onboarding, "renewals": renewals}


Step = Callable[[Demo], None]

# Later areas append their step here (e.g. sessions, insights, debrief, loop), in flow order.
STEPS: list[Step] = [add_people, add_customers, add_programs]


# --- entry points ---------------------------------------------------------------------------


def demo_exists() -> bool:
    return Workspace.objects.filter(slug=DEMO_SLUG).exists()


@transaction.atomic
def build_demo(*, today: date | None = None) -> Demo:
    """Build the demo workspace; refuses (DemoExists) when it is already there."""
    if demo_exists():
        raise DemoExists(
            f"The demo workspace '{DEMO_SLUG}' already exists. "
            "Use --reset to delete and rebuild it."
        )
    demo = Demo(today=today or date.today())
    for step in STEPS:
        step(demo)
    return demo


@transaction.atomic
def remove_demo() -> None:
    """Delete the demo workspace (everything in it, its audit trail) and the demo users."""
    Workspace.objects.filter(slug=DEMO_SLUG).delete()
    User.objects.filter(email__endswith="@" + DEMO_EMAIL_DOMAIN).delete()
