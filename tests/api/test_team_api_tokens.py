"""R-API3: a token never does more than its owner may in the portal, at the moment of each request.
Owner demoted → the token loses the team; read-only → no writes; another team → 404; revoked,
expired, owner deactivated → 401; a team that requires a second factor → 403 while the owner has none."""

from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.utils import timezone

from licensing.accounts.access_tokens import access_token_revoke
from licensing.accounts.models import AccessToken
from licensing.teams.models import Member, Team
from licensing.teams.services import member_change_role
from tests.api.team_api import TeamApi, assert_problem, make_token
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def invite_body(email="someone@example.com"):
    return {"email": email, "first_name": "Some", "last_name": "One"}


def test_no_token_or_an_unknown_one_is_a_401_problem(client, world):
    api = TeamApi(client)
    problem = assert_problem(api.get("/teams"), 401)
    assert problem["instance"] == "/api/v1/teams"
    assert api.get("/teams")["WWW-Authenticate"] == "Bearer"
    assert_problem(api.get("/teams", token="sk_pat_nothing"), 401)
    # The desktop software's device token is no personal access token.
    assert_problem(api.get("/teams", token="a-device-token"), 401)


def test_the_portal_session_is_not_a_token(client, world):
    # R-API3: the API takes no cookie; a signed-in browser cannot be made to call it (no CSRF to forge).
    client.force_login(world.primary.user)
    assert_problem(TeamApi(client).get("/teams"), 401)


def test_owner_demoted_the_token_loses_the_team_at_once(client, world):
    # R-API3: made while secondary admin; changed to User in the portal: the same token gets 404.
    api = TeamApi(client, make_token(world.secondary.user))
    assert api.get(f"/teams/{world.team.pk}/members").status_code == 200
    member_change_role(member=world.secondary, role=Member.Role.USER, actor=world.primary.user)
    assert_problem(api.get(f"/teams/{world.team.pk}/members"), 404)
    assert_problem(api.post(f"/teams/{world.team.pk}/members", invite_body()), 404)
    assert api.get("/teams").json()["items"] == []
    # Made admin again: the token works again (it was never more than its owner).
    member_change_role(member=world.secondary, role=Member.Role.SECONDARY_ADMIN, actor=world.primary.user)
    assert api.get(f"/teams/{world.team.pk}/members").status_code == 200


def test_owner_deleted_from_the_team_the_token_loses_it(client, world):
    api = TeamApi(client, make_token(world.secondary.user))
    member_change_role(member=world.secondary, role=Member.Role.USER, actor=world.primary.user)
    world.secondary.delete()
    assert_problem(api.get(f"/teams/{world.team.pk}"), 404)


def test_a_read_only_token_reads_and_never_writes(client, world):
    # R-API3: 403 on every write, and nothing written.
    api = TeamApi(client, make_token(world.primary.user, access="read"))
    assert api.get(f"/teams/{world.team.pk}/members").status_code == 200
    team = world.team.pk
    writes = [
        api.post(f"/teams/{team}/members", invite_body()),
        api.patch(f"/teams/{team}/members/{world.user.pk}", {"role": "secondary_admin"}),
        api.delete(f"/teams/{team}/members/{world.user.pk}"),
        api.post(f"/teams/{team}/members/{world.user.pk}/products", {"product": "draftpro"}),
        api.put(f"/teams/{team}/members/{world.user.pk}/products/draftpro", {"items": []}),
        api.delete(f"/teams/{team}/members/{world.user.pk}/products/draftpro"),
    ]
    for response in writes:
        assert_problem(response, 403, "TOKEN_READ_ONLY")
    assert Member.objects.filter(team=world.team).count() == 5
    world.user.refresh_from_db()
    assert world.user.role == Member.Role.USER


