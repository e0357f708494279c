"""axe-core over the rest of the primary admin's screens (issue 22), beside the screens and dialogs of
test_accessibility.py: the pages that are not a step of the guide's procedures but an admin opens all
the same. A contract, two steps of moving a subscription, the team's webhooks
(the list, adding one, one endpoint), the account page, the language page, API tokens
(the list and a new one), two-step sign-in, Change password, Invite's CSV Import tab, Seat Usage's
users tab with the Group filter, a job's page (running, and done with its download), the activity log
filtered, the desktop sign-in page, and the "not found" page. English and Dutch, at 375, 768, 1280 and
1920 px, no violation of any impact (the rules of AXE_OPTIONS)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from licensing.accounts.access_tokens import access_token_create
from licensing.groups.services import group_create, group_members_add
from licensing.jobs.models import Job
from licensing.jobs.services import job_create, job_done, job_progress
from licensing.webhooks.services import endpoint_create
from tests.browser.test_accessibility import WIDTHS, axe_violations, signed_in  # noqa: F401 (a fixture)
from tests.browser.test_by_product_browser import furnish
from tests.factories import SubscriptionFactory

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_other_screens_of_an_admin_have_no_axe_violation(signed_in, world, lang, width, settings):  # noqa: F811
    # The endpoint below is never called: a local address, allowed as the webhooks' tests allow it.
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_REQUIRE_HTTPS = False
    furnish(world)
    admin = world.primary.user
    team = {"team_id": world.team.pk}
    page = signed_in(lang, width)
    group = group_create(team=world.team, name="CAD", actor=admin)
    group_members_add(group=group, members=[world.user, world.guest], actor=admin)
    # A subscription of the admin's other team, to move into this one.
    moving = SubscriptionFactory(team=world.other_team, product=world.product, seats=2, contract__manager=admin)
    endpoint, _secret = endpoint_create(
        team=world.team, url="http://127.0.0.1:9/seatkeeper", event_types=["seat.assigned"], actor=admin
    )
    access_token_create(
        user=admin, name="Nightly sync", teams=None, access="read", expires_on=date.today() + timedelta(days=30)
    )
    running = job_create(kind=Job.Kind.IMPORT, team=world.team, user=admin, params={}, total=600)
    job_progress(str(running.pk), done=150, total=600)
    done = job_create(kind=Job.Kind.SEAT_USAGE_EXPORT, team=world.team, user=admin, params={}, total=10)
    job_done(str(done.pk), result={"rows": 10}, filename="seat-usage.csv", content=b"a;b\n")

    screens = {
        "a contract": reverse(
            "subscriptions:contract-detail", kwargs={**team, "contract_id": world.subscription.contract.pk}
        ),
        "Move, choose": reverse("team_settings:subscription-move", kwargs=team),
        "Move, review": reverse(
            "team_settings:subscription-move-review", kwargs={**team, "subscription_id": moving.pk}
        ),
        "Webhooks": reverse("webhooks:endpoint-list", kwargs=team),
        "Add a webhook": reverse("webhooks:endpoint-add", kwargs=team),
        "A webhook": reverse("webhooks:endpoint-detail", kwargs={**team, "endpoint_id": endpoint.pk}),
        "My account": reverse("account"),
        "Language": reverse("accounts:language-set"),
        "API tokens": reverse("accounts:access-token-list"),
        "New API token": reverse("accounts:access-token-create"),
        "Two-step sign-in": reverse("mfa_index"),
        "Change password": reverse("password_change"),
        "Invite, CSV Import": reverse("accounts:invite-import", kwargs=team),
        "Seat Usage, users, a group": reverse("reports:seat-usage", kwargs=team) + f"?tab=users&group={group.pk}",
        "A job running": reverse("jobs:job", kwargs={**team, "job_id": running.pk}),
        "A job done": reverse("jobs:job", kwargs={**team, "job_id": done.pk}),
        "Activity log, filtered": reverse("activity:event-list", kwargs=team) + "?action=product_assigned",
        "Desktop sign-in": reverse("accounts:device-sign-in"),
        "Not found": "/teams/999999/users/",
    }
    found: list[str] = []
    for screen, url in screens.items():
        response = page.goto(url)
        assert response.status == (404 if screen == "Not found" else 200), f"{screen}: {url} {response.status}"
        expect(page.locator("html")).to_have_attribute("lang", lang)
        found.extend(axe_violations(page, f"{screen} [{lang}, {width} px]"))
    assert not found, f"{len(found)} axe violations:\n" + "\n".join(found)
    # The one 404 in the console is the "not found" page's own.
    assert [p for p in page.problems if "status of 404" not in p] == []
