"""`manage.py seed_demo`: the demo customer, and with `--users N` a large customer for benchmarks.

Safe to run again: a demo customer that exists is left as it is (`--reset` deletes it and builds it
again). The story and the bulk inserts live in the package `licensing/subscriptions/demo/`.
"""

import logging
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from licensing.subscriptions.demo import DEMO_PASSWORD, LOGINS, USAGE_DAYS, bulk_build, demo_build, demo_delete


@contextmanager
def _quiet_mail_flushes():
    """Every service that mails asks django-mailer, after commit, to send the queue: the seed makes
    over a hundred such flushes when its one transaction commits. The seed deletes its own mails
    before then, so each flush finds (next to) nothing; without the file lock it does not wait up to
    MAILER_LOCK_WAIT_TIMEOUT for another sender each time (django-mailer still locks each message
    row it sends), and its "Sent" log lines are not worth reading."""
    logger = logging.getLogger("mailer.engine")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with override_settings(MAILER_USE_FILE_LOCK=False):
            yield
    finally:
        logger.setLevel(level)


class Command(BaseCommand):
    help = (
        "Build the demo customer Van der Berg Ingenieurs B.V. (3 teams, about 40 people, contracts, "
        "seats and 90 days of seat usage) unless it exists, and print the demo logins. With --users N, "
        "also build a large customer of N members for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--users", type=int, default=0, metavar="N", help="Also build a large customer with N members."
        )
        parser.add_argument(
            "--usage-days",
            type=int,
            default=USAGE_DAYS,
            metavar="DAYS",
            help=f"Days of seat usage of the large customer (default {USAGE_DAYS}; 0 for none).",
        )
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo customers and their people first, then build again."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=f'Run with DEBUG off too. The demo logins have the password "{DEMO_PASSWORD}".',
        )

    def handle(self, *args, users: int, usage_days: int, reset: bool, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                f'DEBUG is off: this looks like production, and the demo logins have the password "{DEMO_PASSWORD}". '
                "Pass --force if this really is a demo site."
            )
        if users < 0 or usage_days < 0:
            raise CommandError("--users and --usage-days cannot be negative.")
        started = time.monotonic()
        with _quiet_mail_flushes():
            if reset:
                demo_delete(out=self.stdout.write)
            demo_build(out=self.stdout.write)
            if users:
                bulk_build(users, out=self.stdout.write, usage_days=usage_days)
        self.stdout.write(f"Done in {time.monotonic() - started:.1f} s.\n")
        self.stdout.write(self.style.SUCCESS(f'Demo logins, each with the password "{DEMO_PASSWORD}":'))
        width = max(len(login.email) for login in LOGINS)
        for login in LOGINS:
            self.stdout.write(f"  {login.email:<{width}}  {login.who}")
