"""SeatWait.reason becomes a code (`SeatWait.Reason`), said in the reader's language where it is shown.

Before, the reason was kept as a sentence in the language of whoever caused the wait. The existing
rows are converted first, while the column still holds 300 characters: a sentence saying the team
has no active subscription (English or Dutch, the portal's languages) becomes "no_subscription",
every other "no_free_seat" (the pool was full: the only other reason there was)."""

from django.db import migrations, models

NO_SUBSCRIPTION_WORDS = ("no active subscription", "geen actief abonnement")


def reasons_to_codes(apps, schema_editor):
    SeatWait = apps.get_model("groups", "SeatWait")
    rows = SeatWait.objects.exclude(reason__in=["no_free_seat", "no_subscription"])
    no_subscription = models.Q()
    for words in NO_SUBSCRIPTION_WORDS:
        no_subscription |= models.Q(reason__icontains=words)
    rows.filter(no_subscription).update(reason="no_subscription")
    rows.exclude(reason__in=["no_free_seat", "no_subscription"]).update(reason="no_free_seat")


def codes_to_reasons(apps, schema_editor):
    """Backwards: the codes as the English sentences (the seat count is no longer known)."""
    SeatWait = apps.get_model("groups", "SeatWait")
    SeatWait.objects.filter(reason="no_free_seat").update(reason="All seats of the product in this team are assigned.")
    SeatWait.objects.filter(reason="no_subscription").update(
        reason="This team has no active subscription of the product."
    )


class Migration(migrations.Migration):
    dependencies = [
        ("groups", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(reasons_to_codes, codes_to_reasons),
        migrations.AlterField(
            model_name="seatwait",
            name="reason",
            field=models.CharField(
                choices=[("no_free_seat", "All seats are assigned"), ("no_subscription", "No active subscription")],
                default="no_free_seat",
                max_length=20,
                verbose_name="reason",
            ),
        ),
    ]
