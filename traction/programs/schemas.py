"""API shapes for programs and their teams. No rules here: services and models hold them."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ValidationInfo, field_validator

from traction.accounts.models import MemberFunction
from traction.accounts.schemas import UserRefOut
from traction.core.api import (
    ABSENT,
    MAX_ID,
    FilterSchema,
    InputSchema,
    IsoDate,
    ObjectId,
    OneLine,
    Text,
)
from traction.core.text import QUERY_MAX

from .models import REQUIRED_FUNCTIONS, Program, ProgramMember
from .selectors import SPONSOR_ROLES, FunctionCoverage, function_coverage
from .services import GOAL_MAX

# Spelled out so the OpenAPI document lists them; a test keeps them equal to the model's choices.
StatusValue = Literal["planning", "active", "measuring", "closed"]

VERSION_HELP = (
    "The version you read. If someone saved the program since, nothing changes and the "
    "answer is 409; leave it out to overwrite whatever is current."
)
IDS_LIMIT = 500
# The choices come from the one rule of sponsor eligibility (``selectors.sponsor_candidates``).
SPONSOR_HELP = (
    "A current member of the workspace whose role is one of: " + ", ".join(SPONSOR_ROLES) + "."
)


class ProgramOut(Schema):
    id: int
    name: str
    goal: str
    executive_sponsor_id: int | None
    status: str
    results_window_start: dt.date | None
    results_window_end: dt.date | None
    core_team_size: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_core_team_size(obj: Program) -> int:
        annotated: int | None = getattr(obj, "core_team_size", None)
        if annotated is not None:
            return annotated
        return sum(1 for m in _members(obj) if m.kind == ProgramMember.Kind.CORE_TEAM)


def _members(program: Program) -> list[ProgramMember]:
    # The program selector prefetches members with their users; a program just written
    # has no prefetch, so read them in one query.
    if "members" in getattr(program, "_prefetched_objects_cache", {}):
        return list(program.members.all())
    return list(program.members.select_related("user"))


class PolicyMakerOut(Schema):
    user: UserRefOut
    responsibility: str = Field(
        description='What their decisions speak for, e.g. "Support budget".'
    )
    function: str = Field(description="Their function in the workspace; empty: not stated.")


class FunctionOut(Schema):
    function: str
    label: str
    people: list[str] = Field(description="Names of the core team members and deciders.")


class FunctionsOut(Schema):
    """Whether the core team and the deciders are cross-functional."""

    present: list[FunctionOut]
    required: list[str] = Field(description="The functions a cross-functional program has.")
    missing: list[str] = Field(description="Required functions nobody brings (values).")
    summary: str = Field(description='e.g. "No one from Sales or Finance."; empty: none missing.')
    not_stated: list[str] = Field(description="Names of people whose function is not stated.")


def _coverage(program: Program) -> FunctionCoverage:
    cached: FunctionCoverage | None = getattr(program, "_function_coverage", None)
    if cached is None:
        cached = function_coverage(program)
        program._function_coverage = cached  # type: ignore[attr-defined]
    return cached


class ProgramDetailOut(ProgramOut):
    executive_sponsor: UserRefOut | None
    core_team: list[UserRefOut]
    observers: list[UserRefOut]
    policy_makers: list[PolicyMakerOut] = Field(
        description="Named to decide with the executive sponsor (who decides without a row)."
    )
    functions: FunctionsOut

    @staticmethod
    def resolve_policy_makers(obj: Program) -> list[dict[str, Any]]:
        return [
            {"user": d.user, "responsibility": d.responsibility, "function": d.function}
            for d in _coverage(obj).deciders
            if not d.sponsor
        ]

    @staticmethod
    def resolve_functions(obj: Program) -> dict[str, Any]:
        coverage = _coverage(obj)
        labels = {label: value for value, label in MemberFunction.choices}
        return {
            "present": [
                {"function": f, "label": MemberFunction(f).label, "people": people}
                for f, people in coverage.present.items()
            ],
            "required": list(REQUIRED_FUNCTIONS),
            "missing": [labels[label] for label in coverage.missing],
            "summary": coverage.missing_sentence,
            "not_stated": coverage.not_stated,
        }

    @staticmethod
    def resolve_core_team(obj: Program) -> list[Any]:
        return [m.user for m in _members(obj) if m.kind == ProgramMember.Kind.CORE_TEAM]

    @staticmethod
    def resolve_observers(obj: Program) -> list[Any]:
        return [m.user for m in _members(obj) if m.kind == ProgramMember.Kind.OBSERVER]


class ProgramCreateIn(InputSchema):
    name: OneLine = Field(min_length=1, max_length=160)
    goal: Text = Field(
        min_length=1, max_length=GOAL_MAX, description="The outcome the program is after."
    )
    executive_sponsor_id: ObjectId | None = Field(None, description=SPONSOR_HELP)
    status: StatusValue = "planning"
    results_window_start: IsoDate | None = None
    results_window_end: IsoDate | None = None
    core_team_ids: list[ObjectId] = Field(
        [], max_length=IDS_LIMIT, description="Members of the workspace."
    )


class ProgramUpdateIn(InputSchema):
    """Only the fields sent change; null clears the sponsor or a results-window date."""

    name: OneLine = Field(ABSENT, min_length=1, max_length=160)
    goal: Text = Field(ABSENT, min_length=1, max_length=GOAL_MAX)
    executive_sponsor_id: ObjectId | None = Field(None, description=SPONSOR_HELP)
    status: StatusValue = Field(ABSENT)
    results_window_start: IsoDate | None = None
    results_window_end: IsoDate | None = None
    version: int = Field(ABSENT, ge=1, le=MAX_ID, description=VERSION_HELP)


class ProgramTeamIn(InputSchema):
    """The whole team: members not listed leave it. Someone is core team or observer."""

    core_team_ids: list[ObjectId] = Field(max_length=IDS_LIMIT)
    observer_ids: list[ObjectId] = Field(max_length=IDS_LIMIT)

    @field_validator("observer_ids")
    @classmethod
    def _not_also_core_team(cls, value: list[int], info: ValidationInfo) -> list[int]:
        # The two lists are set one after the other; someone in both would be ambiguous.
        both = sorted(set(value) & set(info.data.get("core_team_ids", [])))
        if both:
            raise ValueError(f"Core team or observer, not both, for user ids {both}.")
        return value


class ProgramFilters(FilterSchema):
    q: Text = Field("", max_length=QUERY_MAX, description="Words in the name or goal.")
    status: Literal[StatusValue, ""] = ""
    sponsor_id: ObjectId = Field(ABSENT, description="Only programs this member sponsors.")


class PolicyMakerIn(InputSchema):
    user_id: ObjectId = Field(description="A current member of the workspace.")
    responsibility: OneLine = Field("", max_length=160, description='e.g. "Support budget".')


class PolicyMakersIn(InputSchema):
    """The whole list: those not listed stop deciding (their history is kept)."""

    policy_makers: list[PolicyMakerIn] = Field(max_length=IDS_LIMIT)
