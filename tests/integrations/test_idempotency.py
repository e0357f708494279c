"""R-API2: every write of the order API can be retried safely: the same Idempotency-Key and body
answer as the first request did and change nothing twice; the same key with another body is 422;
concurrent requests with one key make one change."""

import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from licensing.integrations.idempotency import idempotency_keys_clean
from licensing.integrations.models import IdempotencyKey
from licensing.subscriptions.models import Subscription
from licensing.teams.models import Customer
from tests.concurrency import run_together
from tests.factories import ProductFactory
from tests.integrations.conftest import Shop, new_key


def order(number: str = "C-1001") -> dict:
    today = timezone.localdate()
    return {
        "contract_number": number,
        "product": "draftpro",
        "seats": 5,
        "term_start": today.isoformat(),
        "term_end": (today + timedelta(days=365)).isoformat(),
    }


def contract(shop: Shop, number: str = "C-1001") -> None:
    customer = shop.post("/customers", {"name": "De Vries"}).json()
    manager = {"email": "jan@devries.example", "first_name": "Jan", "last_name": "de Vries"}
    response = shop.post("/contracts", {"customer_id": customer["id"], "number": number, "manager": manager})
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_a_retry_with_the_same_key_and_body_answers_the_same_and_buys_once(shop):
    """R-API2"""
    ProductFactory(code="draftpro")
    contract(shop)
    first = shop.post("/subscriptions", order(), key="order-1")
    assert first.status_code == 201, first.content
    retry = shop.post("/subscriptions", order(), key="order-1")
    assert (retry.status_code, retry.content) == (first.status_code, first.content)
    assert retry["Idempotent-Replayed"] == "true"
    assert Subscription.objects.count() == 1
    # A body that is the same JSON written otherwise (key order, spaces) is the same request.
    body = order()
    reordered_body = (
        f'{{"term_end": "{body["term_end"]}", "seats": 5,  "product": "draftpro", '
        f'"term_start": "{body["term_start"]}", "contract_number": "C-1001"}}'
    )
    reordered = shop.client.post(
        "/api/v1/subscriptions", reordered_body, content_type="application/json", headers=shop.headers("order-1")
    )
    assert (reordered.status_code, reordered.content) == (201, first.content)


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused(shop):
    """R-API2: 422, and nothing is done."""
    first = shop.post("/customers", {"name": "De Vries"}, key="k-1")
    assert first.status_code == 201
    other = shop.post("/customers", {"name": "Smit"}, key="k-1")
    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert other.json()["errors"] == [
        {"field": "Idempotency-Key", "rule": "IDEMPOTENCY_KEY_REUSED", "message": other.json()["detail"]}
    ]
    elsewhere = shop.post("/contracts", {"name": "De Vries"}, key="k-1")  # another address
    assert elsewhere.status_code == 422
    assert list(Customer.objects.values_list("name", flat=True)) == ["De Vries"]


@pytest.mark.django_db
def test_a_refusal_is_answered_the_same_on_a_retry(shop):
    """A rule broken is an answer too: the retry gets it again, without running the service."""
    refused = shop.post("/customers", {"name": "=1+1"}, key="k-2")
    assert refused.status_code == 422
    retry = shop.post("/customers", {"name": "=1+1"}, key="k-2")
    assert (retry.status_code, retry.content, retry["Idempotent-Replayed"]) == (422, refused.content, "true")


@pytest.mark.django_db
def test_keys_belong_to_their_api_key(shop, client):
    """Two vendor keys never share answers, whatever their Idempotency-Keys."""
    other = Shop(Client(), new_key())
    assert shop.post("/customers", {"name": "De Vries"}, key="same").status_code == 201
    assert other.post("/customers", {"name": "De Vries"}, key="same").status_code == 201
    assert Customer.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", " spaced key", "é", "x" * 256])
def test_a_write_needs_a_valid_key(shop, key):
    response = shop.client.post(
        "/api/v1/customers",
        {"name": "De Vries"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {shop.key}", "Idempotency-Key": key},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    missing = shop.client.post(
        "/api/v1/customers",
        {"name": "De Vries"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {shop.key}"},
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0] == {"field": "Idempotency-Key", "rule": "MISSING", "message": "Field required"}
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_old_keys_are_cleaned_up_after_48_hours(shop):
    shop.post("/customers", {"name": "De Vries"}, key="old")
    shop.post("/customers", {"name": "Smit"}, key="new")
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=49))
    assert idempotency_keys_clean() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    call_command("idempotency_keys_clean")


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_make_one_purchase():
    """R-API2 under concurrency: four requests with the same key at the same moment, on four
    connections: one purchase, and every one gets its answer (the others wait for the first to commit,
    on the unique constraint, and replay it)."""
    ProductFactory(code="draftpro")
    shop = Shop(Client(), new_key())
    contract(shop)
    key = str(uuid.uuid4())

    def buy():
        response = Shop(Client(), shop.key).post("/subscriptions", order(), key=key)
        return response.status_code, response.content

    outcomes = run_together(buy, buy, buy, buy)
    assert all(outcome.ok for outcome in outcomes), [outcome.error for outcome in outcomes]
    answers = {outcome.value for outcome in outcomes}
    assert len(answers) == 1, answers
    assert next(iter(answers))[0] == 201
    assert Subscription.objects.count() == 1
