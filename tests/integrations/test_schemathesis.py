"""The order API against its own description (R-API1, R-API2): schemathesis reads the one OpenAPI
document of /api/v1/ from the Django app through WSGI and sends every operation of the order API and
the catalogue requests made from it, valid and not, with a vendor key of every scope. No answer may be
a server error, and every answer must be one the description lists, in its shape and media type
(application/problem+json for the errors). The licence API's operations of the same document are
sent theirs in tests/api/test_schemathesis.py, with device tokens.

Bounded and repeatable: a fixed number of examples per operation, derandomized; a world with a
customer, a contract, a subscription and a product, so that the generated ids sometimes hit."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings

from licensing.subscriptions.purchases import contract_create, purchase_record
from licensing.teams.services import customer_create
from tests.api.test_schemathesis import CHECKS, _keep_the_test_connection, schema  # noqa: F401 (a fixture)
from tests.factories import ProductFactory, ProductItemFactory, UserFactory
from tests.integrations.conftest import new_key

EXAMPLES = 25
orders = schema.include(tag=["Orders", "Catalogue"])


@pytest.fixture
def vendor_key(db) -> str:
    product = ProductFactory(code="draftpro", name="DraftPro")
    ProductItemFactory(product=product, code="draftpro-desktop")
    customer = customer_create(name="De Vries")
    manager = UserFactory(email="jan@devries.example")
    contract_create(customer=customer, number="C-1", manager=manager)
    today = timezone.localdate()
    purchase_record(
        customer=customer,
        contract_number="C-1",
        manager=manager,
        product=product,
        seats=3,
        term_start=today,
        term_end=today + timedelta(days=365),
    )
    return new_key()


@orders.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_order_api_answers_every_request_as_its_description_says(case, vendor_key):
    case.call_and_validate(headers={"Authorization": f"Bearer {vendor_key}"}, checks=CHECKS)


def test_a_purchase_answers_as_described(vendor_key):
    """R-API1: a real purchase, and its replay (R-API2), against the description."""
    today = timezone.localdate()
    body = {
        "contract_number": "C-1",
        "product": "draftpro",
        "seats": 2,
        "term_start": today.isoformat(),
        "term_end": (today + timedelta(days=30)).isoformat(),
    }
    case = schema["/api/v1/subscriptions"]["POST"].Case(
        body=body, media_type="application/json", headers={"Idempotency-Key": "purchase-1"}
    )
    headers = {"Authorization": f"Bearer {vendor_key}"}
    first = case.call_and_validate(headers=headers, checks=CHECKS)
    assert first.status_code == 201
    again = case.call_and_validate(headers=headers, checks=CHECKS)
    assert (again.status_code, again.content) == (201, first.content)


def test_every_write_that_succeeds_answers_as_described(vendor_key):
    """Generated ids seldom hit a row: each write of the order API once on real rows, its answer
    checked against the description (R-API1)."""
    from licensing.subscriptions.models import Contract, Subscription

    headers = {"Authorization": f"Bearer {vendor_key}"}
    contract = Contract.objects.get()
    subscription = Subscription.objects.get()
    later = (timezone.localdate() + timedelta(days=700)).isoformat()
    person = {"email": "piet@devries.example", "first_name": "Piet", "last_name": "Jansen"}
    writes = [
        ("/api/v1/customers", "POST", {}, {"name": "Smit"}, 201),
        ("/api/v1/contracts/{contract_id}/manager", "POST", {"contract_id": contract.pk}, person, 200),
        (
            "/api/v1/subscriptions/{subscription_id}/seats/add",
            "POST",
            {"subscription_id": subscription.pk},
            {"seats": 2},
            200,
        ),
        (
            "/api/v1/subscriptions/{subscription_id}/seats/remove",
            "POST",
            {"subscription_id": subscription.pk},
            {"seats": 1},
            200,
        ),
        (
            "/api/v1/subscriptions/{subscription_id}/seats",
            "PUT",
            {"subscription_id": subscription.pk},
            {"seats": 6},
            200,
        ),
        (
            "/api/v1/subscriptions/{subscription_id}/renewal",
            "POST",
            {"subscription_id": subscription.pk},
            {"term_end": later},
            200,
        ),
        (
            "/api/v1/subscriptions/{subscription_id}/cancellation",
            "POST",
            {"subscription_id": subscription.pk},
            None,
            200,
        ),
        (
            "/api/v1/subscriptions/{subscription_id}/termination",
            "POST",
            {"subscription_id": subscription.pk},
            None,
            200,
        ),
    ]
    for n, (path, method, path_parameters, body, status) in enumerate(writes):
        extra = {"body": body, "media_type": "application/json"} if body is not None else {}
        case = schema[path][method].Case(
            path_parameters=path_parameters, headers={"Idempotency-Key": f"w-{n}"}, **extra
        )
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        assert response.status_code == status, (path, response.content)
    customer = (
        schema["/api/v1/customers"]["POST"]
        .Case(body={"name": "Bakker"}, media_type="application/json", headers={"Idempotency-Key": "c-1"})
        .call_and_validate(headers=headers, checks=CHECKS)
    )
    contract_case = schema["/api/v1/contracts"]["POST"].Case(
        body={"customer_id": customer.json()["id"], "number": "C-2", "manager": person},
        media_type="application/json",
        headers={"Idempotency-Key": "k-1"},
    )
    assert contract_case.call_and_validate(headers=headers, checks=CHECKS).status_code == 201
    product = schema["/api/v1/products/{code}"]["GET"].Case(path_parameters={"code": "draftpro"})
    assert product.call_and_validate(headers=headers, checks=CHECKS).status_code == 200
