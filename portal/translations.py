"""The translations' compiled catalogues (.mo) are built from the .po files in `locale/`, not kept
in git. `manage.py compiletranslations` builds them (`make run` and `make test` do it first), in pure
Python through polib, so that no gettext tools are needed on the server."""

import os
import tempfile
from pathlib import Path

import polib
from django.conf import settings


def catalogues() -> list[Path]:
    """Every .po file under the project's LOCALE_PATHS."""
    return sorted(po for folder in settings.LOCALE_PATHS for po in Path(folder).glob("*/LC_MESSAGES/*.po"))


def compile_catalogue(po: Path, *, force: bool = False) -> bool:
    """Write the .mo beside `po` unless it is newer already; True when written. The file is written
    under another name and then renamed, so that a process reading it (a test worker, the server)
    never sees half of it."""
    mo = po.with_suffix(".mo")
    if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        return False
    catalogue = polib.pofile(str(po))
    handle, temporary = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
    os.close(handle)
    try:
        catalogue.save_as_mofile(temporary)
        os.replace(temporary, mo)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return True


def compile_all(*, force: bool = False) -> list[Path]:
    """Compile every catalogue that changed; the .po files written."""
    return [po for po in catalogues() if compile_catalogue(po, force=force)]
