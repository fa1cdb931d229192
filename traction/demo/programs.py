"""The demo's programs: the running onboarding program and a renewals program still being
planned.
"""

from __future__ import annotations

from traction.programs import services as programs
from traction.programs.models import ProgramStatus

from .common import Demo, months_ahead


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
        results_window_start=months_ahead(demo.today, 3),
        results_window_end=months_ahead(demo.today, 12),
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
