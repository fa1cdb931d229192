"""The debrief's write use-cases, one module per area: ``clock`` (debriefs booked, held,
reminded), ``recommendations`` (drafts, evidence, decisions), ``actions`` (action items and
their timelines), ``scorecards`` (metrics, measurements, checkpoints), ``closing`` (closing
the debrief, the pack and its recipients). Import the module you need:
``from traction.debrief.services import actions``."""
