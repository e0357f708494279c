"""By User's group filter (R-GR6): the members of one of the team's groups. Only the team's own groups
are offered; another team's group is not a valid choice. (Seat Usage's: tests/reports/test_seat_usage_groups.py.)"""

import pytest
from django.urls import reverse

from licensing.groups.services import group_create, group_members_add
from tests.teams.test_member_views import sign_in


def member_list(client, world, **query):
    address = reverse("teams:member-list", kwargs={"team_id": world.team.pk})
    return client.get(address, query)


def listed(response) -> list[str]:
    return [row.record.user.email for row in response.context["table"].page.object_list]


@pytest.fixture
def engineering(world):
    group = group_create(team=world.team, name="Engineering", actor=world.primary.user)
    group_members_add(group=group, members=[world.user, world.guest], actor=world.primary.user)
    return group


def test_by_user_filters_by_a_group_of_the_team(client, world, engineering):
    # R-GR6
    group_create(team=world.other_team, name="Other team's group", actor=world.primary.user)
    sign_in(client, world, "primary")
    response = member_list(client, world, group=engineering.pk)
    assert sorted(listed(response)) == ["guest@example.com", "user@example.com"]
    page = response.content.decode()
    assert 'name="group"' in page
    assert "Engineering" in page
    assert "Other team&#x27;s group" not in page
    assert response.context["filter"].is_filtered


def test_by_user_has_no_group_filter_while_the_team_has_no_groups(client, world):
    # R-GR6
    sign_in(client, world, "primary")
    page = member_list(client, world).content.decode()
    assert 'name="group"' not in page


def test_another_teams_group_is_not_a_choice_of_by_user(client, world, engineering):
    # R-GR6: the filter is not valid: the list is not narrowed to another team's members.
    theirs = group_create(team=world.other_team, name="Theirs", actor=world.primary.user)
    sign_in(client, world, "primary")
    response = member_list(client, world, group=theirs.pk)
    assert response.status_code == 200
    assert "group" in response.context["filter"].form.errors
    assert response.context["table"].paginator.count == world.team.members.count()
