"""Question upvotes get their own name (``QuestionVote`` → ``QuestionUpvote``) so "vote"
means only a customer's dot. The table is renamed, its rows kept; the unique constraint and
the related name follow the new name."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cosessions", "0003_notice_actions_backfilled"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="questionvote", name="one_vote_per_question"),
        migrations.RenameModel(old_name="QuestionVote", new_name="QuestionUpvote"),
        migrations.AlterField(
            model_name="questionupvote",
            name="question",
            field=models.ForeignKey(
                on_delete=models.deletion.CASCADE,
                related_name="upvotes",
                to="cosessions.topquestion",
            ),
        ),
        migrations.AddConstraint(
            model_name="questionupvote",
            constraint=models.UniqueConstraint(
                fields=("question", "user"), name="one_upvote_per_question"
            ),
        ),
    ]
