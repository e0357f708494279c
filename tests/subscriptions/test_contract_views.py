"""Billing & Orders › Contracts (R-T12): a team's contracts with their products and the team each
belongs to, a contract's page, who may open them, the filters, the highlighting of terms that end
soon, and the query count, which does not grow with contracts or subscriptions.

The second half enters purchases, added seats, renewals and a new contract manager the way support
staff do, through the Django admin's forms, and checks what the portal then shows (R-T7, R-SE2,
R-SA4, R-T2, R-SA3, R-T6)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from licensing.subscriptions.models import Assignment, Contract, Subscription
from licensing.teams.models import Member, Team
from tests.factories import (
    ContractFactory,
    ProductFactory,
    SubscriptionFactory,
    UserFactory,
)
from tests.teams.test_member_views import ALLOWED, DENIED, count_queries, give_names, sign_in


def list_url(for_team, **query) -> str:
    url = reverse("subscriptions:contract-list", kwargs={"team_id": for_team.pk})
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def detail_url(team, contract) -> str:
    return reverse("subscriptions:contract-detail", kwargs={"team_id": team.pk, "contract_id": contract.pk})


def listed(response) -> dict[str, list[tuple[str, str, bool]]]:
    """Contract number -> (product, team, details shown) of each product the page shows."""
    return {
        card.contract.number: [
            (row.subscription.product.name, row.subscription.team.name, row.detailed) for row in card.rows
        ]
        for card in response.context["cards"]
    }


def text(html: str) -> str:
    """What the page says, without its markup: "1 Jan 2027 – 31 Dec 2027" across its date spans."""
    return " ".join(strip_tags(html).split())


def row_of(response, subscription):
    return next(
        row for card in response.context["cards"] for row in card.rows if row.subscription.pk == subscription.pk
    )


def days(n: int):
    return timezone.localdate() + timedelta(days=n)


@pytest.fixture
def shared(world):
    """`world` (names given) plus one contract managed by Design with a second product in
    Engineering: the contract of the "Teams" column. The secondary admin administers Design only;
    the primary admin both teams."""
    give_names(world)
    contract = world.subscription.contract
    contract.number = "1100000001"
    contract.save(update_fields=["number"])
    render = ProductFactory(code="rendercloud", name="RenderCloud", kind="cloud")
    engineering = SubscriptionFactory(
        contract=contract,
        team=world.other_team,
        product=render,
        seats=7,
        plan=Subscription.Plan.PREMIUM,
        term_start=days(-400),
        term_end=days(55),
        owner=world.primary.user,
    )
    world.subscription.term_start, world.subscription.term_end = days(-30), days(335)
    world.subscription.save(update_fields=["term_start", "term_end"])
    world.engineering = engineering
    world.render = render
    return world


# --- Who may open the pages -----------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_the_contracts_list_is_only_for_the_teams_admins(client, world, persona, status):
    sign_in(client, world, persona)
    response = client.get(list_url(world.team))
    assert response.status_code == status
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", [*ALLOWED, "staff"])
def test_primary_and_secondary_admins_and_support_see_the_contracts(client, world, persona):
    sign_in(client, world, persona)
    response = client.get(list_url(world.team))
    assert response.status_code == 200
    assert list(listed(response)) == [world.subscription.contract.number]


@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_a_contracts_page_is_only_for_the_teams_admins(client, world, persona, status):
    sign_in(client, world, persona)
    response = client.get(detail_url(world.team, world.subscription.contract))
    assert response.status_code == status
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", [*ALLOWED, "staff"])
def test_primary_and_secondary_admins_see_a_contracts_page(client, world, persona):
    sign_in(client, world, persona)
    assert client.get(detail_url(world.team, world.subscription.contract)).status_code == 200


def test_a_contract_with_nothing_in_this_team_is_not_found_here(client, world):
    # Not even the primary admin, who administers Engineering too, finds it through Design's address.
    sign_in(client, world, "primary")
    engineering_only = SubscriptionFactory(team=world.other_team, contract__manager=world.primary.user).contract
    assert client.get(detail_url(world.team, engineering_only)).status_code == 404
    assert client.get(detail_url(world.other_team, engineering_only)).status_code == 200
    outsiders = SubscriptionFactory(team=world.outsider_team).contract
    assert client.get(detail_url(world.team, outsiders)).status_code == 404


# --- What the list shows (R-T12) ------------------------------------------------------------------


def test_the_list_shows_the_contracts_with_a_product_in_the_team_or_managed_by_it(client, world):
    sign_in(client, world, "primary")
    # Managed by Design, its only product moved to Engineering: still Design's contract.
    managed = SubscriptionFactory(team=world.other_team, contract__team=world.team, contract__number="1100000002")
    # A product in Design on a contract managed by Engineering.
    held = SubscriptionFactory(team=world.team, contract__team=world.other_team, contract__number="1100000003")
    SubscriptionFactory(team=world.other_team, contract__number="1100000004")  # Engineering's alone
    SubscriptionFactory(team=world.outsider_team, contract__number="1100000005")  # another customer's
    response = client.get(list_url(world.team))
    assert sorted(listed(response)) == sorted(
        [world.subscription.contract.number, managed.contract.number, held.contract.number]
    )


def test_each_product_is_shown_with_the_team_it_belongs_to(client, shared):
    # R-T12: the "Teams" column.
    sign_in(client, shared, "primary")
    response = client.get(list_url(shared.team))
    assert listed(response) == {
        "1100000001": [("DraftPro", "Design", True), ("RenderCloud", "Engineering", True)],
    }
    html = response.content.decode()
    assert ">Teams<" in html
    assert "This team" in html
    # The admin of both teams can follow the product to the contract's page in Engineering.
    assert f'href="{detail_url(shared.other_team, shared.engineering.contract)}"' in html


def test_another_teams_product_shows_its_product_and_team_but_not_its_details(client, shared):
    # SPEC §2: nobody sees another team's subscriptions unless admin there; R-T12: its team is shown.
    sign_in(client, shared, "secondary")
    response = client.get(list_url(shared.team))
    assert listed(response) == {
        "1100000001": [("DraftPro", "Design", True), ("RenderCloud", "Engineering", False)],
    }
    html = response.content.decode()
    assert "Seats, plan and term are shown to the admins of Engineering." in html
    assert ">Premium</span>" not in html  # the plan of Engineering's subscription
    assert f"{days(55):%-d %b %Y}" not in html  # nor its end
    assert f'href="{detail_url(shared.other_team, shared.engineering.contract)}"' not in html


def test_the_contract_shows_number_manager_and_term(client, shared):
    sign_in(client, shared, "secondary")
    html = client.get(list_url(shared.team)).content.decode()
    assert "1100000001" in html
    assert "Jan de Vries" in html  # the contract manager
    assert "primary@example.com" in html
    # The term runs from the earliest start to the latest end of the products whose terms the viewer
    # sees: Engineering's RenderCloud, which started 400 days ago, is not among them.
    assert f"{days(-30):%-d %b %Y} – {days(335):%-d %b %Y}" in text(html)
    assert f"{days(-400):%-d %b %Y}" not in html


def test_the_contracts_term_spans_every_product_the_viewer_sees(client, shared):
    sign_in(client, shared, "primary")
    html = client.get(list_url(shared.team)).content.decode()
    assert f"{days(-400):%-d %b %Y} – {days(335):%-d %b %Y}" in text(html)


def test_contracts_that_have_ended_come_last(client, shared):
    sign_in(client, shared, "primary")
    SubscriptionFactory(team=shared.team, contract__number="0000000001", term_start=days(-400), term_end=days(-1))
    SubscriptionFactory(team=shared.team, contract__number="9900000001")
    assert list(listed(client.get(list_url(shared.team)))) == ["1100000001", "9900000001", "0000000001"]


def test_each_product_shows_seats_plan_term_and_renewal(client, shared):
    sign_in(client, shared, "primary")
    ended = SubscriptionFactory(
        team=shared.team,
        contract=shared.subscription.contract,
        product=ProductFactory(name="OldCAD"),
        seats=2,
        term_start=days(-500),
        term_end=days(-135),
    )
    response = client.get(list_url(shared.team))
    html = response.content.decode()
    assert f"Renews on {days(335):%-d %b %Y}" in html
    assert f"Ended on {days(-135):%-d %b %Y}" in html
    assert f"{days(-30):%-d %b %Y} – {days(335):%-d %b %Y}" in text(html)
    assert ">Standard</span>" in html
    assert ">Premium</span>" in html
    assert row_of(response, ended).status == "expired"
    assert row_of(response, shared.subscription).subscription.seats == 3


def test_a_term_that_ends_within_90_days_is_highlighted(client, shared):
    sign_in(client, shared, "primary")
    response = client.get(list_url(shared.team))
    html = response.content.decode()
    assert "Expires in 55 days" in html
    assert row_of(response, shared.engineering).expiring
    assert not row_of(response, shared.subscription).expiring  # 335 days
    assert html.count("sk-row-expiring") == 1
    assert "1 product expires within 90 days" in html  # the link to the expiring filter


def test_the_last_day_and_the_91st_day(client, shared):
    sign_in(client, shared, "primary")
    today = SubscriptionFactory(team=shared.team, contract=shared.subscription.contract, term_end=days(0))
    later = SubscriptionFactory(team=shared.team, contract=shared.subscription.contract, term_end=days(91))
    response = client.get(list_url(shared.team))
    assert "Expires today" in response.content.decode()
    assert row_of(response, today).expiring
    assert not row_of(response, later).expiring


def test_another_teams_expiring_product_is_not_highlighted_for_whom_cannot_see_its_term(client, shared):
    sign_in(client, shared, "secondary")
    html = client.get(list_url(shared.team)).content.decode()
    assert "Expires in" not in html
    assert "sk-row-expiring" not in html


def test_a_contract_without_products_in_view_still_shows(client, world):
    # A contract the team manages, all of whose products are in a team the viewer does not administer.
    sign_in(client, world, "secondary")
    product = ProductFactory(name="BridgeDesigner")
    SubscriptionFactory(
        team=world.other_team, product=product, contract__team=world.team, contract__number="1100000009"
    )
    response = client.get(list_url(world.team))
    assert listed(response)["1100000009"] == [("BridgeDesigner", "Engineering", False)]


# --- Search and filters -------------------------------------------------------------------------


@pytest.fixture
def several(shared):
    """Three contracts in Design: the shared one, a Premium one that has ended and a Pay Per Use one."""
    cad = ProductFactory(name="OldCAD")
    SubscriptionFactory(
        team=shared.team,
        product=cad,
        contract__number="2200000001",
        contract__manager=shared.primary.user,
        plan=Subscription.Plan.PREMIUM,
        term_start=days(-400),
        term_end=days(-35),
    )
    meter = ProductFactory(name="MeterCloud")
    SubscriptionFactory(
        team=shared.team,
        product=meter,
        contract__number="3300000001",
        contract__manager=shared.primary.user,
        plan=Subscription.Plan.PAY_PER_USE,
        term_end=days(20),
    )
    return shared


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, {"1100000001", "2200000001", "3300000001"}),
        ({"q": "2200"}, {"2200000001"}),
        ({"q": "metercloud"}, {"3300000001"}),
        ({"q": "render"}, {"1100000001"}),
        ({"q": "1100 draft"}, {"1100000001"}),
        ({"q": "nothing"}, set()),
        ({"plan": "premium"}, {"1100000001", "2200000001"}),
        ({"plan": "pay_per_use"}, {"3300000001"}),
        ({"status": "expired"}, {"2200000001"}),
        ({"status": "expiring"}, {"1100000001", "3300000001"}),
        ({"status": "active"}, {"1100000001", "3300000001"}),
        ({"plan": "premium", "status": "active"}, {"1100000001"}),
    ],
)
def test_search_and_filters_find_contracts(client, several, query, expected):
    sign_in(client, several, "primary")
    response = client.get(list_url(several.team, **query))
    assert set(listed(response)) == expected


def test_the_team_filter_shows_a_teams_products_only(client, several):
    sign_in(client, several, "primary")
    response = client.get(list_url(several.team, team=several.other_team.pk))
    assert listed(response) == {"1100000001": [("RenderCloud", "Engineering", True)]}
    html = response.content.decode()
    assert "1 more product on this contract does not match the filters." in html
    assert "Show the whole contract" in html
    # The team filter offers the teams that hold a product of these contracts, no others.
    teams = list(response.context["filter"].filters["team"].queryset)
    assert teams == [several.team, several.other_team]


def test_plan_and_status_filters_do_not_reveal_another_teams_subscription(client, shared):
    # The secondary admin cannot see the plan or term of Engineering's Premium subscription: filtering
    # on them must not find it either.
    sign_in(client, shared, "secondary")
    assert listed(client.get(list_url(shared.team, plan="premium"))) == {}
    assert listed(client.get(list_url(shared.team, status="expiring"))) == {}
    # Its team and product are shown, so those may be filtered on.
    assert listed(client.get(list_url(shared.team, team=shared.other_team.pk))) == {
        "1100000001": [("RenderCloud", "Engineering", False)]
    }


def test_a_filter_that_finds_nothing_says_so(client, several):
    sign_in(client, several, "primary")
    html = client.get(list_url(several.team, q="nothing")).content.decode()
    assert "No contracts match these filters." in html
    assert "Clear filters" in html


def test_a_team_without_contracts_says_so(client, world):
    sign_in(client, world, "primary")
    html = client.get(list_url(world.other_team)).content.decode()
    assert "No contracts in this team" in html


def test_an_unknown_filter_value_is_ignored_not_an_error(client, several):
    sign_in(client, several, "primary")
    response = client.get(list_url(several.team, status="bogus", team="x", page="99"))
    assert response.status_code == 200
    # The valid part of the query still applies.
    assert set(listed(client.get(list_url(several.team, q="2200", status="bogus")))) == {"2200000001"}
    # A team that holds nothing of these contracts is no choice, so it reveals nothing.
    assert set(listed(client.get(list_url(several.team, team=several.outsider_team.pk)))) == {
        "1100000001",
        "2200000001",
        "3300000001",
    }


def test_the_list_is_paginated(client, world):
    sign_in(client, world, "primary")
    for n in range(25):
        SubscriptionFactory(team=world.team, contract__number=f"44{n:08d}")
    first = client.get(list_url(world.team))
    assert len(first.context["cards"]) == 20
    second = client.get(list_url(world.team, page=2))
    assert len(second.context["cards"]) == 6
    assert "21–26 of 26" in second.content.decode()


# --- A contract's page ----------------------------------------------------------------------------


def test_a_contracts_page_shows_all_its_products_with_their_teams(client, shared):
    sign_in(client, shared, "secondary")
    response = client.get(detail_url(shared.team, shared.subscription.contract))
    html = response.content.decode()
    card = response.context["card"]
    assert [(r.subscription.product.name, r.subscription.team.name, r.detailed) for r in card.rows] == [
        ("DraftPro", "Design", True),
        ("RenderCloud", "Engineering", False),
    ]
    assert "Contract 1100000001" in html
    assert "Jan de Vries" in html
    assert f'href="{list_url(shared.team)}"' in html  # the breadcrumb back


# --- Navigation, queries, CSP ---------------------------------------------------------------------


def test_the_contracts_entry_appears_in_the_navigation(client, world):
    sign_in(client, world, "secondary")
    html = client.get(reverse("team-home", kwargs={"team_id": world.team.pk})).content.decode()
    assert f'href="{list_url(world.team)}"' in html
    page = client.get(detail_url(world.team, world.subscription.contract)).content.decode()
    sidebar = page.split('class="sk-sidebar-nav"', 1)[1].split("</nav>", 1)[0]
    assert "active" in sidebar.split(f'href="{list_url(world.team)}"', 1)[0].rsplit("<a", 1)[1]


def add_contracts(world, count: int) -> None:
    """`count` more contracts, each with a product in Design and one in Engineering."""
    for _n in range(count):
        subscription = SubscriptionFactory(team=world.team, contract__manager=UserFactory())
        SubscriptionFactory(team=world.other_team, contract=subscription.contract, term_end=days(30))
        SubscriptionFactory(team=world.team, contract=subscription.contract, plan=Subscription.Plan.PREMIUM)


@pytest.mark.parametrize("persona", ["primary", "secondary", "staff"])
def test_the_lists_queries_do_not_grow_with_contracts_or_subscriptions(client, world, persona):
    sign_in(client, world, persona)
    plain = list_url(world.team)
    filtered = list_url(world.team, q="1", plan="premium", status="active", team=world.team.pk)
    client.get(plain)  # the session is loaded and saved on the first visit
    add_contracts(world, 2)
    few = count_queries(client, plain), count_queries(client, filtered)
    add_contracts(world, 12)
    many = count_queries(client, plain), count_queries(client, filtered)
    assert Subscription.objects.filter(team=world.team).count() == 29
    assert len(listed(client.get(filtered))) == 14  # the filtered page has rows to prefetch too
    assert few == many
    assert many[0] <= 12
    assert many[1] <= many[0] + 1  # the team filter loads its team


def test_a_contracts_page_has_a_fixed_number_of_queries(client, world, django_assert_max_num_queries):
    sign_in(client, world, "secondary")
    contract = world.subscription.contract
    for team in (world.team, world.other_team, world.team):
        SubscriptionFactory(team=team, contract=contract)
    client.get(detail_url(world.team, contract))
    with django_assert_max_num_queries(10):
        assert client.get(detail_url(world.team, contract)).status_code == 200


def test_the_pages_have_nothing_the_content_security_policy_blocks(client, shared):
    sign_in(client, shared, "primary")
    for url in (list_url(shared.team), detail_url(shared.team, shared.subscription.contract)):
        html = client.get(url).content.decode()
        assert " style=" not in html
        assert "<script>" not in html
        assert " onclick=" not in html


# --- Events entered by support staff in the Django admin, seen in the portal (item 8) --------------


@pytest.fixture
def support(world) -> Client:
    """A second browser: a support staff member signed in to the Django admin."""
    staff_client = Client()
    staff_client.force_login(world.staff)
    return staff_client


def admin_url(name: str, *args, query: str = "") -> str:
    return reverse(f"admin:{name}", args=args) + (f"?{query}" if query else "")


def purchase(**fields) -> dict:
    """The admin's "Record a purchase" form (Subscriptions › Add)."""
    return {
        "customer": "",
        "new_customer": "",
        "contract_number": "",
        "manager_email": "",
        "manager_first_name": "",
        "manager_last_name": "",
        "seats": 4,
        "plan": Subscription.Plan.STANDARD,
        "term_start": days(0).isoformat(),
        "term_end": days(364).isoformat(),
        "collaboration_site": "",
        **fields,
    }


