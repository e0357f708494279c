"""The shell: signing in and out, the home page (My products, the teams one manages), a team's landing
page, the team switcher, the navigation, and the content security policy on every page.

No __init__.py in this folder on purpose: a package named `portal` here would shadow the project."""

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from licensing.subscriptions.models import Assignment
from licensing.teams.models import Member
from portal.navigation import NAVIGATION, item_url
from tests.factories import (
    AssignmentFactory,
    MemberFactory,
    ProductFactory,
    ProductItemFactory,
    SubscriptionFactory,
    TeamFactory,
    UserFactory,
)


def team_url(team) -> str:
    return reverse("team-home", kwargs={"team_id": team.pk})


def assign(member: Member, product, items=()) -> Assignment:
    assignment = AssignmentFactory(member=member, product=product)
    assignment.items.set(items)
    return assignment


class _Markup(HTMLParser):
    """Collects what the CSP would block: inline scripts, style attributes and <style> elements."""

    def __init__(self):
        super().__init__()
        self.inline_scripts = 0
        self.style_attributes = []
        self.style_elements = 0
        self.event_handlers = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.inline_scripts += 1
        if tag == "style":
            self.style_elements += 1
        if "style" in names:
            self.style_attributes.append(tag)
        self.event_handlers += [name for name in names if name.startswith("on")]


def csp_violations(html: str) -> _Markup:
    parser = _Markup()
    parser.feed(html)
    return parser


# --- Signing in and out --------------------------------------------------------------------------


def test_one_signs_in_with_the_email_address_in_any_case(client, world):
    response = client.post(reverse("login"), {"login": "PRIMARY@Example.COM", "password": "pw"})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).context["user"] == world.primary.user


def test_a_wrong_password_is_refused_with_a_message(client, world):
    response = client.post(reverse("login"), {"login": "primary@example.com", "password": "wrong"})
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert "do not match an account" in response.content.decode()


def test_the_login_form_asks_for_an_email_address(client, db):
    html = client.get(reverse("login")).content.decode()
    assert re.search(r'<input type="email" name="login"[^>]*autocomplete="email"', html)
    assert 'autocomplete="current-password"' in html
    assert reverse("password_reset") in html


def test_the_login_page_sends_a_signed_in_person_home(client, world):
    client.force_login(world.user.user)
    assert client.get(reverse("login")).url == reverse("home")


def test_sign_out_is_a_post_and_not_a_get(client, world):
    client.force_login(world.user.user)
    assert client.get(reverse("logout")).status_code == 405
    assert client.get(reverse("home")).status_code == 200

    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "You have been signed out." in response.content.decode()
    assert client.get(reverse("home")).status_code == 302


def test_the_sign_out_button_is_a_form_that_posts(client, world):
    client.force_login(world.user.user)
    html = client.get(reverse("home")).content.decode()
    assert re.search(
        rf'<form method="post" action="{reverse("logout")}">\s*<input type="hidden" name="csrfmiddlewaretoken"', html
    )


@pytest.mark.parametrize("name", ["home", "my-products", "password_change"])
def test_anonymous_visitors_are_sent_to_sign_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={reverse(name)}"


def test_a_password_reset_mail_is_queued_and_its_link_works(
    client, world, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "User@Example.com"})
    assert response.url == reverse("password_reset_done")
    (message,) = mailoutbox
    assert message.to == ["user@example.com"]
    assert message.subject == "Reset your Seatkeeper password"
    assert message.alternatives[0][1] == "text/html"
    link = re.search(r"http\S+/accounts/password/reset/\S+/", message.body).group(0)

    response = client.get(urlsplit(link).path, follow=True)
    assert response.context["validlink"]
    response = client.post(
        response.redirect_chain[-1][0],
        {"new_password1": "a-Long-passphrase-42", "new_password2": "a-Long-passphrase-42"},
    )
    assert response.url == reverse("password_reset_complete")
    assert client.login(username="user@example.com", password="a-Long-passphrase-42")


