"""Personas and a small world to test in.

`world` is one customer with a team whose members play every role (primary admin, secondary admin,
user, guest, invited user), a second team of the same customer, and an outsider team with its own
admin; a product with two items and a subscription of 3 seats in the first team."""

from dataclasses import dataclass
from functools import cached_property

import pytest
from django.conf import settings

from licensing.subscriptions.models import Product, ProductItem, Subscription
from licensing.teams.models import Member, Team
from tests.factories import (
    CustomerFactory,
    MemberFactory,
    ProductFactory,
    ProductItemFactory,
    SubscriptionFactory,
    TeamFactory,
    UserFactory,
)


def pytest_addoption(parser):
    parser.addoption(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run every test collected N times in a row (make stress: the concurrency tests, 20 times)",
    )


def pytest_generate_tests(metafunc):
    # A test that fails one run in ten is a bug to find: --repeat makes it show in one session.
    runs = metafunc.config.getoption("repeat")
    if runs > 1:
        metafunc.fixturenames.append("_run")
        metafunc.parametrize("_run", range(1, runs + 1), ids=lambda run: f"run{run}")


@pytest.fixture
def _run():
    """The number of the run, under --repeat (see pytest_generate_tests)."""


@pytest.fixture(autouse=True, scope="session")
def _translations_compiled():
    # `pytest` alone, without `make test`, still sees the Dutch pages: compile what changed.
    from asgiref.local import Local
    from django.utils.translation import trans_real

    from portal.translations import compile_all

    if compile_all():  # forget catalogues read before they were compiled, as a change of LOCALE_PATHS does
        trans_real._translations, trans_real._default, trans_real._active = {}, None, Local()


@pytest.fixture(autouse=True)
def _english_after_each_test():
    # A request in Dutch leaves Dutch active in the thread (LocaleMiddleware does not undo it): the
    # next test would start in Dutch.
    yield
    from django.utils import translation

    translation.deactivate()


IMMEDIATE_TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def _jobs_at_once(settings):
    """A job runs in the test's own process when it is enqueued (portal.jobs.enqueue: on commit), so
    that a test sees its mails in mail.outbox as before. The tests of the job runner itself (tests/jobs)
    switch to the database backend (`database_tasks`) and run a real worker."""
    settings.TASKS = IMMEDIATE_TASKS


@pytest.fixture
def database_tasks(settings):
    """Jobs kept in the database as in production; a test runs them with `run_jobs` or a worker."""
    settings.TASKS = DATABASE_TASKS


@pytest.fixture
def run_jobs(database_tasks, monkeypatch):
    """Run the jobs that are ready, as `manage.py db_worker --batch` does, in the test's process and
    transaction; returns how many ran."""
    from django_tasks_db.management.commands import db_worker

    # The worker checks its connection between tasks; inside a test's transaction that would close it.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run() -> int:
        worker = db_worker.Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
            excluded_queue_names=[],
        )
        worker.run()
        return worker._run_tasks

    return run


@pytest.fixture(autouse=True)
def _mail_to_memory(settings):
    # django-mailer still queues in the database; "sending" after commit lands in mail.outbox.
    settings.MAILER_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences", "world"}


@pytest.fixture(autouse=True)
def _empty_cache(request, django_db_blocker):
    """The sign-in throttle's counts live in the database cache table, which neither a test's rollback
    (when written outside it) nor a transactional test's flush empties: each test starts with none."""
    if not (DATABASE_FIXTURES & set(request.fixturenames) or request.node.get_closest_marker("django_db")):
        yield
        return
    request.getfixturevalue("django_db_setup")
    from django.core.cache import cache

    with django_db_blocker.unblock():
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Every persona has a password; the production hasher takes ~0.4 s each, `world` ~2.5 s.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    team: Team
    other_team: Team
    outsider_team: Team
    primary: Member
    secondary: Member
    user: Member
    guest: Member
    invited: Member
    outsider: Member
    product: Product
    items: list[ProductItem]
    subscription: Subscription

    @cached_property
    def staff(self):
        return UserFactory(email="support@vendor.example", is_staff=True, is_superuser=True)


@pytest.fixture
def world(db) -> World:
    customer = CustomerFactory(name="Bouwbedrijf De Vries B.V.")
    team = TeamFactory(customer=customer, name="Design")
    other_team = TeamFactory(customer=customer, name="Engineering")
    outsider_team = TeamFactory(name="Someone else's team")
    primary = MemberFactory(team=team, role=Member.Role.PRIMARY_ADMIN, user__email="primary@example.com")
    MemberFactory(team=other_team, user=primary.user, role=Member.Role.PRIMARY_ADMIN)
    secondary = MemberFactory(team=team, role=Member.Role.SECONDARY_ADMIN, user__email="secondary@example.com")
    user = MemberFactory(team=team, user__email="user@example.com")
    guest = MemberFactory(team=team, is_guest=True, user__email="guest@example.com")
    invited = MemberFactory(team=team, status=Member.Status.INVITED, accepted_at=None, user__email="new@example.com")
    outsider = MemberFactory(team=outsider_team, role=Member.Role.PRIMARY_ADMIN, user__email="outsider@example.com")
    product = ProductFactory(code="draftpro", name="DraftPro")
    items = [
        ProductItemFactory(product=product, code="draftpro-desktop", name="DraftPro desktop"),
        ProductItemFactory(product=product, code="cloud-render", name="Cloud rendering", kind="service"),
    ]
    subscription = SubscriptionFactory(
        team=team, product=product, seats=3, contract__manager=primary.user, owner=primary.user
    )
    return World(
        team=team,
        other_team=other_team,
        outsider_team=outsider_team,
        primary=primary,
        secondary=secondary,
        user=user,
        guest=guest,
        invited=invited,
        outsider=outsider,
        product=product,
        items=items,
        subscription=subscription,
    )


def on_postgresql() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
