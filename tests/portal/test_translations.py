"""Dutch next to English: the catalogue in locale/nl is complete and consistent, it is compiled without
gettext (`manage.py compiletranslations`), and pages and mails come in the reader's language."""

import gettext
import os
import re
import time
from pathlib import Path

import polib
import pytest
from django.conf import settings

from portal.translations import compile_catalogue

DUTCH = Path(settings.BASE_DIR) / "locale" / "nl" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{ *\w+ *\}\}")

SAMPLE = r"""msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

msgid "Save changes"
msgstr "Wijzigingen opslaan"

msgid "%(count)d seat"
msgid_plural "%(count)d seats"
msgstr[0] "%(count)d seat"
msgstr[1] "%(count)d seats"

msgctxt "move"
msgid "To"
msgstr "Naar"
"""


def test_a_catalogue_compiles_into_one_gettext_reads(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(SAMPLE, encoding="utf-8")

    assert compile_catalogue(po) is True
    with open(po.with_suffix(".mo"), "rb") as mo:
        catalogue = gettext.GNUTranslations(mo)
    assert catalogue.gettext("Save changes") == "Wijzigingen opslaan"
    assert catalogue.ngettext("%(count)d seat", "%(count)d seats", 3) == "%(count)d seats"
    assert catalogue.pgettext("move", "To") == "Naar"
    assert not list(tmp_path.glob("*.tmp")), "no temporary file is left behind"


def test_an_unchanged_catalogue_is_not_compiled_again_unless_forced(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(SAMPLE, encoding="utf-8")
    compile_catalogue(po)
    past = time.time() - 60
    os.utime(po, (past, past))

    assert compile_catalogue(po) is False
    assert compile_catalogue(po, force=True) is True
    po.write_text(SAMPLE.replace("Wijzigingen opslaan", "Opslaan"), encoding="utf-8")  # newer than the .mo
    assert compile_catalogue(po) is True


@pytest.fixture(scope="module")
def dutch():
    return polib.pofile(str(DUTCH))


def test_the_dutch_catalogue_translates_every_string(dutch):
    untranslated = [entry.msgid for entry in dutch.untranslated_entries()]
    fuzzy = [entry.msgid for entry in dutch.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []
    assert len(dutch.translated_entries()) > 900


def test_the_dutch_translations_keep_every_placeholder(dutch):
    # The singular is checked against the English singular, every other form against the plural.
    wrong = []
    for entry in dutch.translated_entries():
        if entry.msgid_plural:
            pairs = [(entry.msgid if n == 0 else entry.msgid_plural, text) for n, text in entry.msgstr_plural.items()]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, text in pairs:
            if sorted(set(PLACEHOLDER.findall(text))) != sorted(set(PLACEHOLDER.findall(source))):
                wrong.append((source, text))
    assert wrong == []


def test_pages_come_in_the_language_chosen_in_the_menu(client, world):
    from django.urls import reverse

    client.force_login(world.primary.user)
    by_user = reverse("teams:member-list", kwargs={"team_id": world.team.pk})

    english = client.get(by_user).content.decode()
    assert '<html lang="en"' in english
    assert "By User" in english

    client.post(reverse("accounts:language-set"), {"language": "nl", "next": by_user})
    dutch = client.get(by_user).content.decode()
    assert '<html lang="nl"' in dutch
    assert "Per gebruiker" in dutch
    assert "Gebruikers uitnodigen" in dutch
    assert ">By User<" not in dutch


def test_a_mail_goes_out_in_the_recipients_language(world, mailoutbox, django_capture_on_commit_callbacks):
    # SPEC §4: mails in the recipient's language, whatever the admin's.
    from licensing.subscriptions.services import assignment_create

    world.user.user.language = "nl"
    world.user.user.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        assignment_create(member=world.user, product=world.product, actor=world.primary.user)

    [mail] = [m for m in mailoutbox if world.user.user.email in m.to]
    assert mail.subject == f"{world.product.name} staat voor u klaar"


def test_short_dates_follow_the_language():
    import datetime

    from django.utils import translation
    from django.utils.formats import date_format

    day = datetime.date(2026, 11, 28)
    with translation.override("en"):
        assert date_format(day, "SHORT_DATE_FORMAT") == "28 Nov 2026"
        assert date_format(day, "MONTH_DAY_FORMAT") == "28 Nov"
    with translation.override("nl"):
        assert date_format(day, "SHORT_DATE_FORMAT") == "28 nov 2026"  # Dutch months are lower case
        assert date_format(day, "MONTH_DAY_FORMAT") == "28 nov"