def test_a_password_reset_for_an_unknown_address_tells_nothing_and_sends_nothing(client, db, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.url == reverse("password_reset_done")
    assert mailoutbox == []


def test_one_changes_ones_password(client, world):
    client.force_login(world.user.user)
    response = client.post(
        reverse("password_change"),
        {"old_password": "pw", "new_password1": "a-Long-passphrase-42", "new_password2": "a-Long-passphrase-42"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("password_change_done")
    assert "Your password has been changed" in response.content.decode()
    assert client.get(reverse("home")).status_code == 200  # still signed in


def test_the_django_admin_keeps_its_own_password_change_page(client, world):
    client.force_login(world.staff)
    html = client.get(reverse("admin:password_change")).content.decode()
    assert "sk-sidebar" not in html


# --- The team page and its permission matrix (SPEC §2) ------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("primary", 200), ("secondary", 200), ("user", 403), ("guest", 403), ("invited", 404), ("outsider", 404)],
)
def test_team_page_access(client, world, persona, status):
    # R-U1: only the team's admins; nobody learns of another team (404)
    client.force_login(getattr(world, persona).user)
    assert client.get(team_url(world.team)).status_code == status


def test_support_staff_see_every_team_page(client, world):
    client.force_login(world.staff)
    assert client.get(team_url(world.outsider_team)).status_code == 200


def test_an_admin_sees_only_the_teams_they_administer(client, world):
    # R-SA2: rights hold per team
    client.force_login(world.secondary.user)
    assert client.get(team_url(world.other_team)).status_code == 404  # same customer, but not their team
    client.force_login(world.primary.user)
    assert client.get(team_url(world.other_team)).status_code == 200
    assert client.get(reverse("team-home", kwargs={"team_id": 999_999})).status_code == 404


def test_anonymous_visitors_of_a_team_page_are_sent_to_sign_in(client, world):
    response = client.get(team_url(world.team))
    assert response.url == f"{reverse('login')}?next={team_url(world.team)}"


def test_the_team_page_shows_admins_members_and_seats(client, world):
    assign(world.user, world.product, world.items)
    assign(world.guest, world.product)
    client.force_login(world.secondary.user)
    response = client.get(team_url(world.team))
    html = response.content.decode()
    assert world.team.name in html
    assert [admin.user for admin in response.context["admins"]] == [world.primary.user, world.secondary.user]
    assert response.context["counts"] == {"active": 4, "invited": 1, "guests": 1}
    (product,) = response.context["products"]
    assert (product, product.seats_purchased, product.seats_assigned, product.seats_free) == (world.product, 3, 2, 1)
    assert world.user.user.email not in html  # a plain user is not listed among the admins


def test_the_forbidden_page_is_the_portals_own(client, world):
    client.force_login(world.user.user)
    response = client.get(team_url(world.team))
    assert response.status_code == 403
    assert "You don't have access to this page" in response.content.decode()
    assert "Design" not in response.content.decode()  # the user is no admin: no team in their shell


# --- Team switcher ------------------------------------------------------------------------------


def switcher_team_ids(html: str) -> set[int]:
    return {int(team_id) for team_id in re.findall(r'data-team-id="(\d+)"', html)}


def test_the_switcher_lists_exactly_the_teams_one_administers(client, world):
    # R-U1: the primary admin of Design and Engineering, not of the outsider's team
    TeamFactory(customer=world.team.customer, name="Marketing")  # same customer, not theirs
    client.force_login(world.primary.user)
    html = client.get(reverse("home")).content.decode()
    assert switcher_team_ids(html) == {world.team.pk, world.other_team.pk}
    assert f'href="{team_url(world.other_team)}"' in html


def test_the_switcher_marks_the_current_team(client, world):
    client.force_login(world.primary.user)
    html = client.get(team_url(world.other_team)).content.decode()
    current = re.search(r'<a class="dropdown-item[^"]* active" href="([^"]+)" aria-current="true"', html)
    assert current.group(1) == team_url(world.other_team)


def test_the_last_team_visited_stays_current_on_the_home_page(client, world):
    client.force_login(world.primary.user)
    client.get(team_url(world.other_team))
    shell = client.get(reverse("home")).context["shell"]
    assert shell.team == world.other_team


def test_an_admin_starts_in_a_team_where_they_are_the_primary_admin(client, world):
    # The demo's admin@example.com (README): secondary admin of a team that comes first by name, primary
    # admin of a later one. Before they choose a team, the shell and the first card are the later one.
    alpha = TeamFactory(customer=world.team.customer, name="Aardwerk")
    MemberFactory(team=alpha, user=world.primary.user, role=Member.Role.SECONDARY_ADMIN)
    client.force_login(world.primary.user)
    response = client.get(reverse("home"))
    assert response.context["shell"].team == world.team
    assert [card.team for card in response.context["team_cards"]] == [world.team, world.other_team, alpha]


def test_an_admin_who_is_nowhere_primary_admin_starts_in_their_first_team(client, world):
    alpha = TeamFactory(customer=world.team.customer, name="Aardwerk")
    MemberFactory(team=alpha, user=world.secondary.user, role=Member.Role.SECONDARY_ADMIN)
    client.force_login(world.secondary.user)
    assert client.get(reverse("home")).context["shell"].team == alpha


def test_an_admin_of_one_team_gets_no_switcher_menu(client, world):
    client.force_login(world.secondary.user)
    html = client.get(reverse("home")).content.decode()
    assert 'id="sk-team-switcher"' not in html
    assert f'href="{team_url(world.team)}"' in html


@pytest.mark.parametrize("persona", ["user", "guest"])
def test_members_who_are_no_admin_get_no_switcher_and_no_team_screens(client, world, persona):
    client.force_login(getattr(world, persona).user)
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert switcher_team_ids(html) == set()
    assert response.context["shell"].team is None
    assert "/teams/" not in html


# --- Navigation ----------------------------------------------------------------------------------


def test_the_navigation_links_only_the_screens_that_exist(client, world):
    client.force_login(world.primary.user)
    html = client.get(reverse("home")).content.decode()
    sidebar = html.split('class="sk-sidebar-nav"', 1)[1].split("</nav>", 1)[0]
    for section in NAVIGATION:
        for item in section.items:
            url = item_url(item, world.team)
            if url is None:
                assert f">{item.label}<" not in sidebar, f"{item.url_name} is not built but linked"
            else:
                assert f'href="{url}"' in sidebar


def test_the_current_page_is_marked_in_the_navigation(client, world):
    client.force_login(world.primary.user)
    html = client.get(team_url(world.team)).content.decode()
    assert re.search(rf'href="{team_url(world.team)}" aria-current="page"', html)


def test_staff_get_a_link_to_the_django_admin_and_others_do_not(client, world):
    client.force_login(world.staff)
    assert reverse("admin:index") in client.get(reverse("home")).content.decode()
    client.force_login(world.primary.user)
    assert reverse("admin:index") not in client.get(reverse("home")).content.decode()


def test_the_language_switcher_posts_to_set_language(client, world):
    client.force_login(world.user.user)
    html = client.get(reverse("home")).content.decode()
    assert f'action="{reverse("accounts:language-set")}" method="post"' in html
    assert 'name="language" value="nl"' in html
    response = client.post(reverse("accounts:language-set"), {"language": "nl", "next": reverse("home")})
    assert response.url == reverse("home")
    assert response.cookies["django_language"].value == "nl"


# --- Home: My products and the admin's teams ----------------------------------------------------


def test_my_products_shows_what_is_assigned_to_me_in_each_team(client, world):
    # R-P3: the user sees their products and downloads
    world.product.download_url = "https://downloads.example.com/draftpro.exe"
    world.product.save()
    other = ProductFactory(name="RenderCloud", kind="cloud")
    other_membership = MemberFactory(team=world.other_team, user=world.user.user)
    assign(world.user, world.product, world.items[:1])
    assign(other_membership, other)
    assign(world.guest, ProductFactory(name="GuestOnlyCAD"))

    client.force_login(world.user.user)
    for name in ("home", "my-products"):
        response = client.get(reverse(name))
        html = response.content.decode()
        assert [(a.product.name, a.member.team.name) for a in response.context["assignments"]] == [
            ("DraftPro", "Design"),
            ("RenderCloud", "Engineering"),
        ]
        assert "DraftPro desktop" in html
        assert "Cloud rendering" not in html  # an item not assigned to me
        assert 'href="https://downloads.example.com/draftpro.exe"' in html
        assert "GuestOnlyCAD" not in html


def test_my_products_leaves_out_teams_where_i_am_only_invited(client, world):
    assign(world.invited, world.product)
    client.force_login(world.invited.user)
    response = client.get(reverse("my-products"))
    assert list(response.context["assignments"]) == []
    assert "No products assigned to you yet" in response.content.decode()


def test_an_admin_sees_a_card_per_team_they_manage(client, world):
    assign(world.user, world.product)
    client.force_login(world.primary.user)
    cards = client.get(reverse("home")).context["team_cards"]
    assert [(card.team, card.role) for card in cards] == [
        (world.team, "Primary admin"),
        (world.other_team, "Primary admin"),
    ]
    design = cards[0].team
    assert (design.active_members, design.invited_members, design.seats_purchased, design.seats_assigned) == (
        4,
        1,
        3,
        1,
    )
    assert cards[0].links[0].url == team_url(world.team)


def test_the_home_page_runs_a_bounded_number_of_queries(client, world, django_assert_max_num_queries):
    for n in range(8):
        team = TeamFactory(customer=world.team.customer)
        member = MemberFactory(team=team, user=world.primary.user, role=Member.Role.SECONDARY_ADMIN)
        product = ProductFactory()
        SubscriptionFactory(team=team, product=product, seats=2)
        assign(member, product, [ProductItemFactory(product=product) for _ in range(n % 3)])
    client.force_login(world.primary.user)
    # session, user, team cards, the switcher's teams, my assignments, their items: not one per row
    with django_assert_max_num_queries(6):
        response = client.get(reverse("home"))
    assert len(response.context["team_cards"]) == 10
    assert len(response.context["assignments"]) == 8


def test_the_team_page_runs_a_bounded_number_of_queries(client, world, django_assert_max_num_queries):
    for _ in range(6):
        product = ProductFactory()
        SubscriptionFactory(team=world.team, product=product, seats=2)
        assign(MemberFactory(team=world.team), product)
    client.force_login(world.primary.user)
    # session, user, team, membership, counts, admins, products, the switcher's teams, and the first
    # visit remembers the team in the session (3): not one per product or member
    with django_assert_max_num_queries(12):
        client.get(team_url(world.team))


# --- Content security policy --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        (None, "/accounts/login/"),
        (None, "/accounts/password/reset/"),
        (None, "/accounts/password/reset/sent/"),
        (None, "/accounts/password/reset/complete/"),
        ("user", "/"),
        ("user", "/my/products/"),
        ("user", "/accounts/password/change/"),
        ("user", "/accounts/password/change/done/"),
        ("primary", "/"),
        ("primary", "team"),
        ("user", "team"),  # the 403 page
        ("primary", "/no/such/page/"),  # the 404 page
    ],
)
def test_pages_carry_the_csp_and_nothing_it_would_block(client, world, persona, path):
    assign(world.user, world.product, world.items)
    if persona:
        client.force_login(getattr(world, persona).user)
    response = client.get(team_url(world.team) if path == "team" else path)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    markup = csp_violations(response.content.decode())
    assert markup.inline_scripts == 0
    assert markup.style_attributes == []
    assert markup.style_elements == 0
    assert markup.event_handlers == []