def test_a_token_of_team_a_finds_nothing_of_team_b(client, world):
    # R-API3: made for Design only; Engineering (which its owner administers too) and the outsider's
    # team are as if they did not exist.
    api = TeamApi(client, make_token(world.primary.user, teams=[world.team]))
    assert [team["id"] for team in api.get("/teams").json()["items"]] == [world.team.pk]
    for team in (world.other_team, world.outsider_team):
        assert_problem(api.get(f"/teams/{team.pk}/members"), 404)
        assert_problem(api.post(f"/teams/{team.pk}/members", invite_body()), 404)
    assert_problem(api.get("/teams/999999/members"), 404)
    # The outsider's own token reaches nothing of the customer's teams either.
    outsider = TeamApi(client, make_token(world.outsider.user))
    assert_problem(outsider.get(f"/teams/{world.team.pk}/members/{world.user.pk}"), 404)


def test_a_token_for_all_teams_follows_its_owner_into_new_ones(client, world):
    api = TeamApi(client, make_token(world.outsider.user))
    newer = Team.objects.create(customer=world.outsider_team.customer, name="New")
    assert_problem(api.get(f"/teams/{newer.pk}/members"), 404)
    MemberFactory(team=newer, user=world.outsider.user, role=Member.Role.PRIMARY_ADMIN)
    assert api.get(f"/teams/{newer.pk}/members").status_code == 200


def test_a_revoked_token_stops_at_once(client, world):
    secret = make_token(world.primary.user)
    api = TeamApi(client, secret)
    assert api.get("/teams").status_code == 200
    access_token_revoke(token=AccessToken.objects.get(), actor=world.primary.user)
    assert_problem(api.get("/teams"), 401)
    assert api.get("/teams").json()["type"].endswith(":token-revoked")


def test_an_expired_token_stops(client, world):
    api = TeamApi(client, make_token(world.primary.user))
    AccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    problem = assert_problem(api.get("/teams"), 401)
    assert problem["type"].endswith(":token-expired")


def test_a_deactivated_owners_token_stops(client, world):
    api = TeamApi(client, make_token(world.primary.user))
    world.primary.user.is_active = False
    world.primary.user.save()
    problem = assert_problem(api.get("/teams"), 401)
    assert problem["type"].endswith(":token-deactivated")


def test_a_team_that_requires_a_second_factor_needs_one_of_the_owner(client, world):
    # issue 19's rule holds for scripts too: no second factor, no acting as admin of that team.
    api = TeamApi(client, make_token(world.primary.user))
    Team.objects.filter(pk=world.team.pk).update(admins_need_second_factor=True)
    problem = assert_problem(api.get(f"/teams/{world.team.pk}/members"), 403)
    assert problem["type"].endswith(":second-factor-required")
    assert api.get(f"/teams/{world.other_team.pk}/members").status_code == 200
    Authenticator.objects.create(user=world.primary.user, type=Authenticator.Type.TOTP, data={})
    assert api.get(f"/teams/{world.team.pk}/members").status_code == 200


def test_last_used_is_noted(client, world):
    api = TeamApi(client, make_token(world.primary.user))
    assert AccessToken.objects.get().last_used_at is None
    api.get("/teams")
    assert AccessToken.objects.get().last_used_at is not None


def test_support_staffs_token_has_no_powers_beyond_their_own_teams(client, world):
    # Support staff act on every team in the Django admin; a token of theirs acts only where they are
    # a team's admin (here: nowhere), so a script never holds support's powers.
    staff = world.staff
    from licensing.accounts.access_tokens import access_token_create

    MemberFactory(team=world.outsider_team, user=staff, role=Member.Role.SECONDARY_ADMIN)
    _token, secret = access_token_create(
        user=staff, name="x", teams=None, access="read_write", expires_on=timezone.localdate() + timedelta(days=1)
    )
    api = TeamApi(client, secret)
    assert_problem(api.get(f"/teams/{world.team.pk}/members"), 404)
    assert api.get(f"/teams/{world.outsider_team.pk}/members").status_code == 200
