"""Voting's models, moved here from insights with their tables.

State only: the tables were created by the insights migrations and keep their names
(``db_table``); ``insights.0009_voting_moves_to_its_app`` removes the models from the
insights state after this. No row moves.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("accounts", "0004_notice_action_resolved"),
        ("cosessions", "0003_notice_actions_backfilled"),
        ("customers", "0002_history_kept"),
        ("insights", "0007_link_delivery_and_participants_by_customer"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="FrozenCard",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("closing", models.PositiveSmallIntegerField()),
                        ("position", models.PositiveIntegerField()),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("outcome", "Outcome"),
                                    ("context", "Context"),
                                    ("step", "Step"),
                                    ("moment_of_truth", "Moment of truth"),
                                    ("issue", "Issue"),
                                    ("idea", "Idea"),
                                    ("customer_metric", "Customer metric"),
                                    ("quote", "Quote"),
                                    ("question", "Question"),
                                ],
                                max_length=20,
                            ),
                        ),
                        ("text", models.TextField()),
                        ("step_title", models.CharField(blank=True, max_length=160)),
                        ("scenario_title", models.CharField(blank=True, max_length=120)),
                        ("speaker_name", models.CharField(blank=True, max_length=160)),
                        ("organisation", models.CharField(blank=True, max_length=200)),
                        ("contributors", models.JSONField(blank=True, default=list)),
                        ("dots", models.PositiveIntegerField(default=0)),
                        ("voters", models.PositiveIntegerField(default=0)),
                        (
                            "customer",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="customers.customer",
                            ),
                        ),
                        (
                            "insight",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="insights.insight",
                            ),
                        ),
                        (
                            "step",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="insights.step",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "insights_frozencard",
                        "ordering": ["round", "closing", "position"],
                    },
                ),
                migrations.CreateModel(
                    name="FrozenVote",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("organisation", models.CharField(max_length=200)),
                        ("segment", models.CharField(max_length=20)),
                        ("dots", models.PositiveIntegerField()),
                        (
                            "card",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="votes",
                                to="voting.frozencard",
                            ),
                        ),
                        (
                            "contact",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="customers.contact",
                            ),
                        ),
                        (
                            "customer",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="customers.customer",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "insights_frozenvote",
                    },
                ),
                migrations.CreateModel(
                    name="VotingRound",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("budget", models.PositiveSmallIntegerField(default=3)),
                        ("opened_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("closed_at", models.DateTimeField(blank=True, null=True)),
                        ("close_reason", models.CharField(blank=True, max_length=300)),
                        ("closings", models.PositiveSmallIntegerField(default=0)),
                        (
                            "participants_at_close",
                            models.PositiveIntegerField(blank=True, null=True),
                        ),
                        ("participants_by_customer", models.JSONField(blank=True, null=True)),
                        (
                            "closed_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "opened_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "session",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="voting",
                                to="cosessions.session",
                            ),
                        ),
                        (
                            "workspace",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="accounts.workspace",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "insights_votinground",
                    },
                ),
                migrations.CreateModel(
                    name="LinkDelivery",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("status", models.CharField(default="queued", max_length=10)),
                        ("error", models.CharField(blank=True, max_length=500)),
                        ("queued_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("delivered_at", models.DateTimeField(blank=True, null=True)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        (
                            "invitation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="cosessions.invitation",
                            ),
                        ),
                        (
                            "workspace",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="accounts.workspace",
                            ),
                        ),
                        (
                            "round",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="link_deliveries",
                                to="voting.votinground",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "insights_linkdelivery",
                    },
                ),
                migrations.AddField(
                    model_name="frozencard",
                    name="round",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="frozen_cards",
                        to="voting.votinground",
                    ),
                ),
                migrations.CreateModel(
                    name="Vote",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("dots", models.PositiveSmallIntegerField()),
                        (
                            "channel",
                            models.CharField(
                                choices=[
                                    ("room", "In the room, on the shared screen"),
                                    ("paper", "Paper round, entered by the facilitator"),
                                    ("link", "Through the customer's own link"),
                                ],
                                max_length=6,
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "contact",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="customers.contact",
                            ),
                        ),
                        (
                            "insight",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="votes",
                                to="insights.insight",
                            ),
                        ),
                        (
                            "recorded_by",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "session",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="cosessions.session",
                            ),
                        ),
                        (
                            "workspace",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="accounts.workspace",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "insights_vote",
                        "indexes": [
                            models.Index(fields=["session", "contact"], name="vote_session_contact")
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("insight", "contact"), name="one_vote_row_per_card"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("dots__gte", 1)), name="vote_has_dots"
                            ),
                        ],
                    },
                ),
                migrations.AddConstraint(
                    model_name="votinground",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("budget__gte", 1), ("budget__lte", 50)),
                        name="voting_budget_1_to_50",
                        violation_error_message="The budget is between 1 and 50 votes.",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="linkdelivery",
                    constraint=models.UniqueConstraint(
                        fields=("round", "invitation"), name="one_link_delivery_per_invitation"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="frozencard",
                    constraint=models.UniqueConstraint(
                        fields=("round", "closing", "insight"), name="one_frozen_card_per_closing"
                    ),
                ),
            ],
            database_operations=[],
        )
    ]