def test_htmx_is_told_not_to_inject_its_indicator_style(client, world):
    client.force_login(world.user.user)
    html = client.get(reverse("home")).content.decode()
    config = re.search(r"""<meta name="htmx-config" content='([^']*)'>""", html)
    settings = json.loads(config.group(1))
    assert settings["includeIndicatorStyles"] is False
    # Settling copies old attributes onto swapped-in elements; a `style` one would break the CSP.
    assert "style" not in settings["attributesToSettle"]
    assert re.search(r"""<body [^>]*hx-headers='\{"X-CSRFToken": "\w+"\}'""", html)


def test_the_vendored_assets_are_served_locally(client, db):
    html = client.get(reverse("login")).content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert len(assets) == 7  # Bootstrap, its icons, portal.css, nojs.css (in <noscript>); Bootstrap, htmx, portal.js
    assert all(asset.startswith("/static/") for asset in assets)
    # Nothing the page loads comes from elsewhere. Only the tags that load something are looked at,
    # without their nonce: a random CSRF token or nonce spells "cdn" now and then (one run in a few
    # hundred failed on the token when the whole page was searched).
    loaders = [re.sub(r'\snonce="[^"]*"', "", tag) for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", html)]
    assert loaders
    assert not [tag for tag in loaders if "cdn" in tag.lower() or "//" in tag]


def test_the_signed_out_page_renders_without_inline_code(rf, db):
    # Shown only if LOGOUT_REDIRECT_URL is unset; it must still be a valid page.
    html = render_to_string("registration/logged_out.html", request=rf.get("/"))
    assert "You are signed out" in html
    assert csp_violations(html).inline_scripts == 0


def test_an_admin_without_teams_still_gets_a_working_home_page(client, db):
    client.force_login(UserFactory())
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert response.context["team_cards"] == []


def test_the_list_entry_stays_marked_on_the_pages_of_its_items():
    from portal.navigation import NavItem, is_current

    by_user = NavItem("By User", "teams:member-list", "people", team=True)
    assert is_current(by_user, "teams:member-list")
    assert is_current(by_user, "teams:member-detail")
    assert not is_current(by_user, "teams:team-settings")
    assert not is_current(by_user, None)
