"""The demo's captures: what the two pilot customers said in the held session
(``PILOT_STEPS``, ``PILOT_INSIGHTS``, ``PILOT_VOTES``), and the step that maps it, runs the
dot vote and moves the session into the past.
"""

from __future__ import annotations

from traction.sessions import services as sessions

from .common import Demo, at_time, contact_of

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
    from traction.voting import services as voting

    felix, paul = demo.viewer("facilitator"), demo.viewer("product")
    held = demo.sessions["held"]
    people = {
        "jf": contact_of(demo, "Juniper & Finch Architects", 0),
        "bw": contact_of(demo, "Brightwater Logistics", 1),
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
        changes={
            "starts_at": at_time(demo.today, -21, 9),
            "ends_at": at_time(demo.today, -21, 12, 30),
        },
    )
