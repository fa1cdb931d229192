"""API shapes for scenario maps, steps and insights (imports and search have theirs beside
their routers in ``api/``; voting's are in ``traction/voting/schemas.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema

from traction.core.api import ABSENT, FilterSchema, InputSchema, ObjectId, OneLine, Text

from .models import Insight, InsightKind
from .selectors import BOARD_TOP
from .services.common import MAX_TAGS, TAG_MAX
from .services.scenarios import STEP_TITLE_MAX, STEPS_MAX, TEXT_MAX, TITLE_MAX

# One tag (the service refuses a longer one too, after dropping a leading "#").
Tag = Annotated[Text, Field(max_length=TAG_MAX)]

MAX_VERSION = 2**31 - 1  # a version column's largest value (PostgreSQL integer)

KindLiteral = Literal[
    "outcome",
    "context",
    "step",
    "moment_of_truth",
    "issue",
    "idea",
    "customer_metric",
    "quote",
    "question",
]
assert set(KindLiteral.__args__) == set(InsightKind.values)  # type: ignore[attr-defined]

SPEAKER_HELP = (
    'Who said it: "c:<contact id>" for a customer taking part, "u:<user id>" for an internal '
    'participant (their remarks are marked internal and never count as customer input), or "".'
)


class StepSupportOut(Schema):
    id: int
    step_id: int
    kind: Literal["team", "partner"] = Field(description="team: ours; partner: another company.")
    name: str
    note: str
    position: int


class StepOut(Schema):
    id: int
    position: int
    title: str
    support: list[StepSupportOut] = Field(
        description='The step\'s "How we support it" lane: our teams and partners at this step.'
    )

    @staticmethod
    def resolve_support(obj: object) -> list[object]:
        return list(obj.support.all())  # type: ignore[attr-defined]


class ScenarioOut(Schema):
    id: int
    session_id: int
    title: str
    outcome: str
    context_who: str
    context_where: str
    context_when: str
    constraints: str
    team: list[int] = Field(description="Contact ids of the customers mapping this scenario.")
    steps: list[StepOut]
    version: int

    @staticmethod
    def resolve_team(obj: object) -> list[int]:
        return sorted(c.pk for c in obj.team.all())  # type: ignore[attr-defined]

    @staticmethod
    def resolve_steps(obj: object) -> list[object]:
        return list(obj.steps.all())  # type: ignore[attr-defined]


class ScenarioIn(InputSchema):
    title: OneLine = Field(min_length=1, max_length=TITLE_MAX)
    outcome: Text = Field("", max_length=TEXT_MAX)
    context_who: Text = Field("", max_length=TEXT_MAX)
    context_where: Text = Field("", max_length=TEXT_MAX)
    context_when: Text = Field("", max_length=TEXT_MAX)
    constraints: Text = Field("", max_length=TEXT_MAX)
    team: list[ObjectId] = Field([], max_length=200)
    steps: list[Annotated[OneLine, Field(max_length=STEP_TITLE_MAX)]] = Field(
        [], max_length=STEPS_MAX, description="Titles of the first steps, in order."
    )


class ScenarioUpdateIn(InputSchema):
    title: OneLine = Field(ABSENT, min_length=1, max_length=TITLE_MAX)
    outcome: Text = Field(ABSENT, max_length=TEXT_MAX)
    context_who: Text = Field(ABSENT, max_length=TEXT_MAX)
    context_where: Text = Field(ABSENT, max_length=TEXT_MAX)
    context_when: Text = Field(ABSENT, max_length=TEXT_MAX)
    constraints: Text = Field(ABSENT, max_length=TEXT_MAX)
    team: list[ObjectId] = Field(ABSENT, max_length=200)
    version: int = Field(
        ABSENT, ge=1, le=MAX_VERSION, description="The version you read; 409 if stale."
    )


class StepIn(InputSchema):
    title: OneLine = Field(min_length=1, max_length=STEP_TITLE_MAX)
    position: int | None = Field(
        None, ge=1, le=10_000, description="Insert before this position (default: at the end)."
    )


class StepRenameIn(InputSchema):
    title: OneLine = Field(min_length=1, max_length=160)


class StepOrderIn(InputSchema):
    step_ids: list[ObjectId] = Field(max_length=500, description="Every step, in the new order.")


class StepMergeIn(InputSchema):
    absorb: ObjectId = Field(description="The step to fold into this one; it disappears.")
    title: OneLine = Field("", max_length=160, description="A new title for the merged step.")


class InsightContributorOut(Schema):
    insight_id: int
    speaker_name: str
    customer_id: int | None
    organisation: str
    internal: bool
    text: str


class InsightOut(Schema):
    id: int
    session_id: int
    scenario_id: int | None
    step_id: int | None
    kind: KindLiteral
    text: str
    speaker: str = Field(description=SPEAKER_HELP)
    speaker_name: str
    customer_id: int | None
    internal: bool
    attributed: bool = Field(
        description="Credited to someone we know (a customer contact or an internal "
        "participant). An unattributed note is not customer input and cannot be voted on."
    )
    votable: bool = Field(description="Customers may vote on it.")
    merged_into_id: int | None
    contributors: list[InsightContributorOut] = Field(
        description="Whose words the card holds: itself first, then the insights merged into "
        "it (those you may see), each with its own speaker and organisation."
    )
    tags: list[str]
    status: Literal["candidate", "accepted", "discarded", "merged", "withdrawn"]
    source: Literal["live", "import", "api", "portal", "behalf"]
    source_line: int | None
    captured_by_id: int | None
    behalf_reason: str = Field(
        description='Entered on the speaker\'s behalf (source `behalf`): why; "" otherwise.'
    )
    withdrawn_at: dt.datetime | None = Field(
        description="When it was withdrawn (it then counts as nobody's input)."
    )
    withdrawn_by_id: int | None = Field(
        description="The member who withdrew it; null with `withdrawn_at`: the contact did."
    )
    withdraw_reason: str
    measures: list[int] = Field(
        description="A customer metric card: the moments of truth of its scenario it "
        "measures (ids of those you may see); empty for other cards."
    )
    created_at: dt.datetime
    version: int

    @staticmethod
    def resolve_speaker(obj: Insight) -> str:
        return obj.speaker_key

    @staticmethod
    def resolve_measures(obj: Insight) -> list[int]:
        prefetched = getattr(obj, "visible_measures", None)
        if prefetched is not None:
            return [m.pk for m in prefetched]
        if obj.kind != InsightKind.CUSTOMER_METRIC:
            return []
        return list(obj.measures.order_by("created_at", "id").values_list("pk", flat=True))

    @staticmethod
    def resolve_tags(obj: Insight) -> list[str]:
        return obj.tags.split()

    @staticmethod
    def resolve_attributed(obj: Insight) -> bool:
        return obj.is_attributed

    @staticmethod
    def resolve_votable(obj: Insight) -> bool:
        return obj.is_votable

    @staticmethod
    def resolve_contributors(obj: Insight) -> list[InsightContributorOut]:
        return [
            InsightContributorOut(
                insight_id=i.pk,
                speaker_name=i.speaker_name,
                customer_id=i.customer_id,
                organisation=i.customer.name if i.customer_id and i.customer else "",
                internal=i.internal,
                text=i.text,
            )
            for i in [obj, *getattr(obj, "visible_merged", [])]
        ]


class MapParams(FilterSchema):
    top: int = Field(BOARD_TOP, ge=1, le=50, description="Cards shown per cell and list.")


class MapCardOut(InsightOut):
    dots: int = Field(description="The dots customers gave it.")

    @staticmethod
    def resolve_dots(obj: Insight) -> int:
        return getattr(obj, "dot_count", 0) or 0


class MapCellOut(Schema):
    step_id: int
    kind: Literal["moment_of_truth", "issue", "idea", "customer_metric"]
    total: int = Field(description="How many cards the cell holds (those you may see).")
    cards: list[MapCardOut] = Field(
        description="Its top cards (most dots first, then the newest; at most `top`), in "
        "capture order. The whole cell, a page at a time: "
        "`GET /sessions/{session_id}/insights?step=&kind=&internal=false`."
    )


class MapListOut(Schema):
    name: Literal["outcome", "context", "unplaced", "others", "internal"] = Field(
        description="outcome and context: the customers' words about them; unplaced: grid "
        "kinds on no step; others: quotes, questions and what has no scenario; internal: "
        "internal remarks (never customer input)."
    )
    total: int
    cards: list[MapCardOut]


class ScenarioMapOut(Schema):
    scenario_id: int
    steps: list[StepOut]
    max_dots: int = Field(description="The dots of the map's most-voted card.")
    cells: list[MapCellOut] = Field(description="Step by step, each grid kind in row order.")
    lists: list[MapListOut] = Field(description="Beside the grid, in this order.")


class InsightIn(InputSchema):
    kind: KindLiteral
    text: Text = Field(min_length=1, max_length=5000)
    speaker: str = Field("", max_length=40, description=SPEAKER_HELP)
    step_id: ObjectId | None = None
    scenario_id: ObjectId | None = None
    tags: list[Tag] = Field([], max_length=MAX_TAGS)
    behalf_reason: str = Field(
        "",
        max_length=300,
        description="Set when a customer told you this outside the session (“She told me on "
        "the phone on 3 March”): the insight is entered on the speaker's behalf (source "
        "`behalf`), keeps who entered it and this reason, and the contact can withdraw it. "
        "The speaker must then be a customer contact.",
    )


class InsightUpdateIn(InputSchema):
    kind: KindLiteral = Field(ABSENT)
    text: Text = Field(ABSENT, min_length=1, max_length=5000)
    speaker: str = Field(ABSENT, max_length=40, description=SPEAKER_HELP)
    step_id: ObjectId | None = Field(ABSENT)
    tags: list[Tag] = Field(ABSENT, max_length=MAX_TAGS)
    version: int = Field(
        ABSENT, ge=1, le=MAX_VERSION, description="The version you read; 409 if stale."
    )


class InsightFilters(FilterSchema):
    status: Literal["candidate", "accepted", "discarded", "merged", "withdrawn"] = "accepted"
    kind: KindLiteral | None = None
    step: int | None = Field(None, description="Only the cards on this step.")
    internal: bool | None = Field(
        None, description="true: internal remarks only; false: customers'."
    )


class SpeakerOut(Schema):
    key: str = Field(description=SPEAKER_HELP)
    name: str
    internal: bool
    contact_id: int | None
    user_id: int | None
    customer_id: int | None
    organisation: str


class MeasuresIn(InputSchema):
    moment_ids: list[ObjectId] = Field(
        max_length=200,
        description="Every moment of truth the metric measures (accepted moment-of-truth "
        "cards of its scenario); [] unlinks them all.",
    )


class StepSupportIn(InputSchema):
    kind: Literal["team", "partner"] = "team"
    name: OneLine = Field(min_length=1, max_length=120, description="e.g. “Billing support”.")
    note: OneLine = Field("", max_length=300, description="What they do at this step.")


class StepSupportUpdateIn(InputSchema):
    kind: Literal["team", "partner"] = Field(ABSENT)
    name: OneLine = Field(ABSENT, min_length=1, max_length=120)
    note: OneLine = Field(ABSENT, max_length=300)
