"""Migration groups.0002: the reasons of the members waiting for a seat, kept as sentences in the
language of whoever caused the wait, become codes (SeatWait.Reason) said in the reader's language."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from licensing.groups.models import Group
from tests.factories import MemberFactory, ProductFactory, TeamFactory

BEFORE = [("groups", "0001_initial")]
AFTER = [("groups", "0002_seat_wait_reason_code")]


@pytest.mark.django_db(transaction=True)
def test_sentences_in_english_and_dutch_become_codes():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    # The other apps' tables are as they are now: their rows through today's factories.
    SeatWait = executor.loader.project_state(BEFORE).apps.get_model("groups", "SeatWait")
    team = TeamFactory(name="Design")
    product = ProductFactory(code="draftpro", name="DraftPro")
    group = Group.objects.create(team=team, name="Crew")
    sentences = {
        "All 3 seats of DraftPro in this team are assigned.": "no_free_seat",
        "Alle 3 licenties van DraftPro in dit team zijn toegewezen.": "no_free_seat",
        "This team has no active subscription of DraftPro.": "no_subscription",
        "Dit team heeft geen actief abonnement op DraftPro.": "no_subscription",
    }
    for sentence in sentences:
        member = MemberFactory(team=team)
        SeatWait.objects.create(
            group_id=group.pk, member_id=member.pk, product_id=product.pk, since=timezone.now(), reason=sentence
        )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    new = executor.loader.project_state(AFTER).apps.get_model("groups", "SeatWait")
    assert list(new.objects.order_by("pk").values_list("reason", flat=True)) == list(sentences.values())
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
