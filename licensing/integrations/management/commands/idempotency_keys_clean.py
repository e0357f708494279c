from django.core.management.base import BaseCommand

from licensing.integrations.idempotency import idempotency_keys_clean, kept_hours


class Command(BaseCommand):
    help = "Delete the Idempotency-Key answers older than IDEMPOTENCY_KEY_HOURS (48 by default). Run daily."

    def handle(self, *args, **options):
        deleted = idempotency_keys_clean()
        self.stdout.write(f"Deleted {deleted} idempotency keys older than {kept_hours()} hours.")
