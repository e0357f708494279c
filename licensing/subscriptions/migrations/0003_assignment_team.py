"""Assignment.team, a copy of the member's team, and the index (team, product, assigned_at, id) in
which the seats held of a team's product are counted without a join (issue 10)."""

import django.db.models.deletion
from django.db import migrations, models


def teams_copy(apps, schema_editor):
    Assignment = apps.get_model("subscriptions", "Assignment")
    Member = apps.get_model("teams", "Member")
    # One UPDATE, however many assignments: the member's team, read in the same statement.
    Assignment.objects.update(team_id=models.Subquery(Member.objects.filter(pk=models.OuterRef("member_id")).values("team_id")))


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0002_seat_usage_covering_indexes"),
        ("teams", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="assignment",
            name="team",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="assignments",
                to="teams.team",
                verbose_name="team",
            ),
        ),
        migrations.RunPython(teams_copy, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="assignment",
            name="team",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="assignments",
                to="teams.team",
                verbose_name="team",
            ),
        ),
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(fields=["team", "product", "assigned_at", "id"], name="assignment_team_product_held"),
        ),
    ]
