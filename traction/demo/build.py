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
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.test.utils import override_settings

from traction.accounts import services as accounts
from traction.accounts.models import User, Workspace
from traction.core.errors import Conflict
from traction.core.permissions import Role, Viewer
from traction.customers import services as customers
from traction.customers.models import Contact, Customer
from traction.programs import services as programs
from traction.programs.models import Program, ProgramStatus
from traction.sessions import services as sessions
from traction.sessions.models import OutreachRequest, Session, SessionKind

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
    sessions: dict[str, Session] = field(default_factory=dict)

    def viewer(self, key: str) -> Viewer:
        return self.viewers[key]

    @property
    def viewers_by_id(self) -> dict[int, Viewer]:
        return {v.user_id: v for v in self.viewers.values()}


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


def _at(day: date, days: int, hour: int, minute: int = 0) -> datetime:
    """A naive wall-clock time ``days`` after ``day``; services read it in the session's zone."""
    return datetime.combine(day + timedelta(days=days), time(hour, minute))


def _contact(demo: Demo, customer: str, index: int = 0) -> Contact:
    return list(demo.customers[customer].contacts.order_by("id"))[index]


def _owner(demo: Demo, request: OutreachRequest) -> Viewer:
    """The account owner who decides ``request``, as a viewer."""
    assert request.account_owner_id is not None
    return demo.viewers_by_id[request.account_owner_id]


