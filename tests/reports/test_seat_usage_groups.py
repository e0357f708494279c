"""Seat Usage's group filter (R-GR6): the By User tab and its CSV export show the usage of a group's
members. The data is the hand-made week of tests/reports/conftest.py."""

import re

from licensing.groups.services import group_create, group_members_add
from tests.teams.test_member_views import sign_in

from .test_seat_usage_views import WEEK, download, url


def test_seat_usage_by_user_and_its_export_filter_by_group(client, usage):
    # R-GR6: the usage of the group's members (David and Gerrit), on screen and in the CSV.
    w = usage.world
    group = group_create(team=w.team, name="Site crew", actor=w.primary.user)
    group_members_add(group=group, members=[w.user, w.guest], actor=w.primary.user)
    sign_in(client, w, "primary")

    response = client.get(url(w.team, tab="users", group=group.pk, **WEEK))

    names = re.findall(r'class="sk-member-link" href="[^"]+">([^<]+)</a>', response.content.decode())
    assert sorted(set(names)) == ["David de Jong", "Gerrit Gast"]
    assert response.context["table"].paginator.count == 3  # David: DraftPro, RenderCloud; Gerrit: DraftPro
    assert 'name="group"' in response.content.decode()
    _, table = download(client.get(url(w.team, "seat-usage-export-users", group=group.pk, **WEEK)))
    assert sorted(row[2] for row in table[1:]) == ["guest@example.com", "user@example.com", "user@example.com"]
    # Together with "assigned but not used in this range".
    _, table = download(client.get(url(w.team, "seat-usage-export-users", group=group.pk, unused="on", **WEEK)))
    assert sorted(row[2] for row in table[1:]) == ["guest@example.com", "user@example.com"]


def test_seat_usage_offers_no_group_filter_without_groups(client, usage):
    # R-GR6
    sign_in(client, usage.world, "primary")
    page = client.get(url(usage.world.team, tab="users", **WEEK)).content.decode()
    assert 'name="group"' not in page
