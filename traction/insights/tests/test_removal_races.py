"""PostgreSQL race between removing a card and a vote on it, with real threads and real
transactions: the vote lands first and the removal is refused (422, the card and the vote
kept), or the removal lands first and the vote is refused; never a 500."""

from __future__ import annotations

import os
import threading
import time

import pytest
from django.db import connections, transaction
from django.test import Client

from traction.core.testing.cast import Cast
from traction.insights.models import Insight
from traction.voting import services as voting
from traction.voting.models import Vote
from traction.voting.tests.test_voting import api_client, build_room

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="row locks under real concurrency: PostgreSQL only",
    ),
    pytest.mark.django_db(transaction=True),
]


def test_a_vote_arriving_while_a_card_is_removed_makes_the_removal_a_clear_refusal(
    cast: Cast,
) -> None:
    room = build_room(cast)
    fran = cast.viewer("facilitator")
    voting.open_voting(fran, session=room.session)
    card = room.cards["idea"]
    voted, go_on = threading.Event(), threading.Event()
    answers: list[tuple[int, str]] = []

    def vote() -> None:  # a vote, not committed yet while the removal starts
        try:
            with transaction.atomic():
                voting.add_dot(
                    fran, session=room.session, contact_id=room.gina.pk, insight_id=card.pk
                )
                voted.set()
                go_on.wait(10)
        finally:
            connections.close_all()

    def remove(client: Client) -> None:
        try:
            voted.wait(10)
            response = client.delete(f"/api/v1/insights/{card.pk}")
            answers.append((response.status_code, response.content.decode()))
        finally:
            connections.close_all()

    client = api_client(cast, "facilitator")
    threads = [threading.Thread(target=vote), threading.Thread(target=remove, args=(client,))]
    for t in threads:
        t.start()
    voted.wait(10)
    time.sleep(0.5)  # the removal is now waiting on the vote's transaction
    go_on.set()
    for t in threads:
        t.join()
    assert [status for status, _ in answers] == [422]
    assert "Customers have voted on this card; it cannot be removed." in answers[0][1]
    assert Insight.objects.filter(pk=card.pk).exists()
    assert Vote.objects.filter(insight=card).count() == 1


def test_a_vote_arriving_while_a_card_is_being_removed_is_refused_after_it_goes(
    cast: Cast,
) -> None:
    room = build_room(cast)
    fran = cast.viewer("facilitator")
    voting.open_voting(fran, session=room.session)
    card = room.cards["idea"]
    removing, go_on = threading.Event(), threading.Event()
    answers: list[tuple[int, str]] = []

    def remove() -> None:  # the removal, not committed yet while the vote arrives
        from traction.insights import services

        try:
            with transaction.atomic():
                services.remove_insight(fran, insight=Insight.objects.get(pk=card.pk))
                removing.set()
                go_on.wait(10)
        finally:
            connections.close_all()

    def vote(client: Client) -> None:
        try:
            removing.wait(10)
            response = client.post(
                f"/api/v1/sessions/{room.session.pk}/voting/dots",
                {"contact_id": room.gina.pk, "insight_id": card.pk, "change": "add"},
                content_type="application/json",
            )
            answers.append((response.status_code, response.content.decode()))
        finally:
            connections.close_all()

    client = api_client(cast, "facilitator")
    threads = [threading.Thread(target=remove), threading.Thread(target=vote, args=(client,))]
    for t in threads:
        t.start()
    removing.wait(10)
    time.sleep(0.5)  # the vote is now waiting on the removal's transaction
    go_on.set()
    for t in threads:
        t.join()
    assert [status for status, _ in answers] == [422]
    assert "This card is not one of this session's cards." in answers[0][1]
    assert not Insight.objects.filter(pk=card.pk).exists()
    assert not Vote.objects.filter(session=room.session).exists()
