"""Team settings (the gear icon): who may open it and use "Rename" (R-T4) and "Create team" (R-T3),
what it shows, the refusals shown in the dialog with what was typed, and the current team in every
address (the team switcher)."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from licensing.activity.models import ActivityEvent
from licensing.teams.models import Member, Team
from licensing.teams.services import TEAM_NAME_REQUIRED, TEAM_NAME_TOO_LONG
from tests.factories import MemberFactory, ProductFactory, SubscriptionFactory
from tests.teams.test_member_views import ALLOWED, DENIED, give_names, sign_in

HTMX = {"HTTP_HX_REQUEST": "true"}
SCREENS = ["team-settings", "team-rename", "team-create"]


@pytest.fixture
def named(world):
    return give_names(world)


def url(name: str, team) -> str:
    return reverse(f"team_settings:{name}", kwargs={"team_id": team.pk})


def text(response) -> str:
    return response.content.decode()


def name_of(team) -> str:
    team.refresh_from_db()
    return team.name


def input_value(html: str) -> str:
    return re.search(r'<input class="form-control[^"]*" type="text" name="name"[^>]* value="([^"]*)"', html).group(1)


# --- Who may open and use it ---------------------------------------------------------------------


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_team_settings_are_only_for_the_teams_admins(client, world, screen, persona, status):
    # R-U1, SPEC §2: create / rename team is for primary and secondary admins.
    sign_in(client, world, persona)
    response = client.get(url(screen, world.team))
    assert response.status_code == status
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("persona", [*ALLOWED, "staff"])
def test_primary_and_secondary_admins_and_support_open_team_settings(client, world, screen, persona):
    sign_in(client, world, persona)
    assert client.get(url(screen, world.team)).status_code == 200


@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_only_the_teams_admins_can_rename_it(client, world, persona, status):
    # R-T4
    sign_in(client, world, persona)
    response = client.post(url("team-rename", world.team), {"name": "Hijacked"})
    assert response.status_code == status
    assert name_of(world.team) == "Design"


@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_only_the_teams_admins_can_create_a_team_from_it(client, world, persona, status):
    # R-T3
    sign_in(client, world, persona)
    response = client.post(url("team-create", world.team), {"name": "Hijacked"})
    assert response.status_code == status
    assert not Team.objects.filter(name="Hijacked").exists()


@pytest.mark.parametrize("screen", SCREENS)
def test_an_admin_of_another_team_of_the_same_customer_gets_404(client, world, screen):
    # SPEC §2: an admin's rights hold only in the teams where they are admin.
    admin_elsewhere = MemberFactory(team=world.other_team, role=Member.Role.SECONDARY_ADMIN)
    client.force_login(admin_elsewhere.user)
    assert client.get(url(screen, world.team)).status_code == 404
    assert client.post(url(screen, world.team), {"name": "Hijacked"}).status_code == 404
    assert name_of(world.team) == "Design"


def test_every_team_settings_address_names_the_current_team(world):
    # The team switcher: the team is part of the address, never only of the session.
    for screen in SCREENS:
        assert url(screen, world.team).startswith(f"/teams/{world.team.pk}/settings/")


# --- What the settings show ----------------------------------------------------------------------


def test_the_settings_show_the_name_the_admins_and_the_subscriptions(client, named):
    SubscriptionFactory(
        team=named.team, product=ProductFactory(name="RenderCloud"), seats=7, plan="premium", sso_enabled=True
    )
    sign_in(client, named, "secondary")
    html = text(client.get(url("team-settings", named.team)))
    assert '<h1 class="sk-page-title text-break">Design</h1>' in html
    assert "Bouwbedrijf De Vries B.V." in html
    for name in ("Jan de Vries", "Anna Bakker"):
        assert name in html
    assert "David de Jong" not in html  # a user, not an admin
    assert "DraftPro" in html
    assert named.subscription.contract.number in html
    assert "RenderCloud" in html
    assert "Premium" in html
    assert "SSO" in html
    # The Actions (R-T3, R-T8) and Rename (R-T4).
    assert f'href="{url("team-rename", named.team)}"' in html
    assert f'href="{url("team-create", named.team)}"' in html
    assert f'href="{url("subscription-move", named.team)}"' in html
    assert "Next steps" not in html  # a team with users and subscriptions


def test_the_settings_page_runs_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    for _ in range(10):
        SubscriptionFactory(team=world.team)
    sign_in(client, world, "primary")
    with django_assert_max_num_queries(12):
        assert client.get(url("team-settings", world.team)).status_code == 200


def test_team_settings_are_in_the_navigation_with_a_gear(client, world):
    sign_in(client, world, "primary")
    settings_url = url("team-settings", world.team)
    html = text(client.get(reverse("team-home", kwargs={"team_id": world.team.pk})))
    assert re.search(rf'href="{settings_url}"[^>]*>\s*<i class="bi bi-gear"', html)
    html = text(client.get(settings_url))
    assert f'href="{settings_url}" aria-current="page"' in html


def test_the_team_switcher_keeps_the_admin_in_team_settings(client, world):
    # The primary admin of Design and Engineering switches team on the settings page.
    sign_in(client, world, "primary")
    html = text(client.get(url("team-settings", world.team)))
    assert re.search(rf'href="{url("team-settings", world.other_team)}"[^>]*data-team-id="{world.other_team.pk}"', html)


# --- Rename (R-T4) ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ALLOWED)
def test_an_admin_renames_the_team(client, world, persona):
    # R-T4
    sign_in(client, world, persona)
    form = text(client.get(url("team-rename", world.team)))
    assert input_value(form) == "Design"
    assert "Save changes" in form
    response = client.post(url("team-rename", world.team), {"name": "  Design  &  Build "}, follow=True)
    assert name_of(world.team) == "Design & Build"
    assert response.redirect_chain[-1][0] == url("team-settings", world.team)
    assert "The team is now called Design &amp; Build." in text(response)
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.TEAM_RENAMED)
    assert (event.before, event.after, event.actor) == (
        {"name": "Design"},
        {"name": "Design & Build"},
        getattr(world, persona).user,
    )


def test_a_blank_name_is_refused_and_the_typed_value_stays(client, world):
    # R-T4
    sign_in(client, world, "primary")
    response = client.post(url("team-rename", world.team), {"name": "   "})
    assert response.status_code == 200
    assert escape(str(TEAM_NAME_REQUIRED)) in text(response)
    assert input_value(text(response)) == "   "
    assert name_of(world.team) == "Design"
    assert not ActivityEvent.objects.exists()


def test_a_name_that_is_too_long_is_refused_and_the_typed_value_stays(client, world):
    sign_in(client, world, "primary")
    typed = "Design " * 20
    response = client.post(url("team-rename", world.team), {"name": typed})
    assert escape(str(TEAM_NAME_TOO_LONG)) in text(response)
    assert input_value(text(response)) == typed
    assert name_of(world.team) == "Design"


def test_renaming_to_the_same_name_changes_nothing(client, world):
    sign_in(client, world, "primary")
    response = client.post(url("team-rename", world.team), {"name": "Design"}, follow=True)
    assert "Nothing changed: the team is already called Design." in text(response)
    assert not ActivityEvent.objects.exists()


def test_with_htmx_the_rename_dialog_comes_alone_and_saving_redirects(client, world):
    sign_in(client, world, "primary")
    response = client.get(url("team-rename", world.team), **HTMX)
    assert text(response).lstrip().startswith("<form")
    assert "<html" not in text(response)
    assert 'data-bs-dismiss="modal"' in text(response)
    refused = client.post(url("team-rename", world.team), {"name": ""}, **HTMX)
    assert refused.status_code == 200
    assert escape(str(TEAM_NAME_REQUIRED)) in text(refused)
    response = client.post(url("team-rename", world.team), {"name": "Studio"}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == url("team-settings", world.team)


# --- Create team (R-T3) ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ALLOWED)
def test_the_admin_who_creates_a_team_becomes_its_primary_admin(client, world, persona):
    # R-T3, R-PA1
    sign_in(client, world, persona)
    creator = getattr(world, persona).user
    response = client.post(url("team-create", world.team), {"name": " Marketing "}, follow=True)
    created = Team.objects.get(name="Marketing")
    assert created.customer == world.team.customer
    assert created.created_by == creator
    assert list(created.members.values_list("user", "role", "status")) == [
        (creator.pk, Member.Role.PRIMARY_ADMIN, Member.Status.ACTIVE)
    ]
    # Their place in the team they came from does not change.
    assert Member.objects.get(team=world.team, user=creator).role == getattr(world, persona).role
    assert response.redirect_chain[-1][0] == url("team-settings", created)
    assert "Marketing is created, and you are its primary admin." in text(response)
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.TEAM_CREATED)
    assert (event.team, event.actor, event.after) == (
        created,
        creator,
        {"name": "Marketing", "primary_admin": creator.email},
    )


def test_a_new_team_offers_to_invite_users_and_move_subscriptions(client, world):
    # R-T3, then R-T5 and R-T8 for the new team.
    sign_in(client, world, "secondary")
    response = client.post(url("team-create", world.team), {"name": "Marketing"}, follow=True)
    created = Team.objects.get(name="Marketing")
    html = text(response)
    assert "Next steps for Marketing" in html
    assert f'href="{reverse("accounts:member-invite", kwargs={"team_id": created.pk})}"' in html
    assert f'href="{url("subscription-move", created)}"' in html
    # The new team is in the team switcher at once.
    assert f'data-team-id="{created.pk}"' in html


def test_a_team_without_a_name_is_not_created(client, world):
    # R-T3
    sign_in(client, world, "primary")
    response = client.post(url("team-create", world.team), {"name": " "})
    assert response.status_code == 200
    assert escape(str(TEAM_NAME_REQUIRED)) in text(response)
    assert input_value(text(response)) == " "
    assert Team.objects.filter(customer=world.team.customer).count() == 2


def test_with_htmx_creating_a_team_redirects_to_its_settings(client, world):
    sign_in(client, world, "primary")
    form = client.get(url("team-create", world.team), **HTMX)
    assert text(form).lstrip().startswith("<form")
    assert "Create team" in text(form)
    response = client.post(url("team-create", world.team), {"name": "Marketing"}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == url("team-settings", Team.objects.get(name="Marketing"))
