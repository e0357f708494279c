"""The small world the database-outage test serves (test_database_outage.py): run inside the private
cluster's settings with `manage.py shell -c "from tests.faults.outage_world import seed; seed()"`.
Prints what the test needs as one line of JSON."""

import json

from django.test import override_settings

from licensing.accounts import devices
from licensing.teams.models import Member
from tests.factories import AssignmentFactory, MemberFactory, ProductFactory, SubscriptionFactory, TeamFactory

PASSWORD = "outage-test-password"
MEMBERS = 60  # one fresh member per assignment the load makes


def seed() -> None:
    team = TeamFactory(name="Design")
    admin = MemberFactory(team=team, role=Member.Role.PRIMARY_ADMIN, user__email="admin@outage.example")
    admin.user.set_password(PASSWORD)
    admin.user.save(update_fields=["password"])
    product = ProductFactory(code="draftpro", name="DraftPro")
    SubscriptionFactory(team=team, product=product, seats=MEMBERS + 5, contract__manager=admin.user, owner=admin.user)
    desktop = MemberFactory(team=team, user__email="desktop@outage.example")
    AssignmentFactory(member=desktop, product=product)
    desktop.user.set_password(PASSWORD)
    desktop.user.save(update_fields=["password"])
    _token, raw = devices.api_token_issue(user=desktop.user, device_name="Outage test")
    # These never sign in: a fast hasher, or their passwords would take most of the seeding.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        members = [MemberFactory(team=team).pk for _ in range(MEMBERS)]
    print(
        json.dumps(
            {
                "team": team.pk,
                "product": product.pk,
                "product_code": product.code,
                "admin_email": admin.user.email,
                "password": PASSWORD,
                "token": raw,
                "members": members,
            }
        )
    )
