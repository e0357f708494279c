"""The order API (R-API1): every operation, through the same services support staff use, with the
rules they keep (R-T2, R-T6, R-T7, R-SA3, R-SA4, R-SE2), and its errors as problem details."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Assignment, Contract, Subscription
from licensing.teams.models import Customer, Member, Team
from tests.factories import ProductFactory, ProductItemFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def today():
    return timezone.localdate()


def term(days: int = 365) -> dict:
    return {"term_start": today().isoformat(), "term_end": (today() + timedelta(days=days)).isoformat()}


@pytest.fixture
def catalogue(db):
    product = ProductFactory(code="draftpro", name="DraftPro")
    ProductItemFactory(product=product, code="draftpro-desktop", name="DraftPro desktop")
    ProductItemFactory(product=product, code="cloud-render", name="Cloud rendering", kind="service")
    ProductFactory(code="viewer", name="Viewer")
    return product


def new_customer(shop, name="Bouwbedrijf De Vries B.V.", number="C-1001", manager="jan@devries.example") -> dict:
    customer = shop.post("/customers", {"name": name})
    assert customer.status_code == 201, customer.content
    contract = shop.post(
        "/contracts",
        {
            "customer_id": customer.json()["id"],
            "number": number,
            "manager": {"email": manager, "first_name": "Jan", "last_name": "de Vries"},
        },
    )
    assert contract.status_code == 201, contract.content
    return {"customer": customer.json(), "contract": contract.json()}


def purchase(shop, number="C-1001", product="draftpro", seats=5, **extra):
    return shop.post(
        "/subscriptions", {"contract_number": number, "product": product, "seats": seats, **term(), **extra}
    )


def test_the_new_customer_flow_through_the_api_alone(shop, catalogue):
    """R-API1, R-T2, R-SA3, R-T6: customer → contract → subscription; the contract manager is invited
    as primary admin of a new team named after them, and holds a seat of what was bought."""
    created = new_customer(shop)
    customer, contract = created["customer"], created["contract"]
    assert customer["teams"] == [] or customer["teams"]  # made before the contract: no team yet
    team = Team.objects.get(customer_id=customer["id"])
    assert team.name == "Jan de Vries's team"  # R-T2
    assert contract["team"] == {"id": team.pk, "name": team.name, "primary_admin": "jan@devries.example"}
    primary = Member.objects.get(team=team, role=Member.Role.PRIMARY_ADMIN)
    assert primary.user.email == "jan@devries.example"
    assert primary.status == Member.Status.INVITED  # R-SA3: invited, by mail
    assert [message.to for message in mail.outbox] == [["jan@devries.example"]]

    bought = purchase(shop, seats=5)
    assert bought.status_code == 201, bought.content
    body = bought.json()
    assert body["team"]["id"] == team.pk
    assert (body["product"], body["seats"], body["owner"], body["active"]) == (
        "draftpro",
        5,
        "jan@devries.example",
        True,
    )
    assert Assignment.objects.filter(member=primary, product__code="draftpro").exists()  # R-T6
    actions = set(ActivityEvent.objects.filter(team=team).values_list("action", flat=True))
    assert {"team_created", "contract_added", "subscription_added", "product_assigned"} <= actions

    read = shop.get(f"/customers/{customer['id']}").json()
    assert read["contracts"] == ["C-1001"]
    assert read["teams"] == [{"id": team.pk, "name": team.name, "primary_admin": "jan@devries.example"}]


def test_a_second_contract_goes_to_the_team_created_last(shop, catalogue):
    """R-T7: a new contract of a customer with teams goes to the team it created last; its manager
    becomes a secondary admin there (R-SA3: the team has a primary admin)."""
    first = new_customer(shop)
    team = Team.objects.get(pk=first["contract"]["team"]["id"])
    second = shop.post(
        "/contracts",
        {
            "customer_id": first["customer"]["id"],
            "number": "C-1002",
            "manager": {"email": "els@devries.example", "first_name": "Els", "last_name": "Bakker"},
        },
    )
    assert second.status_code == 201, second.content
    assert second.json()["team"]["id"] == team.pk
    member = Member.objects.get(team=team, user__email="els@devries.example")
    assert member.role == Member.Role.SECONDARY_ADMIN
    # A subscription on the existing contract goes to its team (R-T7).
    assert purchase(shop, number="C-1002").json()["team"]["id"] == team.pk


def test_seats_added_stay_in_the_subscriptions_team(shop, catalogue):
    """R-SE2, and setting, adding and removing seats."""
    new_customer(shop)
    subscription = purchase(shop, seats=5).json()
    added = shop.post(f"/subscriptions/{subscription['id']}/seats/add", {"seats": 3})
    assert added.status_code == 200, added.content
    assert (added.json()["seats"], added.json()["team"]["id"]) == (8, subscription["team"]["id"])
    removed = shop.post(f"/subscriptions/{subscription['id']}/seats/remove", {"seats": 2})
    assert removed.json()["seats"] == 6
    put = shop.put(f"/subscriptions/{subscription['id']}/seats", {"seats": 10})
    assert put.json()["seats"] == 10
    changes = ActivityEvent.objects.filter(action="seats_changed").values_list("before", "after")
    assert [(before["seats"], after["seats"]) for before, after in changes.order_by("pk")] == [(5, 8), (8, 6), (6, 10)]


def test_seats_below_assigned_are_refused_with_the_numbers_unless_allowed(shop, catalogue, client):
    """SEATS_BELOW_ASSIGNED: the numbers in the problem; with allow_over_allocation the change is made
    and By Product shows the team over its seats."""
    new_customer(shop)
    subscription = purchase(shop, seats=1).json()  # the contract manager holds the one seat (R-T6)
    refused = shop.post(f"/subscriptions/{subscription['id']}/seats/remove", {"seats": 1})
    assert refused.status_code == 422
    assert refused["Content-Type"] == PROBLEM
    problem = refused.json()
    assert problem["type"] == "tag:seatkeeper.org,2026:problem:seats-below-assigned"
    assert problem["errors"][0]["field"] == "seats"
    assert problem["errors"][0]["rule"] == "SEATS_BELOW_ASSIGNED"
    assert "Users of DraftPro in Jan de Vries's team: 1; seats after this change: 0" in problem["detail"]
    assert Subscription.objects.get(pk=subscription["id"]).seats == 1
    also_refused = shop.put(f"/subscriptions/{subscription['id']}/seats", {"seats": 0})
    assert also_refused.json()["errors"][0]["rule"] == "SEATS_BELOW_ASSIGNED"

    allowed = shop.post(
        f"/subscriptions/{subscription['id']}/seats/remove", {"seats": 1, "allow_over_allocation": True}
    )
    assert allowed.status_code == 200, allowed.content
    assert allowed.json()["seats"] == 0
    # By Product, as the team's primary admin sees it: one over.
    team = Team.objects.get(pk=subscription["team"]["id"])
    primary = Member.objects.get(team=team, role=Member.Role.PRIMARY_ADMIN)
    primary.user.set_password("pw")
    primary.user.save()
    primary.status = Member.Status.ACTIVE
    primary.save()
    client.force_login(primary.user)
    page = client.get(reverse("subscriptions:product-list", kwargs={"team_id": team.pk}))
    assert page.status_code == 200
    assert "1 over" in page.content.decode()


def test_renewal_cancellation_and_termination(shop, catalogue):
    new_customer(shop)
    subscription = purchase(shop).json()
    path = f"/subscriptions/{subscription['id']}"
    later = (today() + timedelta(days=730)).isoformat()

    cancelled = shop.post(f"{path}/cancellation")
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["cancelled_at"] is not None
    assert cancelled.json()["active"] is True  # runs to the end of its term

    renewed = shop.post(f"{path}/renewal", {"term_end": later})
    assert renewed.status_code == 200, renewed.content
    assert (renewed.json()["term_end"], renewed.json()["cancelled_at"]) == (later, None)  # renewal takes it back
    not_later = shop.post(f"{path}/renewal", {"term_end": today().isoformat()})
    assert not_later.status_code == 422
    assert not_later.json()["errors"][0]["field"] == "term_end"

    ended = shop.post(f"{path}/termination")
    assert ended.status_code == 200, ended.content
    assert ended.json()["active"] is False
    assert ended.json()["term_end"] == (today() - timedelta(days=1)).isoformat()
    again = shop.post(f"{path}/termination")
    assert again.status_code == 422
    assert again.json()["errors"][0]["rule"] == "SUBSCRIPTION_ENDED"
    actions = list(ActivityEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions[-3:] == ["subscription_cancelled", "subscription_renewed", "subscription_terminated"]


def test_a_new_contract_manager(shop, catalogue):
    """R-SA4: the new contract manager becomes a secondary admin of the team and owns the contract's
    subscriptions; the primary admin stays who it was (R-PA4)."""
    created = new_customer(shop)
    subscription = purchase(shop).json()
    changed = shop.post(
        f"/contracts/{created['contract']['id']}/manager",
        {"email": "piet@devries.example", "first_name": "Piet", "last_name": "Jansen"},
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["manager"] == {"email": "piet@devries.example", "first_name": "Piet", "last_name": "Jansen"}
    assert body["team"]["primary_admin"] == "jan@devries.example"
    team = Team.objects.get(pk=body["team"]["id"])
    assert Member.objects.get(team=team, user__email="piet@devries.example").role == Member.Role.SECONDARY_ADMIN
    assert shop.get(f"/subscriptions/{subscription['id']}").json()["owner"] == "piet@devries.example"


def test_the_lists_and_their_filters(shop, catalogue):
    first = new_customer(shop)
    new_customer(shop, name="Ingenieursbureau Smit", number="C-2001", manager="anna@smit.example")
    purchase(shop)
    purchase(shop, number="C-2001", product="viewer")

    customers = shop.get("/customers").json()
    assert customers["count"] == 2
    assert [c["name"] for c in shop.get("/customers", name="smit").json()["items"]] == ["Ingenieursbureau Smit"]
    assert shop.get("/customers", limit=1, offset=1).json()["items"][0]["name"] == "Ingenieursbureau Smit"
    contracts = shop.get("/contracts", number="C-1001").json()
    assert [c["id"] for c in contracts["items"]] == [first["contract"]["id"]]
    assert shop.get("/contracts", customer_id=first["customer"]["id"]).json()["count"] == 1
    assert shop.get(f"/contracts/{first['contract']['id']}").json()["number"] == "C-1001"
    assert shop.get("/subscriptions").json()["count"] == 2
    assert [s["product"] for s in shop.get("/subscriptions", contract_number="C-2001").json()["items"]] == ["viewer"]
    assert shop.get("/subscriptions", product="draftpro").json()["count"] == 1
    assert shop.get("/subscriptions", customer_id=first["customer"]["id"]).json()["count"] == 1


def test_the_catalogue(shop, catalogue):
    products = shop.get("/products").json()
    assert [p["code"] for p in products["items"]] == ["draftpro", "viewer"]
    draftpro = shop.get("/products/draftpro").json()
    assert [(i["code"], i["kind"]) for i in draftpro["items"]] == [
        ("cloud-render", "service"),
        ("draftpro-desktop", "software"),
    ]
    missing = shop.get("/products/nothing")
    assert (missing.status_code, missing["Content-Type"], missing.json()["status"]) == (404, PROBLEM, 404)


@pytest.mark.parametrize(
    ("path", "body", "field", "rule"),
    [
        ("/customers", {}, "name", "MISSING"),
        ("/customers", {"name": "   "}, "name", "REQUIRED"),
        ("/customers", {"name": "=HYPERLINK(1)"}, "name", "FORMULA"),
        ("/customers", {"name": "a\x00b"}, "name", "VALUE_ERROR"),
        (
            "/contracts",
            {"customer_id": 1, "number": "X", "manager": {"email": "no", "first_name": "A", "last_name": "B"}},
            "manager.email",
            "INVALID",
        ),
        (
            "/subscriptions",
            {
                "contract_number": "NOPE",
                "product": "draftpro",
                "seats": 1,
                "term_start": "2026-01-01",
                "term_end": "2026-12-31",
            },
            "contract_number",
            "CONTRACT_UNKNOWN",
        ),
        (
            "/subscriptions",
            {
                "contract_number": "C-1001",
                "product": "nope",
                "seats": 1,
                "term_start": "2026-01-01",
                "term_end": "2026-12-31",
            },
            "product",
            "PRODUCT_UNKNOWN",
        ),
        (
            "/subscriptions",
            {
                "contract_number": "C-1001",
                "product": "draftpro",
                "seats": -1,
                "term_start": "2026-01-01",
                "term_end": "2026-12-31",
            },
            "seats",
            "GREATER_THAN_EQUAL",
        ),
        (
            "/subscriptions",
            {
                "contract_number": "C-1001",
                "product": "draftpro",
                "seats": 1,
                "term_start": "2026-02-01",
                "term_end": "2026-01-01",
            },
            "term_end",
            "INVALID",
        ),
        (
            "/subscriptions",
            {"contract_number": "C-1001", "product": "draftpro", "seats": 2_000_000, **term()},
            "seats",
            "TOO_MANY_SEATS",
        ),
    ],
)
def test_bad_requests_are_problems_that_name_the_field_and_the_rule(shop, catalogue, path, body, field, rule):
    if path != "/customers":
        new_customer(shop)
    if "customer_id" in body:
        body = {**body, "customer_id": Customer.objects.get().pk}
    before = (Customer.objects.count(), Contract.objects.count(), Subscription.objects.count())
    response = shop.post(path, body)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert set(problem) == {"type", "title", "status", "detail", "instance", "errors"}
    assert (problem["status"], problem["instance"]) == (422, f"/api/v1{path}")
    assert {"field": field, "rule": rule} == {k: problem["errors"][0][k] for k in ("field", "rule")}, problem
    assert problem["errors"][0]["message"]
    assert (Customer.objects.count(), Contract.objects.count(), Subscription.objects.count()) == before


def test_a_contract_number_that_exists_is_a_conflict(shop, catalogue):
    created = new_customer(shop)
    again = shop.post(
        "/contracts",
        {
            "customer_id": created["customer"]["id"],
            "number": "C-1001",
            "manager": {"email": "x@example.com", "first_name": "X", "last_name": "Y"},
        },
    )
    assert again.status_code == 409
    assert again.json()["errors"][0]["rule"] == "CONTRACT_EXISTS"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/customers/999999"),
        ("get", "/contracts/999999"),
        ("get", "/subscriptions/999999"),
        ("post", "/subscriptions/999999/cancellation"),
        ("post", "/contracts/999999/manager"),
    ],
)
def test_what_does_not_exist_is_a_404_problem(shop, method, path):
    body = {"email": "a@example.com", "first_name": "A", "last_name": "B"} if path.endswith("manager") else None
    response = shop.get(path) if method == "get" else shop.post(path, body)
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["type"] == "tag:seatkeeper.org,2026:problem:not-found"


def test_a_body_that_is_not_json(shop):
    response = shop.client.post("/api/v1/customers", "name=x", content_type="text/plain", headers=shop.headers("k-1"))
    assert response.status_code == 415
    assert response["Content-Type"] == PROBLEM
    broken = shop.client.post("/api/v1/customers", "{", content_type="application/json", headers=shop.headers("k-2"))
    assert broken.status_code == 400
    assert broken.json()["type"] == "tag:seatkeeper.org,2026:problem:body-not-json"


def test_the_licence_api_keeps_its_own_errors(client):
    """The desktop software in the field reads {"detail"}: its errors are not problem details."""
    response = client.get("/api/v1/entitlements/draftpro")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()) == {"detail"}
    unknown = client.get("/api/v1/no-such-endpoint")
    assert (unknown.status_code, set(unknown.json())) == (404, {"detail"})


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data", ""],
)
def test_every_body_of_another_type_is_refused(shop, catalogue, content_type):
    """No cross-site HTML form can post to the order API: every operation with a body answers 415 to
    JSON sent as another type, and writes nothing."""
    paths = shop.client.get("/api/v1/openapi.json").json()["paths"]
    operations = [
        (method, path.replace("{contract_id}", "1").replace("{subscription_id}", "1"))
        for path, methods in paths.items()
        for method, operation in methods.items()
        if "requestBody" in operation and {"Orders", "Catalogue"} & set(operation.get("tags", []))
    ]
    assert len(operations) == 8
    for n, (method, path) in enumerate(operations):
        response = getattr(shop.client, method)(
            path, '{"name": "X"}', content_type=content_type, headers=shop.headers(f"k-{n}")
        )
        assert response.status_code == 415, (path, response.content)
        assert response.json()["type"] == "tag:seatkeeper.org,2026:problem:unsupported-media-type"
    assert Customer.objects.count() == 0
