"""SeatUsageMonth, seat usage a month to a row for the reports (issue 10), the triggers on SeatUsage
that keep it, and the months of the seat usage there is (usage_months.py)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from licensing.subscriptions.usage_months import drop_sql, rebuild_sql, trigger_sql


def triggers_create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in trigger_sql(vendor):
        schema_editor.execute(sql)
    statements, params = rebuild_sql(vendor, None)
    for sql in statements:
        schema_editor.execute(sql, params)


def triggers_drop(apps, schema_editor):
    for sql in drop_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('subscriptions', '0003_assignment_team'),
        ('teams', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SeatUsageMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.IntegerField(help_text='year * 12 + month - 1')),
                ('days', models.IntegerField(help_text='bit d - 1 set: used on day d of the month')),
                ('product', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='subscriptions.product')),
                ('team', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='teams.team')),
                ('user', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['team', 'month', 'product', 'user', 'days'], name='seat_usage_month_team'), models.Index(fields=['team', 'user', 'product', 'month', 'days'], name='seat_usage_month_seat')],
                'constraints': [models.UniqueConstraint(fields=('team', 'user', 'product', 'month'), name='seat_usage_month_one_row'), models.CheckConstraint(condition=models.Q(('days__gt', 0)), name='seat_usage_month_some_day')],
            },
        ),
        migrations.RunPython(triggers_create, triggers_drop),
    ]
