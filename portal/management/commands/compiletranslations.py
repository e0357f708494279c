from django.core.management.base import BaseCommand

from portal.translations import catalogues, compile_all


class Command(BaseCommand):
    help = "Compile the translations in locale/ (.po) into the catalogues Django reads (.mo), without gettext."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Compile every catalogue, changed or not.")

    def handle(self, *args, force: bool = False, **options):
        written = compile_all(force=force)
        for po in written:
            self.stdout.write(f"compiled {po.with_suffix('.mo')}")
        if not written:
            self.stdout.write(f"{len(catalogues())} catalogue(s) up to date")