def management_data(response) -> dict:
    """The inline formsets' management form, as a browser posts it back with a change form."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management.initial.get(name, 0)
    return data


def test_a_product_added_to_a_contract_appears_in_the_managing_teams_contracts(client, support, shared):
    # R-T7: a new subscription on an existing contract goes to the team that manages that contract.
    # Design manages 1100000001; it gets the new product even though RenderCloud is in Engineering.
    viewer = ProductFactory(name="ViewerPlus")
    response = support.post(
        admin_url("subscriptions_subscription_add"),
        purchase(customer=shared.team.customer.pk, contract_number="1100000001", product=viewer.pk, seats=6),
    )
    assert response.status_code == 302, response.content.decode()
    sign_in(client, shared, "secondary")
    page = client.get(list_url(shared.team))
    assert listed(page)["1100000001"] == [
        ("DraftPro", "Design", True),
        ("RenderCloud", "Engineering", False),
        ("ViewerPlus", "Design", True),
    ]
    assert row_of(page, Subscription.objects.get(product=viewer)).subscription.seats == 6


def test_a_product_on_a_contract_managed_elsewhere_shows_that_team(client, support, shared):
    # R-T7 from the other side: Engineering manages a contract whose first product was moved to Design.
    # The new product goes to Engineering, and Design's page shows it with its team.
    contract = ContractFactory(team=shared.other_team, number="5500000001", manager=shared.primary.user)
    SubscriptionFactory(team=shared.team, contract=contract, product=shared.product)
    response = support.post(
        admin_url("subscriptions_subscription_add"),
        purchase(customer=shared.team.customer.pk, contract_number="5500000001", product=shared.render.pk),
    )
    assert response.status_code == 302, response.content.decode()
    sign_in(client, shared, "secondary")
    assert listed(client.get(list_url(shared.team)))["5500000001"] == [
        ("DraftPro", "Design", True),
        ("RenderCloud", "Engineering", False),
    ]


def test_seats_added_in_the_admin_show_in_the_same_team(client, support, shared):
    # R-SE2
    response = support.post(
        admin_url("subscriptions_subscription_add-seats", query=f"ids={shared.subscription.pk}"), {"seats": 2}
    )
    assert response.status_code == 302
    sign_in(client, shared, "secondary")
    page = client.get(list_url(shared.team))
    row = row_of(page, shared.subscription)
    assert (row.subscription.seats, row.subscription.team.name, row.in_this_team) == (5, "Design", True)
    assert listed(page)["1100000001"][0] == ("DraftPro", "Design", True)


def test_a_renewal_in_the_admin_moves_the_end_date(client, support, shared):
    sign_in(client, shared, "primary")
    before = client.get(list_url(shared.team)).content.decode()
    assert "Expires in 55 days" in before
    new_end = days(55 + 365)
    response = support.post(
        admin_url("subscriptions_subscription_renew", query=f"ids={shared.engineering.pk}"),
        {"term_end": new_end.isoformat()},
    )
    assert response.status_code == 302
    page = client.get(list_url(shared.team))
    html = page.content.decode()
    assert f"Renews on {new_end:%-d %b %Y}" in html
    assert "Expires in" not in html
    assert not row_of(page, shared.engineering).expiring
    # The contract's term now ends with the renewed subscription.
    assert f"{days(-400):%-d %b %Y} – {new_end:%-d %b %Y}" in text(html)


def test_a_new_contract_manager_becomes_secondary_admin_and_sees_the_contracts(client, support, shared):
    # R-SA4: David de Jong, a user of Design, becomes contract manager.
    sign_in(client, shared, "user")
    assert client.get(list_url(shared.team)).status_code == 403
    contract = shared.subscription.contract
    change_url = admin_url("subscriptions_contract_change", contract.pk)
    response = support.post(change_url, {**management_data(support.get(change_url)), "manager": shared.user.user_id})
    assert response.status_code == 302
    shared.user.refresh_from_db()
    assert shared.user.role == Member.Role.SECONDARY_ADMIN
    page = client.get(list_url(shared.team))
    assert page.status_code == 200
    assert "1100000001" in listed(page)
    card = page.context["cards"][0]
    assert card.contract.manager == shared.user.user
    assert "David de Jong" in page.content.decode()
    # Engineering holds a product of the contract: David is invited there as secondary admin, and sees
    # its details once he has accepted (rights start with the acceptance).
    engineering = Member.objects.get(team=shared.other_team, user=shared.user.user)
    assert (engineering.role, engineering.status) == (Member.Role.SECONDARY_ADMIN, Member.Status.INVITED)
    assert listed(page)["1100000001"] == [("DraftPro", "Design", True), ("RenderCloud", "Engineering", False)]


def test_a_first_purchase_of_a_new_customer_creates_its_team_and_seats_the_owner(client, support, world):
    # R-T2, R-SA3, R-T6: Jan de Vries has an account already (a customer elsewhere, say).
    jan = UserFactory(email="jan@nieuw.example", first_name="Jan", last_name="de Vries")
    response = support.post(
        admin_url("subscriptions_subscription_add"),
        purchase(
            new_customer="Nieuw B.V.",
            contract_number="7700000001",
            manager_email="jan@nieuw.example",
            product=world.product.pk,
            seats=5,
        ),
    )
    assert response.status_code == 302, response.content.decode()
    team = Team.objects.get(customer__name="Nieuw B.V.")
    assert team.name == "Jan de Vries's team"
    assert team.primary_admin.user == jan
    client.force_login(jan)
    page = client.get(list_url(team))
    assert page.status_code == 200
    assert listed(page) == {"7700000001": [("DraftPro", "Jan de Vries's team", True)]}
    assert "Jan de Vries" in page.content.decode()
    # R-T6: the owner holds a seat, which the portal shows among their products.
    assert Assignment.objects.filter(member__team=team, member__user=jan, product=world.product).exists()
    assert "DraftPro" in client.get(reverse("my-products")).content.decode()
    assert Contract.objects.get(number="7700000001").manager == jan
