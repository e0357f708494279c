"""User management › By Group (R-GR1..R-GR5): the list, a group's page and its dialogs, each as a page
without JavaScript and as an htmx dialog; refusals shown with what was typed; team admins only, and
never another team's group (404)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from licensing.activity.models import ActivityEvent
from licensing.groups.forms import CHOOSE_ITEMS, CHOOSE_MEMBERS, CHOOSE_PRODUCT
from licensing.groups.imports import ALREADY_IN_GROUP, DUPLICATE, MALFORMED, NOT_A_MEMBER
from licensing.groups.models import Group, GroupMember, GroupProduct, SeatWait
from licensing.groups.services import (
    GROUP_NAME_REQUIRED,
    GROUP_NAME_TAKEN,
    GROUP_NAME_TOO_LONG,
    group_create,
    group_members_add,
    group_product_assign,
)
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import assignment_create
from tests.factories import GroupFactory, MemberFactory, ProductFactory, SubscriptionFactory
from tests.teams.test_member_views import ALLOWED, DENIED, give_names, sign_in

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def named(world):
    return give_names(world)


@pytest.fixture
def admin_client(client, named):
    sign_in(client, named, "primary")
    return client


@pytest.fixture
def group(named):
    return group_create(team=named.team, name="Engineering", description="The CAD people", actor=None)


def url(name: str, world, group=None, **kwargs) -> str:
    if group is not None:
        kwargs["group_id"] = group.pk
    return reverse(f"groups:{name}", kwargs={"team_id": world.team.pk, **kwargs})


def text(response) -> str:
    return response.content.decode()


def seat_holders(world) -> set:
    return set(Assignment.objects.filter(product=world.product).values_list("member_id", flat=True))


# --- Who may see By Group (§2) -------------------------------------------------------------------

SCREENS = [
    ("group-list", False, {}),
    ("group-create", False, {}),
    ("group-detail", True, {}),
    ("group-rename", True, {}),
    ("group-delete", True, {}),
    ("group-members-add", True, {}),
    ("group-members-candidates", True, {}),
    ("group-members-import", True, {}),
    ("group-product-assign", True, {}),
]


@pytest.mark.parametrize(("screen", "of_group", "extra"), SCREENS)
@pytest.mark.parametrize("persona", [*ALLOWED, "staff"])
def test_the_team_admins_and_support_open_every_screen(client, named, group, screen, of_group, extra, persona):
    # R-GR1: a team's admins manage its groups.
    sign_in(client, named, persona)
    response = client.get(url(screen, named, group if of_group else None, **extra))
    assert response.status_code == 200


@pytest.mark.parametrize(("screen", "of_group", "extra"), SCREENS)
@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_others_are_refused(client, named, group, screen, of_group, extra, persona, status):
    sign_in(client, named, persona)
    response = client.get(url(screen, named, group if of_group else None, **extra))
    assert response.status_code == status


@pytest.mark.parametrize("screen", ["group-detail", "group-rename", "group-delete", "group-members-add"])
def test_another_teams_group_is_not_found_even_on_the_admins_own_team(admin_client, named, screen):
    # The primary admin administers the other team too; its group is still 404 on this team's address.
    other = GroupFactory(team=named.other_team, name="Elsewhere")
    assert admin_client.get(url(screen, named, other)).status_code == 404
    assert admin_client.post(url(screen, named, other)).status_code == 404
    assert Group.objects.filter(pk=other.pk).exists()


def test_by_group_is_in_the_navigation_of_the_teams_admins(admin_client, named):
    response = admin_client.get(reverse("teams:member-list", kwargs={"team_id": named.team.pk}))
    assert url("group-list", named) in text(response)


# --- The list -----------------------------------------------------------------------------------


def test_the_list_explains_itself_when_there_are_no_groups(admin_client, named):
    response = admin_client.get(url("group-list", named))
    assert "No groups in this team yet" in text(response)
    assert url("group-create", named) in text(response)


def test_the_list_shows_members_products_and_waiting_and_searches_by_name(admin_client, named, group):
    # R-GR5: a group of 4 (primary, secondary, user, guest) and a product of 3 seats: 1 waits.
    members = [named.primary, named.secondary, named.user, named.guest]
    group_members_add(group=group, members=members, actor=None)
    group_product_assign(group=group, product=named.product, actor=None)
    group_create(team=named.team, name="Sales", actor=None)

    response = admin_client.get(url("group-list", named))
    html = text(response).split("<table", 1)[1]  # the team switcher names the other team, "Engineering"
    assert "Engineering" in html
    assert "Sales" in html
    assert "DraftPro" in html
    row = html[html.index("Engineering") : html.index("Sales")]
    assert ">4<" in row  # members
    assert "sk-wait-badge" in row
    assert ">1<" in row

    html = text(admin_client.get(url("group-list", named) + "?q=sal")).split("<table", 1)[1]
    assert "Sales" in html
    assert "Engineering" not in html


# --- Create, rename, delete (R-GR1) ---------------------------------------------------------------


def test_create_a_group_without_javascript(admin_client, named):
    response = admin_client.post(url("group-create", named), {"name": "  Design  team ", "description": "Drawings"})
    group = Group.objects.get(team=named.team)
    assert (group.name, group.description) == ("Design team", "Drawings")
    assert response.status_code == 302
    assert response["Location"] == url("group-detail", named, group)
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.GROUP_CREATED).count() == 1


def test_create_a_group_in_the_htmx_dialog(admin_client, named):
    dialog = admin_client.get(url("group-create", named), **HTMX)
    assert "<html" not in text(dialog)
    assert 'hx-post="' in text(dialog)
    response = admin_client.post(url("group-create", named), {"name": "Design"}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == url("group-detail", named, Group.objects.get(name="Design"))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", GROUP_NAME_REQUIRED),
        ("x" * 101, GROUP_NAME_TOO_LONG),
        ("ENGINEERING", GROUP_NAME_TAKEN % {"name": "ENGINEERING"}),  # R-GR1: unique in any case
    ],
)
def test_a_refused_name_is_shown_with_what_was_typed(admin_client, named, group, name, message):
    response = admin_client.post(url("group-create", named), {"name": name, "description": "kept text"}, **HTMX)
    html = text(response)
    assert response.status_code == 200
    assert escape(str(message)) in html
    assert "kept text" in html
    assert f'value="{name}"' in html
    assert Group.objects.filter(team=named.team).count() == 1


def test_rename_a_group_and_its_description(admin_client, named, group):
    response = admin_client.post(url("group-rename", named, group), {"name": "CAD", "description": "New"})
    group.refresh_from_db()
    assert (group.name, group.description) == ("CAD", "New")
    assert response.status_code == 302


def test_rename_to_a_taken_name_keeps_what_was_typed(admin_client, named, group):
    group_create(team=named.team, name="Sales", actor=None)
    response = admin_client.post(url("group-rename", named, group), {"name": "sales", "description": "typed"})
    assert response.status_code == 200
    assert escape(GROUP_NAME_TAKEN % {"name": "sales"}) in text(response)
    assert "typed" in text(response)
    group.refresh_from_db()
    assert group.name == "Engineering"


def test_delete_says_who_loses_a_seat_then_deletes(admin_client, named, group):
    # R-GR4: the user holds DraftPro directly too and keeps it; the guest loses theirs.
    assignment_create(member=named.user, product=named.product, actor=None)
    group_members_add(group=group, members=[named.user, named.guest], actor=None)
    group_product_assign(group=group, product=named.product, actor=None)

    dialog = text(admin_client.get(url("group-delete", named, group), **HTMX))
    assert "1 member loses their seat of DraftPro" in dialog
    assert "Its 2 members leave the group" in dialog

    response = admin_client.post(url("group-delete", named, group))
    assert response.status_code == 302
    assert response["Location"] == url("group-list", named)
    assert not Group.objects.filter(pk=group.pk).exists()
    assert seat_holders(named) == {named.user.pk}


# --- A group's page -----------------------------------------------------------------------------


def test_the_page_shows_members_products_and_the_waiting_in_joined_order(admin_client, named, group):
    # R-GR5: 3 seats, 5 members: the last two to join wait, in that order.
    extra = [MemberFactory(team=named.team, user__first_name=f"Extra{i}", user__last_name="X") for i in range(2)]
    group_members_add(group=group, members=[named.primary, named.secondary, named.user], actor=None)
    group_members_add(group=group, members=[extra[0]], actor=None)
    group_members_add(group=group, members=[extra[1]], actor=None)
    group_product_assign(group=group, product=named.product, actor=None)

    html = text(admin_client.get(url("group-detail", named, group)))
    assert "The CAD people" in html
    assert "DraftPro" in html
    assert "David de Jong" in html
    assert "user@example.com" in html
    waiting = html[html.index('id="waiting-heading"') :]
    assert waiting.index("Extra0") < waiting.index("Extra1")
    assert "All seats of DraftPro in this team are assigned." in waiting  # a code, said in words (issue 20, item 4)

    searched = text(admin_client.get(url("group-detail", named, group) + "?q=jong"))
    members = searched[searched.index('id="members-heading"') : searched.index('id="waiting-heading"')]
    assert "David de Jong" in members
    assert "Anna Bakker" not in members


# --- Add members (R-GR1, R-GR5) --------------------------------------------------------------------


def test_add_members_to_a_group_without_products(admin_client, named, group):
    # Guests may be group members (R-GR1).
    dialog = text(admin_client.get(url("group-members-add", named, group)))
    assert "Gerrit Gast" in dialog
    assert "David de Jong" in dialog
    response = admin_client.post(
        url("group-members-add", named, group), {"action": "add", "members": [named.user.pk, named.guest.pk]}
    )
    assert response.status_code == 302
    assert set(GroupMember.objects.filter(group=group).values_list("member_id", flat=True)) == {
        named.user.pk,
        named.guest.pk,
    }


def test_add_members_shows_who_will_wait_before_confirming(admin_client, named, group):
    # R-GR5: DraftPro has 3 seats; the group gives it; 4 are added: "1 of 4 will wait", then Confirm.
    group_product_assign(group=group, product=named.product, actor=None)
    chosen = [named.primary.pk, named.secondary.pk, named.user.pk, named.guest.pk]
    preview = admin_client.post(url("group-members-add", named, group), {"action": "add", "members": chosen}, **HTMX)
    html = text(preview)
    assert "1 of 4 will wait for a seat." in html
    assert 'value="confirm"' in html
    assert not GroupMember.objects.filter(group=group).exists()  # nothing yet

    back = admin_client.post(url("group-members-add", named, group), {"action": "back", "members": chosen}, **HTMX)
    assert text(back).count("checked") >= 4  # back to the list, the four still ticked

    done = admin_client.post(url("group-members-add", named, group), {"action": "confirm", "members": chosen}, **HTMX)
    assert done.status_code == 204
    assert GroupMember.objects.filter(group=group).count() == 4
    assert len(seat_holders(named)) == 3
    assert SeatWait.objects.filter(group=group).count() == 1


def test_add_members_without_a_tick_keeps_the_search(admin_client, named, group):
    response = admin_client.post(url("group-members-add", named, group), {"action": "add", "q": "jong"})
    html = text(response)
    assert escape(str(CHOOSE_MEMBERS)) in html
    assert 'value="jong"' in html
    assert "David de Jong" in html
    assert "Anna Bakker" not in html


def test_the_candidates_are_found_as_one_types_and_the_ticked_stay(admin_client, named, group):
    response = admin_client.get(
        url("group-members-candidates", named, group), {"q": "bakker", "members": [named.user.pk]}, **HTMX
    )
    html = text(response)
    assert "<html" not in html
    assert "Anna Bakker" in html
    assert "David de Jong" in html
    assert "Gerrit Gast" not in html
    assert html.index("David de Jong") < html.index("Anna Bakker")  # ticked first


def test_add_all_matching(admin_client, named, group):
    response = admin_client.post(
        url("group-members-add", named, group), {"action": "add", "q": "example.com", "all_matching": "on"}
    )
    assert response.status_code == 302
    team_members = {m.pk for m in named.team.members.all()}
    assert set(GroupMember.objects.filter(group=group).values_list("member_id", flat=True)) == team_members


# --- Remove members (R-GR4) -----------------------------------------------------------------------


def test_remove_one_member_asks_first_then_removes(admin_client, named, group):
    group_members_add(group=group, members=[named.user, named.guest], actor=None)
    group_product_assign(group=group, product=named.product, actor=None)
    dialog = text(admin_client.get(url("group-members-remove", named, group) + f"?members={named.user.pk}", **HTMX))
    assert "Remove David de Jong from Engineering?" in dialog
    assert "1 member loses their seat of DraftPro" in dialog
    assert GroupMember.objects.filter(group=group).count() == 2

    remove = url("group-members-remove", named, group)
    response = admin_client.post(remove, {"members": [named.user.pk], "confirm": "1"})
    assert response.status_code == 302
    assert list(GroupMember.objects.filter(group=group).values_list("member_id", flat=True)) == [named.guest.pk]
    assert seat_holders(named) == {named.guest.pk}


def test_remove_selected_asks_first(admin_client, named, group):
    group_members_add(group=group, members=[named.user, named.guest], actor=None)
    chosen = [named.user.pk, named.guest.pk]
    dialog = admin_client.post(url("group-members-remove", named, group), {"members": chosen}, **HTMX)
    assert "Remove 2 members from Engineering?" in text(dialog)
    assert GroupMember.objects.filter(group=group).count() == 2
    done = admin_client.post(url("group-members-remove", named, group), {"members": chosen, "confirm": "1"}, **HTMX)
    assert done.status_code == 204
    assert not GroupMember.objects.filter(group=group).exists()


def test_remove_nobody_says_so(admin_client, named, group):
    response = admin_client.post(url("group-members-remove", named, group), {"confirm": "1"})
    assert response.status_code == 200
    assert "Select at least one member of the group to remove." in text(response)


# --- Import members -------------------------------------------------------------------------------


def upload(content: str, name: str = "members.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


def test_import_previews_every_line_then_adds_the_good_ones(admin_client, named, group):
    group_members_add(group=group, members=[named.secondary], actor=None)
    group_product_assign(group=group, product=named.product, actor=None)
    content = "\n".join(
        [
            "E-mail address",
            "user@example.com",  # 2: to add
            "not-an-address",  # 3: malformed
            "nobody@example.com",  # 4: not a member of the team
            "secondary@example.com",  # 5: already in the group
            "USER@example.com",  # 6: same as line 2
            "guest@example.com",  # 7: to add (a guest)
            "outsider@example.com",  # 8: a member of another team only
        ]
    )
    preview = admin_client.post(url("group-members-import", named, group), {"file": upload(content)}, **HTMX)
    html = text(preview)
    assert escape(MALFORMED % {"value": "not-an-address"}) in html
    assert escape(NOT_A_MEMBER % {"email": "nobody@example.com"}) in html
    assert escape(NOT_A_MEMBER % {"email": "outsider@example.com"}) in html  # the same words (issue 19)
    assert escape(ALREADY_IN_GROUP % {"name": "Anna Bakker"}) in html
    assert escape(DUPLICATE % {"line": 2}) in html
    assert "Add 2 members" in html
    assert "will wait for a seat" not in html  # 2 free seats for 2
    assert GroupMember.objects.filter(group=group).count() == 1  # nothing yet

    import_id = html.split('name="import_id" value="')[1].split('"')[0]
    done = admin_client.post(url("group-members-import-confirm", named, group), {"import_id": import_id})
    assert done.status_code == 302
    assert set(GroupMember.objects.filter(group=group).values_list("member_id", flat=True)) == {
        named.secondary.pk,
        named.user.pk,
        named.guest.pk,
    }
    again = admin_client.post(url("group-members-import-confirm", named, group), {"import_id": import_id})
    assert "This preview is no longer available" in text(again)


def test_import_shows_who_will_wait(admin_client, named, group):
    group_product_assign(group=group, product=named.product, actor=None)
    content = "primary@example.com\nsecondary@example.com\nuser@example.com\nguest@example.com\n"
    html = text(admin_client.post(url("group-members-import", named, group), {"file": upload(content)}))
    assert "1 of 4 will wait for a seat." in html


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "The file is empty."),
        ("E-mail\n", "The file has a column name but no addresses under it."),
    ],
)
def test_import_refuses_a_file_it_cannot_use(admin_client, named, group, content, message):
    response = admin_client.post(url("group-members-import", named, group), {"file": upload(content)})
    assert response.status_code == 200
    assert message in text(response)


def test_import_refuses_a_spreadsheet(admin_client, named, group):
    data = SimpleUploadedFile("members.xlsx", b"PK\x03\x04xl/workbook", content_type="application/octet-stream")
    response = admin_client.post(url("group-members-import", named, group), {"file": data})
    assert "This is a spreadsheet" in text(response)


# --- Products (R-GR2, R-GR4, R-GR5) ----------------------------------------------------------------


def test_assign_a_product_shows_the_wait_before_confirming(admin_client, named, group):
    # R-GR5: 4 members, 3 seats: "1 of 4 will wait for a seat", then Confirm.
    group_members_add(group=group, members=[named.primary, named.secondary, named.user, named.guest], actor=None)
    step = admin_client.post(
        url("group-product-assign", named, group), {"action": "continue", "product": named.product.pk}, **HTMX
    )
    html = text(step)
    assert "1 of 4 will wait for a seat." in html
    assert 'value="confirm"' in html
    assert not GroupProduct.objects.filter(group=group).exists()

    done = admin_client.post(
        url("group-product-assign", named, group),
        {"action": "confirm", "step": "items", "product": named.product.pk, "scope": "all"},
        **HTMX,
    )
    assert done.status_code == 204
    assert len(seat_holders(named)) == 3
    assert SeatWait.objects.filter(group=group, product=named.product).count() == 1


def test_assign_a_product_with_chosen_items_without_javascript(admin_client, named, group):
    group_members_add(group=group, members=[named.user], actor=None)
    desktop = named.items[0]
    response = admin_client.post(
        url("group-product-assign", named, group),
        {"action": "confirm", "step": "items", "product": named.product.pk, "scope": "choose", "items": [desktop.pk]},
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get(member=named.user, product=named.product)
    assert list(assignment.items.all()) == [desktop]


def test_assign_with_choose_and_no_item_stays_on_the_items(admin_client, named, group):
    response = admin_client.post(
        url("group-product-assign", named, group),
        {"action": "confirm", "step": "items", "product": named.product.pk, "scope": "choose"},
    )
    html = text(response)
    assert escape(str(CHOOSE_ITEMS)) in html
    assert 'value="confirm"' in html
    assert not GroupProduct.objects.filter(group=group).exists()


def test_assign_without_a_product_says_so(admin_client, named, group):
    response = admin_client.post(url("group-product-assign", named, group), {"action": "continue"})
    assert escape(str(CHOOSE_PRODUCT)) in text(response)


def test_only_products_of_the_teams_subscriptions_are_offered(admin_client, named, group):
    elsewhere = ProductFactory(code="elsewhere", name="Elsewhere CAD")
    SubscriptionFactory(team=named.outsider_team, product=elsewhere, seats=5)
    html = text(admin_client.get(url("group-product-assign", named, group)))
    assert "DraftPro" in html
    assert "Elsewhere CAD" not in html
    response = admin_client.post(
        url("group-product-assign", named, group), {"action": "confirm", "step": "items", "product": elsewhere.pk}
    )
    assert response.status_code == 200
    assert not GroupProduct.objects.filter(group=group).exists()


def test_change_the_items_of_a_groups_product(admin_client, named, group):
    group_members_add(group=group, members=[named.user], actor=None)
    group_product_assign(group=group, product=named.product, actor=None)
    change = url("group-product-change", named, group, product_id=named.product.pk)
    assert "Cloud rendering" in text(admin_client.get(change, **HTMX))
    response = admin_client.post(change, {"items": [named.items[0].pk]})
    assert response.status_code == 302
    assert list(Assignment.objects.get(member=named.user).items.all()) == [named.items[0]]


def test_unassign_says_who_keeps_the_seat_then_unassigns(admin_client, named, group):
    # R-GR4: the user also holds DraftPro directly and keeps it; the guest loses it.
    assignment_create(member=named.user, product=named.product, actor=None)
    group_members_add(group=group, members=[named.user, named.guest], actor=None)
    group_product_assign(group=group, product=named.product, actor=None)
    unassign = url("group-product-unassign", named, group, product_id=named.product.pk)
    html = text(admin_client.get(unassign, **HTMX))
    assert "1 member loses their seat of DraftPro." in html
    assert "1 member keeps the seat" in html
    response = admin_client.post(unassign, **HTMX)
    assert response.status_code == 204
    assert not GroupProduct.objects.filter(group=group).exists()
    assert seat_holders(named) == {named.user.pk}


def test_a_product_the_group_does_not_have_is_not_found(admin_client, named, group):
    change = url("group-product-change", named, group, product_id=named.product.pk)
    unassign = url("group-product-unassign", named, group, product_id=named.product.pk)
    assert admin_client.get(change).status_code == 404
    assert admin_client.post(unassign).status_code == 404


def test_add_all_matching_to_a_group_with_products_previews_then_confirms(admin_client, named, group):
    # R-GR5: "all matching" carries the search, not a hidden input per member, to the confirmation.
    group_product_assign(group=group, product=named.product, actor=None)
    data = {"action": "add", "q": "example.com", "all_matching": "on"}
    preview = text(admin_client.post(url("group-members-add", named, group), data, **HTMX))
    assert "2 of 5 will wait for a seat." in preview
    assert 'name="members"' not in preview
    done = admin_client.post(url("group-members-add", named, group), {**data, "action": "confirm"}, **HTMX)
    assert done.status_code == 204
    assert GroupMember.objects.filter(group=group).count() == 5
    assert len(seat_holders(named)) == 3
