"""By User's bulk actions on many (issue 22, licensing.teams.bulk): "Select all 1,017 users that match"
resolved on the server from the list's filters, bulk "Change role" (User or Secondary admin, the guest
flag; never Primary admin) and "Resend invitation", and a large action run as a job with its page.

The rules: R-U1 (By User), R-D1/R-D2 (delete; admins refused), R-SA1 (secondary admins named), R-PA1/R-PA2
(the primary admin is one person, changed only on their own dialog), R-G2/R-G3 (guests; admins are
never guests), R-U5 (resending an invitation)."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from licensing.accounts.models import Invitation
from licensing.activity.models import ActivityEvent
from licensing.jobs.models import Job
from licensing.subscriptions.models import Assignment
from licensing.teams.models import Member
from licensing.teams.services import ADMIN_CANNOT_BE_DELETED, ADMIN_CANNOT_BE_GUEST, PRIMARY_ADMIN_NEEDED
from tests.factories import MemberFactory
from tests.teams.test_member_views import give_names, invite_pending, list_url, sign_in

HTMX = {"HTTP_HX_REQUEST": "true"}


def bulk_url(team) -> str:
    return reverse("teams:member-bulk", kwargs={"team_id": team.pk})


def text(response) -> str:
    return response.content.decode()


def exists(member) -> bool:
    return Member.objects.filter(pk=member.pk).exists()


def role_of(member) -> tuple[str, bool]:
    member.refresh_from_db()
    return member.role, member.is_guest


@pytest.fixture
def named(world):
    return give_names(world)


@pytest.fixture
def crowd(named):
    """Thirty more users of the team whose address is at crowd.example, and one at elsewhere.example."""
    people = [
        MemberFactory(team=named.team, user__email=f"c{n:02}@crowd.example", user__last_name=f"Crowd{n:02}")
        for n in range(30)
    ]
    named.crowd = people
    named.elsewhere = MemberFactory(team=named.team, user__email="e@elsewhere.example")
    return named


# --- "Select all N users that match" on the list ------------------------------------------------


def test_the_list_offers_to_select_all_that_match_when_there_are_more_than_a_page(client, crowd):
    # R-U1: 30 match "crowd", 25 on a page.
    sign_in(client, crowd, "primary")
    html = text(client.get(list_url(crowd.team, q="crowd", per_page=25)))
    assert "Select all 30 users that match" in html
    assert "All 25 users on this page are selected." in html
    assert 'href="?q=crowd&amp;per_page=25&amp;select=all"' in html
    # One page holds them all: nothing more to select.
    assert "users that match" not in text(client.get(list_url(crowd.team, q="crowd", per_page=50)))


def test_select_all_on_the_list_ticks_the_rows_and_says_all_are_selected(client, crowd):
    sign_in(client, crowd, "primary")
    html = text(client.get(list_url(crowd.team, q="crowd", per_page=25, select="all")))
    assert "All 30 users that match are selected." in html
    assert 'name="select" value="all"' in html
    assert len(re.findall(r"data-select-row[^>]*>", html)) == 25
    assert len(re.findall(r"data-select-row[^>]* checked>", html)) == 25
    assert 'href="?q=crowd&amp;per_page=25" data-select-clear' in html


def test_select_all_resolves_the_members_from_the_filters_at_the_moment_of_the_action(client, crowd):
    # R-D1: a member added meanwhile that matches is included, one that does not match is not, and a
    # forged list of members (another team's) is not even read.
    sign_in(client, crowd, "primary")
    late = MemberFactory(team=crowd.team, user__email="late@crowd.example")
    data = {
        "select": "all",
        "query": "q=crowd&per_page=25&page=2",
        "action": "delete",
        "members": [crowd.outsider.pk, crowd.elsewhere.pk],
    }
    html = text(client.post(bulk_url(crowd.team), data, **HTMX))
    assert "Delete 31 users?" in html
    assert "and 11 more" in html
    response = client.post(bulk_url(crowd.team), {**data, "confirm": "True"}, follow=True)
    assert "31 deleted." in text(response)
    assert not any(exists(m) for m in [*crowd.crowd, late])
    assert exists(crowd.elsewhere)
    assert exists(crowd.outsider)
    assert exists(crowd.user)
    # Back to the list with its filters, nothing selected any more.
    assert response.redirect_chain[-1][0] == list_url(crowd.team, q="crowd", per_page=25, page=2)


def test_select_all_lists_the_first_ones_and_says_how_many_more(client, named, settings):
    # R-D2: the admins among all that match are named and counted as not deleted.
    for n in range(25):
        MemberFactory(team=named.team, user__email=f"p{n:02}@many.example")
    sign_in(client, named, "primary")
    html = text(client.post(bulk_url(named.team), {"select": "all", "query": "", "action": "delete"}))
    # 25 + the world's 5 in Design (primary, secondary, user, guest, invited): 2 admins refused.
    assert "Delete 28 users?" in html
    assert "and 10 more" in html
    assert "2 admins are not deleted: change their role to User first." in html
    assert 'name="select" value="all"' in html
    assert 'name="members"' not in html


def test_select_all_with_filters_that_are_not_valid_acts_on_nobody(client, crowd):
    sign_in(client, crowd, "primary")
    data = {"select": "all", "query": "role=boss", "action": "delete", "confirm": "True"}
    html = text(client.post(bulk_url(crowd.team), data))
    assert "The filters of the list are not valid." in html
    assert all(exists(m) for m in crowd.crowd)


def test_select_all_when_nothing_matches_any_more_says_so(client, crowd):
    sign_in(client, crowd, "primary")
    data = {"select": "all", "query": "q=nobody-at-all", "action": "assign", "product": crowd.product.pk}
    assert "No users match the list&#x27;s filters any more." in text(client.post(bulk_url(crowd.team), data))


def test_select_all_assign_asks_first_then_assigns_to_all_that_match(client, crowd):
    crowd.subscription.seats = 40
    crowd.subscription.save()
    sign_in(client, crowd, "secondary")
    data = {"select": "all", "query": "q=crowd", "action": "assign", "product": crowd.product.pk}
    assert "Assign DraftPro to 30 users?" in text(client.post(bulk_url(crowd.team), data))
    assert not Assignment.objects.filter(member__in=crowd.crowd).exists()
    text(client.post(bulk_url(crowd.team), {**data, "confirm": "True"}))
    assert Assignment.objects.filter(member__in=crowd.crowd, product=crowd.product).count() == 30
    assert not Assignment.objects.filter(member=crowd.elsewhere).exists()


@pytest.mark.parametrize(("persona", "status"), [("anonymous", 302), ("user", 403), ("guest", 403), ("outsider", 404)])
@pytest.mark.parametrize("action", ["delete", "role", "resend"])
def test_only_the_teams_admins_act_on_all_that_match(client, crowd, persona, status, action):
    # R-D1, R-SA1, R-U5: whoever is not an admin of this team acts on nobody, whatever they send.
    sign_in(client, crowd, persona)
    data = {"select": "all", "query": "", "action": action, "role": "user", "guest": "yes", "confirm": "True"}
    assert client.post(bulk_url(crowd.team), data).status_code == status
    assert all(exists(m) for m in crowd.crowd)
    assert all(role_of(m) == ("user", False) for m in crowd.crowd)


def test_the_confirmation_of_all_that_match_takes_the_same_queries_for_30_or_130(client, crowd):
    # The dialog lists the first LISTED and counts the rest: its queries do not grow with the team.
    sign_in(client, crowd, "primary")
    data = {"select": "all", "query": "q=crowd", "action": "delete"}

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.post(bulk_url(crowd.team), data).status_code == 200
        return len(captured)

    queries()  # the first request of the session reads what later ones find cached
    few = queries()
    for n in range(100):
        MemberFactory(team=crowd.team, user__email=f"more{n:03}@crowd.example")
    assert queries() == few


# --- Change role --------------------------------------------------------------------------------


def test_change_role_asks_for_the_role_and_never_offers_primary_admin(client, named):
    # R-PA2: the primary admin is one person, chosen on their own dialog.
    sign_in(client, named, "primary")
    data = {"members": [named.user.pk, named.guest.pk, named.primary.pk], "action": "role"}
    html = text(client.post(bulk_url(named.team), data, **HTMX))
    assert "Change the role of 2 users" in html
    assert 'value="secondary_admin"' in html
    assert 'value="user"' in html
    assert 'value="primary_admin"' not in html
    assert "Not changed: primary admin." in html
    assert role_of(named.user) == ("user", False)


def test_change_role_without_a_role_asks_again(client, named):
    sign_in(client, named, "primary")
    data = {"members": [named.user.pk], "action": "role", "confirm": "True"}
    html = text(client.post(bulk_url(named.team), data))
    assert "Choose the role the selected users get." in html
    assert role_of(named.user) == ("user", False)


def test_bulk_secondary_admin_refuses_the_primary_admin_with_the_reason(client, named):
    # R-SA1, R-PA1, R-G3: the guest made secondary admin stops being a guest; the primary admin stays.
    sign_in(client, named, "primary")
    data = {
        "members": [named.user.pk, named.guest.pk, named.primary.pk],
        "action": "role",
        "role": "secondary_admin",
        "confirm": "True",
    }
    html = text(client.post(bulk_url(named.team), data, follow=True))
    assert "2 users are now Secondary admin; 1 not changed:" in html
    assert escape(PRIMARY_ADMIN_NEEDED % {"name": "Jan de Vries"}) in html
    assert role_of(named.user) == ("secondary_admin", False)
    assert role_of(named.guest) == ("secondary_admin", False)
    assert role_of(named.primary) == ("primary_admin", False)
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.ROLE_CHANGED).count() == 2


def test_bulk_guest_user_marks_users_as_guests_and_refuses_admins(client, named):
    # R-G2, R-G3, R-PA1
    sign_in(client, named, "primary")
    data = {
        "members": [named.user.pk, named.secondary.pk, named.primary.pk, named.guest.pk],
        "action": "role",
        "role": "user",
        "guest": "yes",
        "confirm": "True",
    }
    html = text(client.post(bulk_url(named.team), data, follow=True))
    assert "2 users are now Guest user; 1 had that role already; 1 not changed:" in html
    assert role_of(named.user) == ("user", True)
    assert role_of(named.secondary) == ("user", True)
    assert role_of(named.guest) == ("user", True)
    assert role_of(named.primary) == ("primary_admin", False)


def test_bulk_secondary_admin_and_guest_together_is_refused_before_anything(client, named):
    # R-G3
    sign_in(client, named, "primary")
    data = {"members": [named.user.pk], "action": "role", "role": "secondary_admin", "guest": "yes"}
    html = text(client.post(bulk_url(named.team), {**data, "confirm": "True"}))
    assert escape(str(ADMIN_CANNOT_BE_GUEST)) in html
    assert role_of(named.user) == ("user", False)


def test_a_secondary_admin_who_makes_everyone_a_user_does_themselves_last(client, named):
    # R-SA1: they lose the right to change roles with their own row, so theirs comes after the others'.
    sign_in(client, named, "secondary")
    other = MemberFactory(team=named.team, role=Member.Role.SECONDARY_ADMIN, user__last_name="Zz")
    data = {
        "members": [named.secondary.pk, other.pk],
        "action": "role",
        "role": "user",
        "confirm": "True",
    }
    response = client.post(bulk_url(named.team), data, follow=True)
    assert role_of(named.secondary) == ("user", False)
    assert role_of(other) == ("user", False)
    assert "You are no longer an admin of Design." in text(response)
    assert response.redirect_chain[-1][0] == reverse("home")


def test_select_all_change_role_acts_on_all_that_match(client, crowd):
    # R-SA1
    sign_in(client, crowd, "primary")
    data = {"select": "all", "query": "q=crowd", "action": "role", "role": "secondary_admin", "confirm": "True"}
    text(client.post(bulk_url(crowd.team), data))
    assert all(role_of(m) == ("secondary_admin", False) for m in crowd.crowd)
    assert role_of(crowd.elsewhere) == ("user", False)


# --- Resend invitation --------------------------------------------------------------------------


def test_bulk_resend_sends_to_the_invited_and_counts_those_who_accepted(client, named):
    # R-U5: a new link each, the old ones stop working; the accepted are counted, not mailed.
    invited = [MemberFactory(team=named.team, status=Member.Status.INVITED, accepted_at=None) for _ in range(2)]
    old = [invite_pending(m) for m in [named.invited, *invited]]
    sign_in(client, named, "primary")
    mail.outbox.clear()
    data = {"members": [named.invited.pk, *(m.pk for m in invited), named.user.pk, named.guest.pk], "action": "resend"}
    html = text(client.post(bulk_url(named.team), data, follow=True))
    assert "3 invitations sent again; 2 had already accepted." in html
    assert len(mail.outbox) == 3
    assert all(Invitation.objects.get(pk=i.pk).revoked_at is not None for i in old)
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.INVITATION_RESENT).count() == 3


def test_bulk_resend_stops_at_the_invitation_limit_and_says_it_once(client, named, settings):
    # R-U5 with the limits of invitations_allow.
    settings.INVITATIONS_PER_ADMIN_PER_HOUR = 2
    invited = [MemberFactory(team=named.team, status=Member.Status.INVITED, accepted_at=None) for _ in range(4)]
    sign_in(client, named, "primary")
    mail.outbox.clear()
    data = {"members": [m.pk for m in invited], "action": "resend"}
    html = text(client.post(bulk_url(named.team), data, follow=True))
    assert "2 invitations sent again; 2 not sent:" in html
    assert html.count("in the last hour") == 1
    assert len(mail.outbox) == 2


def test_select_all_resend_asks_first_and_says_who_already_accepted(client, named):
    sign_in(client, named, "primary")
    html = text(client.post(bulk_url(named.team), {"select": "all", "query": "", "action": "resend"}))
    assert "Resend the invitation to 1 user?" in html
    assert "4 have already accepted and get no mail." in html
    assert "Resend 1 invitation" in html
    # The one who gets a mail is listed first, before those who accepted.
    listed = html[html.index("sk-bulk-people") :]
    assert listed.index("new@example.com") < listed.index("primary@example.com")


# --- Large selections: a job with its page ------------------------------------------------------


def test_a_large_bulk_action_is_a_job_whose_page_gives_the_summary(client, crowd, settings, run_jobs):
    # R-D1, R-D2: more than JOBS_BULK_MEMBERS_AT_ONCE members: a job; the admins are refused there too.
    settings.JOBS_BULK_MEMBERS_AT_ONCE = 5
    sign_in(client, crowd, "primary")
    data = {"select": "all", "query": "", "action": "delete"}
    assert "this runs in the background" in text(client.post(bulk_url(crowd.team), data))
    response = client.post(bulk_url(crowd.team), {**data, "confirm": "True"})
    the_job = Job.objects.get()
    assert the_job.kind == Job.Kind.MEMBER_BULK
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:job", kwargs={"team_id": crowd.team.pk, "job_id": the_job.pk})
    page_url = response["Location"]
    assert "Acting on 36 users…" in text(client.get(page_url))
    assert all(exists(m) for m in crowd.crowd)
    assert run_jobs() >= 1
    done = text(client.get(page_url))
    assert "34 deleted; 2 not deleted:" in done
    assert escape(ADMIN_CANNOT_BE_DELETED % {"name": "Anna Bakker"}) in done
    assert not any(exists(m) for m in crowd.crowd)
    assert exists(crowd.primary)
    assert exists(crowd.secondary)


def test_a_large_role_change_is_a_job_too(client, crowd, settings, run_jobs):
    # R-SA1, R-PA1
    settings.JOBS_BULK_MEMBERS_AT_ONCE = 5
    sign_in(client, crowd, "primary")
    data = {"select": "all", "query": "", "action": "role", "role": "secondary_admin", "confirm": "True"}
    page_url = client.post(bulk_url(crowd.team), data)["Location"]
    run_jobs()
    done = text(client.get(page_url))
    assert "34 users are now Secondary admin; 1 had that role already; 1 not changed:" in done
    assert all(role_of(m) == ("secondary_admin", False) for m in crowd.crowd)


def test_the_job_of_an_admin_who_lost_the_right_meanwhile_does_nothing(client, crowd, settings, run_jobs):
    # R-D1: only admins delete; the job checks again when it runs.
    settings.JOBS_BULK_MEMBERS_AT_ONCE = 5
    sign_in(client, crowd, "secondary")
    data = {"select": "all", "query": "q=crowd", "action": "delete", "confirm": "True"}
    page_url = client.post(bulk_url(crowd.team), data)["Location"]
    Member.objects.filter(pk=crowd.secondary.pk).update(role=Member.Role.USER)
    run_jobs()
    assert Job.objects.get().status == Job.Status.FAILED
    assert all(exists(m) for m in crowd.crowd)
    Member.objects.filter(pk=crowd.secondary.pk).update(role=Member.Role.SECONDARY_ADMIN)
    assert "You are not an admin of this team." in text(client.get(page_url))


def test_a_small_bulk_action_still_answers_at_once(client, crowd, settings):
    settings.JOBS_BULK_MEMBERS_AT_ONCE = 500
    sign_in(client, crowd, "primary")
    data = {"select": "all", "query": "q=crowd", "action": "delete", "confirm": "True"}
    client.post(bulk_url(crowd.team), data)
    assert not Job.objects.exists()
    assert not any(exists(m) for m in crowd.crowd)