def add_sessions(demo: Demo) -> None:
    """Sessions in every state: one held, one being prepared (with its practice session),
    one just planned, one cancelled; outreach approved, with conditions, pending, declined,
    waived; invitations accepted, declined and unanswered; briefings; top questions."""
    felix, ana = demo.viewer("facilitator"), demo.viewer("admin")
    onboarding = demo.programs["onboarding"]
    berlin = "Europe/Berlin"

    # Being prepared: the main co-design session in ten days, rehearsed in three.
    codesign = sessions.plan_session(
        felix,
        program=onboarding,
        title="Co-design: the first invoice within a day",
        starts_at=_at(demo.today, 10, 9),
        ends_at=_at(demo.today, 10, 12, 30),
        time_zone=berlin,
        location="Northwind office, Torstraße 12, Berlin — room Hopper",
        video_link="https://meet.northwind.example/codesign-onboarding",
    )
    practice = sessions.plan_session(
        felix,
        program=onboarding,
        kind=SessionKind.PRACTICE,
        title="Practice for the onboarding co-design session",
        starts_at=_at(demo.today, 3, 14),
        ends_at=_at(demo.today, 3, 15, 30),
        time_zone=berlin,
        video_link="https://meet.northwind.example/practice",
    )
    sessions.link_practice(felix, session=codesign, practice=practice)
    roles = [
        ("facilitator", "facilitator"),
        ("facilitator2", "junior_facilitator"),
        ("product", "note_taker"),
        ("support", "note_taker"),
        ("sponsor", "executive"),
        ("observer", "observer"),
    ]
    for key, role in roles:
        sessions.add_participant(felix, session=codesign, user_id=demo.users[key].pk, role=role)
    for key in ("facilitator", "product", "sponsor"):
        participant = codesign.participants.get(user=demo.users[key])
        sessions.acknowledge_briefing(demo.viewer(key), participant=participant)

    requests = {}
    for customer, index in [
        ("Brightwater Logistics", 0),
        ("Cobalt Dental Group", 0),
        ("Helios Energy Cooperative", 0),
        ("Kestrel Freight Systems", 0),
        ("Meridian Health Partners", 0),
    ]:
        contact = _contact(demo, customer, index)
        if not contact.consent_to_contact:
            continue
        requests[contact.name] = sessions.request_outreach(
            felix,
            session=codesign,
            contact=contact,
            message="Their onboarding took three weeks; we want to hear their ideal first week.",
        )
    decisions = list(requests.values())
    if len(decisions) >= 4:
        first, second, third, fourth = decisions[:4]
        sessions.decide_outreach(_owner(demo, first), request=first, approve=True)
        sessions.decide_outreach(
            _owner(demo, second),
            request=second,
            approve=True,
            conditions="Do not discuss pricing or the renewal; they are negotiating.",
        )
        sessions.decide_outreach(
            _owner(demo, third),
            request=third,
            approve=False,
            reason="They are in a support escalation this month; ask again next quarter.",
        )
        sessions.waive_outreach(
            ana, request=fourth, reason="Account owner on leave; the customer asked to take part."
        )
        # Any further request stays pending, so the approvals page has something to do.
    invited = sessions.send_invitations(felix, session=codesign)
    answers = [True, False]  # the first accepts, the second declines, the rest do not answer
    for invitation, accept in zip(invited, answers, strict=False):
        sessions.respond_rsvp(
            invitation_id=invitation.pk,
            contact_id=invitation.contact_id,
            accept=accept,
            note="Looking forward to it." if accept else "Travelling that week, sorry.",
        )
    for key, text in [
        ("product", "Which step of the first week would you remove if you could?"),
        ("support", "When did you last have to call us during onboarding, and why?"),
        ("finance", "What does 'paid on time' mean for your own finance team?"),
        ("sponsor", "What would make you recommend us to a peer after onboarding?"),
    ]:
        if key == "finance":
            sessions.add_participant(
                felix, session=codesign, user_id=demo.users[key].pk, role="observer"
            )
        question = sessions.submit_question(demo.viewer(key), session=codesign, text=text)
        sessions.vote_question(felix, question=question)
    picked = list(codesign.questions.order_by("created_at").values_list("pk", flat=True)[:2])
    sessions.pick_questions(felix, session=codesign, question_ids=picked)

    # Just planned: a customer advisory board meeting next month, nothing prepared yet.
    sessions.plan_session(
        felix,
        program=onboarding,
        kind=SessionKind.CAB,
        title="Customer advisory board: spring meeting",
        starts_at=_at(demo.today, 40, 16),
        ends_at=_at(demo.today, 40, 18),
        time_zone="America/New_York",
        video_link="https://meet.northwind.example/cab",
    )
    # Cancelled: an interview the customer could not make.
    interview = sessions.plan_session(
        felix,
        program=onboarding,
        kind=SessionKind.INTERVIEW,
        title="Interview: onboarding at Meridian's billing team",
        starts_at=_at(demo.today, 6, 11),
        ends_at=_at(demo.today, 6, 12),
        time_zone="America/Chicago",
        video_link="https://meet.northwind.example/interview",
    )
    sessions.cancel_session(
        felix, session=interview, reason="The customer asked to move it to after go-live."
    )

    # Held: a first co-design session three weeks ago (planned ahead, then its time passed).
    held = sessions.plan_session(
        demo.viewer("facilitator2"),
        program=onboarding,
        title="Co-design: pilot with two customers",
        starts_at=_at(demo.today, 1, 9),
        ends_at=_at(demo.today, 1, 12, 30),
        time_zone=berlin,
        location="Northwind office, Berlin",
    )
    for key, role in [("facilitator2", "facilitator"), ("product", "note_taker")]:
        sessions.add_participant(felix, session=held, user_id=demo.users[key].pk, role=role)
    # Its two customers: the pilot studio and a mid-market logistics company.
    for customer, index in [("Juniper & Finch Architects", 0), ("Brightwater Logistics", 1)]:
        pilot = _contact(demo, customer, index)
        if not pilot.consent_to_contact:
            continue
        request = sessions.request_outreach(felix, session=held, contact=pilot)
        if request.status == "pending":
            sessions.decide_outreach(_owner(demo, request), request=request, approve=True)
        invitation = sessions.send_invitation(felix, request=request)
        sessions.respond_rsvp(invitation_id=invitation.pk, contact_id=pilot.pk, accept=True)
    # (add_captures maps what they said, lets them vote, then moves the session into the past.)
    demo.sessions = {
        "codesign": codesign,
        "practice": practice,
        "held": held,
        "interview": interview,
    }


