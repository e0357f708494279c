from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from licensing.integrations.models import VendorApiKey
from licensing.integrations.services import vendor_key_create


class Command(BaseCommand):
    help = (
        "Make a vendor API key for the order API and print it once (only its hash is stored). "
        "Example: manage.py vendor_key_create --name 'Web shop' --scopes orders:read,orders:write,catalogue:read "
        "--expires-days 365"
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Which system uses the key.")
        parser.add_argument(
            "--scopes",
            required=True,
            help="Comma-separated, of: " + ", ".join(VendorApiKey.Scope.values),
        )
        parser.add_argument("--expires-days", type=int, default=None, help="Days until it expires (default: never).")

    def handle(self, *args, name, scopes, expires_days, **options):
        try:
            key, raw = vendor_key_create(
                name=name,
                scopes=[scope.strip() for scope in scopes.split(",") if scope.strip()],
                expires_days=expires_days,
            )
        except ValidationError as error:
            raise CommandError(
                "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
            ) from error
        self.stderr.write(
            f"Vendor API key {key.pk} “{key.name}”, scopes {', '.join(key.scopes)}, "
            f"expires {key.expires_at.isoformat() if key.expires_at else 'never'}. "
            "Store it now: it is not shown again."
        )
        self.stdout.write(raw)
