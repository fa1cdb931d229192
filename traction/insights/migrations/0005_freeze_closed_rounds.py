"""Rounds closed before frozen rankings existed get theirs now: each card that the results
page showed when it was read last (an accepted customer moment of truth, issue or idea, not
internal, whatever its attribution: the rule of the time) with its dots per voter, as
closing number 1. From then on they read like any closed round and nothing changes them.

Historical models only (no app code), so later model changes cannot break it.
"""

from collections import defaultdict
from typing import Any

from django.db import migrations

VOTABLE = ("moment_of_truth", "issue", "idea")


def freeze_closed_rounds(apps: Any, schema_editor: Any) -> None:
    VotingRound = apps.get_model("insights", "VotingRound")
    Insight = apps.get_model("insights", "Insight")
    Vote = apps.get_model("insights", "Vote")
    FrozenCard = apps.get_model("insights", "FrozenCard")
    FrozenVote = apps.get_model("insights", "FrozenVote")
    Invitation = apps.get_model("cosessions", "Invitation")
    using = schema_editor.connection.alias
    for found in VotingRound.objects.using(using).filter(closed_at__isnull=False, closings=0):
        cards = list(
            Insight.objects.using(using)
            .filter(
                session_id=found.session_id,
                status="accepted",
                kind__in=VOTABLE,
                internal=False,
            )
            .select_related("step", "scenario", "customer")
            .order_by("created_at", "id")
        )
        merged: dict[int, list[Any]] = defaultdict(list)
        for source in (
            Insight.objects.using(using)
            .filter(merged_into_id__in=[c.pk for c in cards])
            .select_related("customer")
            .order_by("created_at", "id")
        ):
            merged[source.merged_into_id].append(source)
        votes: dict[int, list[Any]] = defaultdict(list)
        for vote in (
            Vote.objects.using(using)
            .filter(insight_id__in=[c.pk for c in cards])
            .select_related("contact__customer")
        ):
            votes[vote.insight_id].append(vote)
        for position, card in enumerate(cards, start=1):
            row = FrozenCard.objects.using(using).create(
                round_id=found.pk,
                closing=1,
                insight_id=card.pk,
                position=position,
                kind=card.kind,
                text=card.text,
                step_title=card.step.title if card.step_id else "",
                scenario_title=card.scenario.title if card.scenario_id else "",
                speaker_name=card.speaker_name,
                customer_id=card.customer_id,
                organisation=card.customer.name if card.customer_id else "",
                contributors=[
                    {
                        "insight_id": i.pk,
                        "speaker_name": i.speaker_name,
                        "customer_id": i.customer_id,
                        "organisation": i.customer.name if i.customer_id else "",
                        "internal": i.internal,
                        "text": i.text,
                    }
                    for i in [card, *merged[card.pk]]
                ],
                dots=sum(v.dots for v in votes[card.pk]),
                voters=len({v.contact_id for v in votes[card.pk]}),
            )
            FrozenVote.objects.using(using).bulk_create(
                FrozenVote(
                    card_id=row.pk,
                    contact_id=v.contact_id,
                    customer_id=v.contact.customer_id,
                    organisation=v.contact.customer.name,
                    segment=v.contact.customer.segment,
                    dots=v.dots,
                )
                for v in votes[card.pk]
            )
        found.closings = 1
        found.participants_at_close = (
            Invitation.objects.using(using)
            .filter(session_id=found.session_id)
            .exclude(rsvp="declined")
            .values("contact_id")
            .distinct()
            .count()
        )
        found.save(update_fields=["closings", "participants_at_close"])


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0004_evidence"),
        ("cosessions", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(freeze_closed_rounds, migrations.RunPython.noop, elidable=False)
    ]