# What the two pilot customers said, by step: (kind, speaker, step number or 0, text, tags).
# Speakers: "jf" Juniper & Finch, "bw" Brightwater, "product" the note taker (internal).
PILOT_STEPS = ["Sign the contract", "Set up billing", "Send the first invoice", "Get paid"]
PILOT_INSIGHTS = [
    ("moment_of_truth", "jf", 3, "The first invoice is correct the first time", "billing"),
    ("moment_of_truth", "bw", 2, "Our VAT numbers are accepted without a support ticket", "vat"),
    ("moment_of_truth", "bw", 4, "The customer pays without calling us first", ""),
    ("issue", "bw", 2, "We re-key every customer from our ERP by hand", "erp"),
    ("issue", "jf", 1, "Nobody told us who our contact is after signing", "handover"),
    ("issue", "bw", 3, "Invoices go out in English only; our customers are Dutch", "language"),
    ("issue", "jf", 3, "We cannot see what the invoice will look like before it is sent", ""),
    ("idea", "jf", 1, "A named onboarding buddy for the first month", "handover"),
    ("idea", "bw", 2, "Import customers from a CSV or straight from the ERP", "erp"),
    ("idea", "jf", 3, "A preview of the first invoice before it goes out", "billing"),
    ("idea", "bw", 3, "Invoice language per customer", "language"),
    ("customer_metric", "bw", 4, "First invoice paid within 1 day of sending", ""),
    ("customer_metric", "jf", 2, "Billing set up in under an hour", ""),
    ("quote", "bw", 0, "“We spent more time onboarding you than our own customers.”", ""),
    ("question", "jf", 0, "Can our accountant get read-only access?", ""),
    ("idea", "product", 3, "We already have a preview endpoint; it is just not in the UI", ""),
]
# How each customer spent their three dots: (speaker, card text, dots).
PILOT_VOTES = [
    ("jf", "The first invoice is correct the first time", 2),
    ("jf", "A preview of the first invoice before it goes out", 1),
    ("bw", "We re-key every customer from our ERP by hand", 2),
    ("bw", "The first invoice is correct the first time", 1),
]


def add_captures(demo: Demo) -> None:
    """The pilot session's map: one scenario, four steps, what the customers said (and one
    internal remark), their votes; then the session moves three weeks into the past."""
    from traction.insights import services as insights
    from traction.insights import voting

    felix, paul = demo.viewer("facilitator"), demo.viewer("product")
    held = demo.sessions["held"]
    people = {
        "jf": _contact(demo, "Juniper & Finch Architects", 0),
        "bw": _contact(demo, "Brightwater Logistics", 1),
    }
    scenario = insights.create_scenario(
        felix,
        session=held,
        title="Small teams, first invoice",
        outcome="Send a correct first invoice in the first week and get paid on time",
        context_who="Finance leads of small and mid-sized companies, no IT team",
        context_where="In the office and on the road, on laptops",
        context_when="The first month after signing",
        constraints="No ERP integration budget; VAT rules differ by country",
        team=[c.pk for c in people.values()],
        steps=PILOT_STEPS,
    )
    steps = list(scenario.steps.order_by("position"))
    cards = {}
    for kind, who, step, text, tags in PILOT_INSIGHTS:
        speaker = f"u:{demo.users[who].pk}" if who == "product" else f"c:{people[who].pk}"
        cards[text] = insights.capture_insight(
            paul,
            session=held,
            kind=kind,
            text=text,
            speaker=speaker,
            step_id=steps[step - 1].pk if step else None,
            scenario_id=scenario.pk,
            tags=tags,
        )
    voting.open_voting(felix, session=held, budget=3)
    for who, text, dots in PILOT_VOTES:
        for _ in range(dots):
            voting.add_dot(
                felix, session=held, contact_id=people[who].pk, insight_id=cards[text].pk
            )
    voting.close_voting(felix, session=held)
    sessions.update_session(
        felix,
        session=held,
        changes={"starts_at": _at(demo.today, -21, 9), "ends_at": _at(demo.today, -21, 12, 30)},
    )


Step = Callable[[Demo], None]

# Later areas append their step here (e.g. insights, debrief, loop), in flow order.
STEPS: list[Step] = [add_people, add_customers, add_programs, add_sessions, add_captures]


# --- entry points ---------------------------------------------------------------------------


def demo_exists() -> bool:
    return Workspace.objects.filter(slug=DEMO_SLUG).exists()


def build_demo(*, today: date | None = None) -> Demo:
    """Build the demo workspace; refuses (DemoExists) when it is already there."""
    if demo_exists():
        raise DemoExists(
            f"The demo workspace '{DEMO_SLUG}' already exists. "
            "Use --reset to delete and rebuild it."
        )
    demo = Demo(today=today or date.today())
    # The demo's people are fictional: the messages its steps send (on commit) go nowhere.
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        transaction.atomic(),
    ):
        for step in STEPS:
            step(demo)
    return demo


@transaction.atomic
def remove_demo() -> None:
    """Delete the demo workspace (everything in it, its audit trail) and the demo users."""
    Workspace.objects.filter(slug=DEMO_SLUG).delete()
    User.objects.filter(email__endswith="@" + DEMO_EMAIL_DOMAIN).delete()
