"""Write use-cases for scenario maps, live capture and the review queue (docs/method.md, step 3).

Imports live in ``imports/`` (prioritisation in the voting app, ``traction.voting``); all
follow the same shape: permission check, validation, one transaction, an audit event.

Attribution is decided here and nowhere else: a speaker is either a customer participant
of the session (their organisation is recorded with the insight) or an internal participant
(the insight is marked internal and never counts as customer input).

The package: ``scenarios`` (scenario maps and their steps), ``capture`` (`Attribution`, live
capture, corrections and removal of insights), ``review`` (the review queue: accept, discard,
merge), ``lanes`` (a metric card's moments of truth, the steps' "How we support it" lane);
``common`` holds what they share (`normalize_tags`, `MAX_TAGS`). Callers use
``services.<name>`` as before: every name is re-exported here.
"""

from __future__ import annotations

from .capture import (
    INSIGHT_FIELDS,
    Attribution,
    attribute,
    capture_insight,
    remove_insight,
    update_insight,
)
from .common import MAX_TAGS, TAG_MAX, TAGS_MAX, normalize_tags
from .lanes import (
    add_step_support,
    link_metric_to_moments,
    remove_step_support,
    update_step_support,
)
from .review import merge_insights, review_insights
from .scenarios import (
    SCENARIO_FIELDS,
    add_step,
    create_scenario,
    merge_steps,
    remove_scenario,
    remove_step,
    rename_step,
    reorder_steps,
    update_scenario,
)

__all__ = [
    "INSIGHT_FIELDS",
    "MAX_TAGS",
    "SCENARIO_FIELDS",
    "TAGS_MAX",
    "TAG_MAX",
    "Attribution",
    "add_step",
    "add_step_support",
    "attribute",
    "capture_insight",
    "create_scenario",
    "link_metric_to_moments",
    "merge_insights",
    "merge_steps",
    "normalize_tags",
    "remove_insight",
    "remove_scenario",
    "remove_step",
    "remove_step_support",
    "rename_step",
    "reorder_steps",
    "review_insights",
    "update_insight",
    "update_scenario",
    "update_step_support",
]
