"""Invitation mails are limited per admin and per team (licensing.accounts.invitations.invitations_allow):
an admin sends at most INVITATIONS_PER_ADMIN_PER_HOUR in any hour, a team receives at most
INVITATIONS_PER_TEAM_PER_DAY in any 24 hours, whichever way they are sent (Invite single, re-sending,
Invite Multiple, the import, Assign users). A request beyond a limit is refused before anything is
written, with the numbers and when more may go. Support staff and the system are not limited."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape

from licensing.accounts.invitations import (
    ADMIN_LIMIT_LEFT,
    ADMIN_LIMIT_REACHED,
    ADMIN_LIMIT_TOO_MANY,
    TEAM_LIMIT_REACHED,
)
from licensing.accounts.invite_many import member_invite_many
from licensing.accounts.models import Invitation, User
from licensing.accounts.services import invitation_resend, member_invite
from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Assignment
from licensing.teams.models import Member
from tests.concurrency import run_together
from tests.factories import MemberFactory

INVITED = ActivityEvent.Action.MEMBER_INVITED


@pytest.fixture
def limits(settings):
    settings.INVITATIONS_PER_ADMIN_PER_HOUR = 3
    settings.INVITATIONS_PER_TEAM_PER_DAY = 5
    return settings


def invite(world, n: int, *, actor=None, team=None) -> Member:
    return member_invite(
        team=team or world.team,
        email=f"p{n}@example.nl",
        first_name="Person",
        last_name=f"Number {n}",
        actor=world.primary.user if actor is None else actor,
    )


def ago(minutes: int):
    return (timezone.now() - timedelta(minutes=minutes)).replace(second=0, microsecond=0)


def sent_at(*moments) -> None:
    """Date the invitations in the activity log, oldest first, at `moments`."""
    events = list(ActivityEvent.objects.filter(action=INVITED).order_by("pk"))
    assert len(events) == len(moments)
    for event, moment in zip(events, moments, strict=True):
        ActivityEvent.objects.filter(pk=event.pk).update(created_at=moment)


def at(moment) -> str:
    """A time as the messages write it: alone today, with its day otherwise."""
    local = timezone.localtime(moment)
    return date_format(local, "H:i" if local.date() == timezone.localdate() else "SHORT_DATETIME_FORMAT")


def written() -> tuple:
    return (User.objects.count(), Member.objects.count(), Invitation.objects.count(), ActivityEvent.objects.count())


def refusal(call) -> str:
    with pytest.raises(ValidationError) as refused:
        call()
    assert refused.value.error_list[0].code == "invitation_limit"
    return " ".join(refused.value.messages)


# --- The rule, in the services --------------------------------------------------------------------


def test_an_admin_sends_at_most_the_invitations_an_hour_allows(world, limits, mailoutbox):
    for n in range(3):
        invite(world, n)
    sent_at(ago(50), ago(40), ago(5))
    before, mails = written(), len(mailoutbox)
    message = refusal(lambda: invite(world, 3))
    assert message == ADMIN_LIMIT_REACHED % {"count": 3, "sent": "3", "time": at(ago(50) + timedelta(hours=1))}
    assert message.startswith("You have sent 3 invitations in the last hour; you can send more after ")
    assert written() == before
    assert len(mailoutbox) == mails


def test_an_admin_may_invite_again_once_the_hour_has_passed(world, limits):
    for n in range(3):
        invite(world, n)
    sent_at(ago(61), ago(40), ago(5))
    invite(world, 3)
    assert Member.objects.filter(user__email="p3@example.nl").exists()


def test_resending_an_invitation_counts_as_an_invitation(world, limits):
    member = invite(world, 0)
    invite(world, 1)
    invitation_resend(member=member, actor=world.primary.user)
    refusal(lambda: invitation_resend(member=member, actor=world.primary.user))
    assert Invitation.objects.filter(member=member).count() == 2


def test_a_team_receives_at_most_the_invitations_a_day_allows_from_all_its_admins(world, limits):
    limits.INVITATIONS_PER_ADMIN_PER_HOUR = 100
    for n in range(3):
        invite(world, n)
    for n in range(3, 5):
        invite(world, n, actor=world.secondary.user)
    ActivityEvent.objects.filter(action=INVITED).update(created_at=ago(60 * 20))
    message = refusal(lambda: invite(world, 5, actor=world.secondary.user))
    assert message == TEAM_LIMIT_REACHED % {
        "count": 5,
        "sent": "5",
        "limit": "5",
        "time": at(ago(60 * 20) + timedelta(hours=24)),
    }
    invite(world, 5, team=world.other_team)  # the primary admin's other team has its own


def test_a_batch_beyond_the_limit_is_refused_whole_before_anything_is_written(world, limits):
    invite(world, 0)
    sent_at(ago(30))
    before = written()
    rows = [type("Row", (), {"email": f"q{n}@example.nl", "first_name": "Q", "last_name": f"N{n}"}) for n in range(3)]
    message = refusal(lambda: member_invite_many(team=world.team, rows=rows, actor=world.primary.user))
    assert message == ADMIN_LIMIT_LEFT % {
        "count": 1,
        "sent": "1",
        "limit": "3",
        "left": "2",
        "asked": "3",
        "time": at(ago(30) + timedelta(hours=1)),
    }
    assert written() == before


def test_support_staff_are_not_limited_and_use_up_none_of_a_teams_invitations(world, limits):
    limits.INVITATIONS_PER_ADMIN_PER_HOUR = 1
    limits.INVITATIONS_PER_TEAM_PER_DAY = 2
    for n in range(4):
        invite(world, n, actor=world.staff)
    invite(world, 4)
    refusal(lambda: invite(world, 5))  # the admin's one an hour
    invite(world, 5, actor=world.secondary.user)  # the team's second of the day
    refusal(lambda: invite(world, 6, actor=world.secondary.user))


def test_the_system_is_not_limited(world, limits):
    limits.INVITATIONS_PER_ADMIN_PER_HOUR = limits.INVITATIONS_PER_TEAM_PER_DAY = 1
    for n in range(3):
        member_invite(team=world.team, email=f"s{n}@example.nl", first_name="S", last_name="N", actor=None)
    invite(world, 0)


def test_zero_turns_a_limit_off(world, settings):
    settings.INVITATIONS_PER_ADMIN_PER_HOUR = settings.INVITATIONS_PER_TEAM_PER_DAY = 0
    for n in range(5):
        invite(world, n)


# --- Where the admin reads it -------------------------------------------------------------------------


def page(response) -> str:
    return response.content.decode()


def test_invite_single_shows_the_limit_in_the_dialog_and_invites_nobody(client, world, limits):
    limits.INVITATIONS_PER_ADMIN_PER_HOUR = 1
    invite(world, 0)
    client.force_login(world.primary.user)
    response = client.post(
        reverse("accounts:member-invite", kwargs={"team_id": world.team.pk}),
        {"first_name": "David", "last_name": "de Jong", "email": "david@example.nl"},
    )
    assert response.status_code == 200
    assert escape("You have sent 1 invitation in the last hour; you can send more after ") in page(response)
    assert not User.objects.filter(email="david@example.nl").exists()


def test_invite_multiple_invites_the_rows_within_the_limit_and_gives_back_the_others(client, world, limits):
    client.force_login(world.primary.user)
    people = [("Anna", "A", "a@example.nl"), ("Bert", "B", "b@example.nl"), ("Cor", "C", "c@example.nl")]
    data = {"rows-TOTAL_FORMS": "4", "rows-INITIAL_FORMS": "0"}
    for index, (first, last, email) in enumerate([*people, ("Dirk", "D", "d@example.nl")]):
        data |= {f"rows-{index}-first_name": first, f"rows-{index}-last_name": last, f"rows-{index}-email": email}
    response = client.post(reverse("accounts:invite-multiple", kwargs={"team_id": world.team.pk}), data)
    assert response.status_code == 200
    assert escape("You have sent 3 invitations in the last hour; you can send more after ") in page(response)
    assert 'value="d@example.nl"' in page(response)
    invited = Member.objects.filter(team=world.team, user__email__in=[p[2] for p in people]).count()
    assert invited == 3
    assert not User.objects.filter(email="d@example.nl").exists()


def upload(client, team, count: int):
    from django.core.files.uploadedfile import SimpleUploadedFile

    lines = ["First name,Last name,Email", *(f"Person,Number {n},person{n}@example.nl" for n in range(count))]
    content = ("\r\n".join(lines) + "\r\n").encode()
    url = reverse("accounts:invite-import", kwargs={"team_id": team.pk})
    response = client.post(url, {"file": SimpleUploadedFile("people.csv", content, content_type="text/csv")})
    return response, client.session[f"accounts:import:{team.pk}"]["id"]


def test_an_import_beyond_the_limit_is_refused_whole_and_its_preview_stays_to_confirm_later(client, world, limits):
    limits.INVITATIONS_PER_ADMIN_PER_HOUR = 5
    limits.INVITATIONS_PER_TEAM_PER_DAY = 100
    for n in range(3):
        invite(world, n)
    sent_at(ago(40), ago(30), ago(20))
    client.force_login(world.primary.user)
    _preview, import_id = upload(client, world.team, 4)
    confirm = reverse("accounts:invite-import-confirm", kwargs={"team_id": world.team.pk})
    before = written()

    response = client.post(confirm, {"import_id": import_id})
    assert response.status_code == 200
    expected = ADMIN_LIMIT_LEFT % {
        "count": 3,
        "sent": "3",
        "limit": "5",
        "left": "2",
        "asked": "4",
        "time": at(ago(30) + timedelta(hours=1)),
    }
    assert escape(expected) in page(response)
    assert f'name="import_id" value="{import_id}"' in page(response)
    assert written() == before

    sent_at(ago(70), ago(65), ago(20))  # the hour has passed for two of them
    response = client.post(confirm, {"import_id": import_id})
    assert response.status_code == 302
    assert Member.objects.filter(team=world.team, user__email__startswith="person").count() == 4


def test_an_import_larger_than_the_limit_says_to_split_it(client, world, limits):
    client.force_login(world.primary.user)
    _preview, import_id = upload(client, world.team, 4)
    response = client.post(
        reverse("accounts:invite-import-confirm", kwargs={"team_id": world.team.pk}), {"import_id": import_id}
    )
    assert escape(ADMIN_LIMIT_TOO_MANY % {"limit": "3", "asked": "4"}) in page(response)
    assert not Member.objects.filter(user__email__startswith="person").exists()


def test_support_staff_import_thousands(client, world, settings, run_jobs):
    # The limits' defaults, and an import of 1,500 people by support staff: not limited. So many are a
    # job (licensing.jobs), which the worker runs as support staff.
    assert (settings.INVITATIONS_PER_ADMIN_PER_HOUR, settings.INVITATIONS_PER_TEAM_PER_DAY) == (200, 1000)
    client.force_login(world.staff)
    _preview, import_id = upload(client, world.team, 1500)
    response = client.post(
        reverse("accounts:invite-import-confirm", kwargs={"team_id": world.team.pk}), {"import_id": import_id}
    )
    assert response.status_code == 302
    assert run_jobs() == 1
    assert Member.objects.filter(team=world.team, user__email__startswith="person").count() == 1500


def test_assign_users_refuses_the_whole_list_when_inviting_would_pass_the_limit(client, world, limits):
    limits.INVITATIONS_PER_ADMIN_PER_HOUR = 1
    invite(world, 0)
    client.force_login(world.primary.user)
    url = reverse(
        "subscriptions:product-assign-users", kwargs={"team_id": world.team.pk, "product_id": world.product.pk}
    )
    newcomer = 'i:["nina@example.nl", "Nina", "Nieuw"]'
    response = client.post(url, {"person": [f"m:{world.user.pk}", newcomer], "action": "assign"})
    assert response.status_code == 200
    assert escape("You have sent 1 invitation in the last hour; you can send more after ") in page(response)
    assert not Assignment.objects.filter(product=world.product).exists()
    assert not User.objects.filter(email="nina@example.nl").exists()


def test_resend_invite_says_the_limit(client, world, limits):
    limits.INVITATIONS_PER_ADMIN_PER_HOUR = 1
    invite(world, 0)
    client.force_login(world.primary.user)
    url = reverse("accounts:invitation-resend", kwargs={"team_id": world.team.pk, "member_id": world.invited.pk})
    response = client.post(url, follow=True)
    assert escape("You have sent 1 invitation in the last hour; you can send more after ") in page(response)
    assert not Invitation.objects.filter(member=world.invited).exists()


# --- At the same moment -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_admin_inviting_into_two_teams_at_once_passes_no_limit(world, limits):
    # The primary admin of Design and Engineering, one invitation left: two requests, two team locks.
    limits.INVITATIONS_PER_ADMIN_PER_HOUR = 1
    outcomes = run_together(
        lambda: invite(world, 0, team=world.team),
        lambda: invite(world, 1, team=world.other_team),
    )
    assert sorted(outcome.ok for outcome in outcomes) == [False, True]
    (error,) = [outcome.error for outcome in outcomes if not outcome.ok]
    assert isinstance(error, ValidationError), error
    assert ActivityEvent.objects.filter(action=INVITED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_admins_inviting_at_once_pass_no_team_limit(world, limits):
    limits.INVITATIONS_PER_TEAM_PER_DAY = 1
    third = MemberFactory(team=world.team, role=Member.Role.SECONDARY_ADMIN)
    outcomes = run_together(
        lambda: invite(world, 0, actor=world.primary.user),
        lambda: invite(world, 1, actor=world.secondary.user),
        lambda: invite(world, 2, actor=third.user),
    )
    assert sorted(outcome.ok for outcome in outcomes) == [False, False, True]
    assert all(isinstance(outcome.error, ValidationError) for outcome in outcomes if not outcome.ok)
    assert ActivityEvent.objects.filter(action=INVITED).count() == 1
