"""The 503 answers of portal.middleware, in-process: the test's database connection is pointed at a
database that is not there (a SQLite file in a missing directory, a PostgreSQL port where nothing
listens), so every query fails as it does when the server is down."""

import socket
from contextlib import contextmanager

import pytest
from django.core.handlers.exception import response_for_exception
from django.db import DatabaseError, connection
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from licensing.accounts import devices
from licensing.accounts.models import User
from portal.middleware import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS
from tests.conftest import on_postgresql


def refusing_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def unreachable():
    """Until the block ends, the database cannot be reached."""
    key, value = ("PORT", refusing_port()) if on_postgresql() else ("NAME", "/nonexistent/seatkeeper.sqlite3")
    saved = connection.settings_dict[key]
    connection.close()
    connection.settings_dict[key] = value
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict[key] = saved


@pytest.fixture
def database_down(transactional_db):
    with unreachable():
        yield


def assert_unavailable_page(response, text=str(DATABASE_UNAVAILABLE)):
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert text in page
    assert "Traceback" not in page


@pytest.fixture
def signed_in(transactional_db, world):
    client = Client()
    client.force_login(world.primary.user)
    return client


def test_a_page_answers_the_503_page_when_the_database_is_down(signed_in, world, database_down):
    response = signed_in.get(reverse("teams:member-list", kwargs={"team_id": world.team.pk}))
    assert_unavailable_page(response)


def test_a_change_answers_the_503_page_when_the_database_is_down(signed_in, world, database_down):
    response = signed_in.post(
        reverse("team_settings:team-rename", kwargs={"team_id": world.team.pk}), {"name": "Design & Build"}
    )
    assert_unavailable_page(response)


def test_the_503_page_is_in_dutch_for_a_dutch_reader(signed_in, world, database_down):
    signed_in.cookies["django_language"] = "nl"
    response = signed_in.get(reverse("home"))
    with translation.override("nl"):
        dutch = str(DATABASE_UNAVAILABLE)
    assert dutch.startswith("Seatkeeper kan zijn database even niet bereiken.")
    assert_unavailable_page(response, dutch)
    assert '<html lang="nl"' in response.content.decode()


def test_the_licence_api_answers_json_503_when_the_database_is_down(transactional_db, world):
    _token, raw = devices.api_token_issue(user=world.user.user, device_name="PC")
    with unreachable():
        response = Client().get(
            f"/api/v1/entitlements/{world.product.code}", headers={"Authorization": f"Bearer {raw}"}
        )
    assert response.status_code == 503
    assert response["Retry-After"]
    assert response.json()["detail"]


def test_a_database_error_outside_a_view_answers_the_503_page_too(database_down):
    # What Django does with an exception raised in a middleware (say the session saved after the
    # view): handler500, portal.views.server_error, inside the except block.
    request = RequestFactory().get("/teams/1/users/")
    try:
        User.objects.exists()
    except DatabaseError as error:
        response = response_for_exception(request, error)
    assert_unavailable_page(response)


def test_other_errors_stay_the_500_page(db):
    request = RequestFactory().get("/")
    try:
        raise ValueError("a bug of ours")
    except ValueError as error:
        response = response_for_exception(request, error)
    assert response.status_code == 500
    assert "Retry-After" not in response


def test_pages_carry_the_words_portal_js_shows_when_an_htmx_request_answers_503(signed_in, world):
    # htmx swaps no 503 into the dialog; portal.js shows these words in a toast instead.
    page = signed_in.get(reverse("teams:member-list", kwargs={"team_id": world.team.pk})).content.decode()
    assert f'data-unavailable="{DATABASE_UNAVAILABLE}"' in page
