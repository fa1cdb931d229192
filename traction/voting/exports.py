"""The ranking export: a session's overall ranking as a table (CSV or XLSX, rendered by
``insights.exports``), one row per card as the viewer may see it."""

from __future__ import annotations

from traction.insights.exports import Column, Table

from .selectors import Results

RANKING_COLUMNS = [
    Column("Rank", 6),
    Column("Insight ID", 10),
    Column("Type", 16),
    Column("Text", 70),
    Column("Scenario", 24),
    Column("Step", 24),
    Column("Speaker", 24),
    Column("Organisation", 24),
    Column("Dots", 8),
    Column("Voters", 8),
    Column("Other sources", 16),
]


def ranking_table(results: Results) -> Table:
    """The overall ranking, as the viewer may see it: one row per card, its dots by segment
    and by organisation in the columns after the fixed ones (the organisations the viewer may
    see); "Other sources" counts merged sources from organisations the viewer may not see."""
    columns = [
        *RANKING_COLUMNS,
        *(Column(f"Segment: {label}", 14) for _, label in results.segments),
        *(Column(f"Organisation: {name}", 18) for _, name in results.organisations),
    ]
    rows = [
        [
            card.rank,
            card.insight_id,
            card.kind_label,
            card.text,
            card.scenario_title,
            card.step_title,
            card.speaker_name,
            card.organisation,
            card.dots,
            card.voters,
            card.hidden_contributors,
            *card.segment_cells,
            *card.organisation_cells,
        ]
        for card in results.overall
    ]
    return Table("Ranking", columns, rows)
