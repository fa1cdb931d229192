"""The fixed test cast, built through services like a real workspace would be.

Acme (the workspace under test):
  alice  admin            fran   facilitator       cora  core team member of Onboarding
  sam    executive sponsor of Onboarding            owen  account owner of Globex
  olive  observer of Onboarding
Rival (another workspace): stan, its admin, "should have no access to Acme's stuff".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from traction.accounts import services as accounts
from traction.accounts.models import Membership, User, Workspace
from traction.core.permissions import Role, Viewer
from traction.customers import services as customers
from traction.customers.models import Contact, Customer
from traction.programs import services as programs
from traction.programs.models import Program

PASSWORD = "correct horse battery staple"  # noqa: S105 - the test cast's shared password

PRINCIPALS = [
    "admin",
    "facilitator",
    "core_team",
    "sponsor",
    "account_owner",
    "observer",
    "stranger",
    "anonymous",
]


@dataclass
class Cast:
    acme: Workspace
    rival: Workspace
    users: dict[str, User] = field(default_factory=dict)
    viewers: dict[str, Viewer] = field(default_factory=dict)
    # Objects in Acme
    program: Program | None = None  # Onboarding: sponsor sam, core team cora, observer olive
    other_program: Program | None = None  # nobody but admins/facilitators sees it
    customer: Customer | None = None  # Globex, owned by owen
    other_customer: Customer | None = None  # Initech, owned by nobody
    contact: Contact | None = None  # at Globex
    other_contact: Contact | None = None  # at Initech
    # Objects in Rival
    rival_program: Program | None = None
    rival_customer: Customer | None = None
    rival_contact: Contact | None = None

    def viewer(self, principal: str) -> Viewer:
        return self.viewers[principal]

    def membership(self, principal: str) -> Membership:
        return Membership.objects.get(user=self.users[principal])


def _user(email: str, name: str) -> User:
    return accounts.create_user(email=email, full_name=name, password=PASSWORD)


def build_cast() -> Cast:
    alice = _user("alice@acme.test", "Alice Admin")
    stan = _user("stan@rival.test", "Stan Stranger")
    acme = accounts.create_workspace(name="Acme", admin=alice)
    rival = accounts.create_workspace(name="Rival", admin=stan)
    cast = Cast(acme=acme, rival=rival)
    cast.users["admin"] = alice
    cast.users["stranger"] = stan
    for principal, email, name, role in [
        ("facilitator", "fran@acme.test", "Fran Facilitator", Role.FACILITATOR),
        ("core_team", "cora@acme.test", "Cora Core", Role.CORE_TEAM),
        ("sponsor", "sam@acme.test", "Sam Sponsor", Role.SPONSOR),
        ("account_owner", "owen@acme.test", "Owen Owner", Role.ACCOUNT_OWNER),
        ("observer", "olive@acme.test", "Olive Observer", Role.OBSERVER),
    ]:
        user = _user(email, name)
        accounts.add_member(None, workspace=acme, user=user, role=role)
        cast.users[principal] = user
    for principal, user in cast.users.items():
        ws = rival if principal == "stranger" else acme
        role = Membership.objects.get(user=user, workspace=ws).role
        cast.viewers[principal] = Viewer(user=user, workspace_id=ws.pk, role=role)

    fran = cast.viewers["facilitator"]
    cast.program = programs.create_program(
        fran,
        name="Effortless onboarding",
        goal="New mid-market customers pay their first invoice within a day of signing.",
        executive_sponsor_id=cast.users["sponsor"].pk,
        results_window_start=date(2027, 1, 1),
        results_window_end=date(2027, 9, 30),
        core_team_ids=[cast.users["core_team"].pk],
    )
    programs.set_core_team(
        fran, program=cast.program, user_ids=[cast.users["observer"].pk], kind="observer"
    )
    cast.other_program = programs.create_program(
        fran, name="Renewals", goal="Renewals without surprises."
    )
    cast.customer = customers.create_customer(
        fran,
        name="Globex",
        segment="mid_market",
        region="EMEA",
        account_owner_id=cast.users["account_owner"].pk,
    )
    cast.other_customer = customers.create_customer(
        fran, name="Initech", segment="enterprise", region="NA"
    )
    cast.contact = customers.add_contact(
        fran,
        customer=cast.customer,
        name="Gina Globex",
        email="gina@globex.test",
        consent_to_contact=True,
    )
    cast.other_contact = customers.add_contact(
        fran, customer=cast.other_customer, name="Ian Initech", email="ian@initech.test"
    )
    stan_v = cast.viewers["stranger"]
    cast.rival_program = programs.create_program(stan_v, name="Rival program", goal="Theirs.")
    cast.rival_customer = customers.create_customer(
        stan_v, name="Rival customer", segment="enterprise"
    )
    cast.rival_contact = customers.add_contact(
        stan_v, customer=cast.rival_customer, name="Rita Rival", email="rita@rival-customer.test"
    )
    return cast
