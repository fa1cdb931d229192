"""The demo's customers: organisations across segments and regions with their contacts
(``CUSTOMERS``), and the step that creates them.
"""

from __future__ import annotations

from dataclasses import dataclass

from traction.customers import services as customers

from .common import Demo


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
