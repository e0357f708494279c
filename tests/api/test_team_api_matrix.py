"""The team-admin API's authorization matrix (R-API3): every operation, asked on team A (Design)
with the token of every persona, and the status each gets. A token does what its owner may do in the
portal and nothing more: the team's admins may (primary, secondary), a read-only token reads, a token
whose owner is no longer admin, of another team, of another customer, revoked or expired gets
nothing. `test_every_operation_is_in_the_matrix` compares OPERATIONS with the OpenAPI document, so an
operation added later cannot be forgotten."""

import importlib
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from ninja import Schema

from licensing.accounts.models import AccessToken
from licensing.groups import services as group_services
from licensing.groups.models import Group, GroupMember, GroupProduct
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import assignment_create
from licensing.teams.models import Member
from licensing.teams.services import member_change_role
from tests.api.team_api import TeamApi, make_token

pytestmark = pytest.mark.django_db

READ, WRITE = "read", "write"
# (operation id, method, path, body, status for a persona allowed, read or write)
OPERATIONS = [
    ("team_list", "get", "/teams", None, 200, READ),
    ("team_get", "get", "/teams/{team}", None, 200, READ),
    ("member_list", "get", "/teams/{team}/members", None, 200, READ),
    ("member_get", "get", "/teams/{team}/members/{user}", None, 200, READ),
    (
        "member_invite",
        "post",
        "/teams/{team}/members",
        {"email": "matrix@example.com", "first_name": "Ma", "last_name": "Trix"},
        201,
        WRITE,
    ),
    ("member_change_role", "patch", "/teams/{team}/members/{user}", {"is_guest": True}, 200, WRITE),
    ("member_delete", "delete", "/teams/{team}/members/{user}", None, 200, WRITE),
    ("team_product_list", "get", "/teams/{team}/products", None, 200, READ),
    ("member_product_assign", "post", "/teams/{team}/members/{guest}/products", {"product": "draftpro"}, 201, WRITE),
    (
        "member_product_change",
        "put",
        "/teams/{team}/members/{user}/products/draftpro",
        {"items": ["cloud-render"]},
        200,
        WRITE,
    ),
    ("member_product_unassign", "delete", "/teams/{team}/members/{user}/products/draftpro", None, 200, WRITE),
    ("seat_usage_get", "get", "/teams/{team}/seat-usage", None, 200, READ),
    ("seat_usage_users", "get", "/teams/{team}/seat-usage/users", None, 200, READ),
    ("activity_list", "get", "/teams/{team}/activity", None, 200, READ),
    # By Group (licensing/groups/api.py): {group} gives DraftPro to the user, {bare} has nobody and nothing.
    ("group_list", "get", "/teams/{team}/groups", None, 200, READ),
    ("group_create", "post", "/teams/{team}/groups", {"name": "Matrix"}, 201, WRITE),
    ("group_get", "get", "/teams/{team}/groups/{group}", None, 200, READ),
    ("group_rename", "patch", "/teams/{team}/groups/{group}", {"name": "Renamed"}, 200, WRITE),
    ("group_delete", "delete", "/teams/{team}/groups/{group}", None, 200, WRITE),
    ("group_member_list", "get", "/teams/{team}/groups/{group}/members", None, 200, READ),
    (
        "group_members_add",
        "post",
        "/teams/{team}/groups/{group}/members",
        {"emails": ["guest@example.com"]},
        200,
        WRITE,
    ),
    (
        "group_members_remove",
        "post",
        "/teams/{team}/groups/{group}/members/remove",
        {"member_ids": [999_999_999]},
        200,
        WRITE,
    ),
    ("group_member_remove", "delete", "/teams/{team}/groups/{group}/members/{user}", None, 200, WRITE),
    ("group_product_list", "get", "/teams/{team}/groups/{group}/products", None, 200, READ),
    ("group_product_assign", "post", "/teams/{team}/groups/{bare}/products", {"product": "draftpro"}, 201, WRITE),
    (
        "group_product_change",
        "patch",
        "/teams/{team}/groups/{group}/products/draftpro",
        {"items": ["cloud-render"]},
        200,
        WRITE,
    ),
    ("group_product_unassign", "delete", "/teams/{team}/groups/{group}/products/draftpro", None, 200, WRITE),
    ("group_waiting_list", "get", "/teams/{team}/groups/{group}/waiting", None, 200, READ),
]

PERSONAS = ("primary", "secondary", "read-only", "demoted", "other-team", "outsider", "revoked", "expired", "none")


def token_of(persona: str, world) -> str | None:
    if persona == "none":
        return None
    if persona == "primary":
        return make_token(world.primary.user)
    if persona == "secondary":
        return make_token(world.secondary.user, teams=[world.team])
    if persona == "read-only":
        return make_token(world.primary.user, access="read")
    if persona == "demoted":
        # Made while a secondary admin of the team; then made a User in the portal (R-API3).
        admin = Member.objects.create(
            team=world.team, user=world.outsider.user, role=Member.Role.SECONDARY_ADMIN, status=Member.Status.ACTIVE
        )
        secret = make_token(admin.user, teams=[world.team])
        member_change_role(member=admin, role=Member.Role.USER, actor=world.primary.user)
        return secret
    if persona == "other-team":
        return make_token(world.primary.user, teams=[world.other_team])
    if persona == "outsider":
        return make_token(world.outsider.user)
    secret = make_token(world.primary.user)
    if persona == "revoked":
        AccessToken.objects.filter(revoked_at=None).update(revoked_at=timezone.now())
    else:
        AccessToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    return secret


def groups_of(world) -> dict:
    """Team A's groups of the By Group operations: "Engineers" gives DraftPro to the user; "Bare" is empty."""
    actor = world.primary.user
    group = group_services.group_create(team=world.team, name="Engineers", actor=actor)
    group_services.group_members_add(group=group, members=[world.user], actor=actor)
    group_services.group_product_assign(group=group, product=world.product, actor=actor)
    bare = group_services.group_create(team=world.team, name="Bare", actor=actor)
    return {"group": group.pk, "bare": bare.pk}


def written():
    """What a refused request must leave as it was."""
    return (
        sorted(Member.objects.values_list("pk", "role", "is_guest")),
        sorted(Group.objects.values_list("pk", "name")),
        sorted(GroupMember.objects.values_list("group", "member")),
        sorted(GroupProduct.objects.values_list("group", "product")),
        sorted(Assignment.objects.values_list("member", "product")),
    )


def expected(persona: str, operation_id: str, allowed: int, kind: str) -> int:
    if persona in ("revoked", "expired", "none"):
        return 401
    if operation_id == "team_list":
        return 200  # every valid token lists the teams it may act on (none, for some)
    if persona in ("demoted", "other-team", "outsider"):
        return 404
    if persona == "read-only" and kind == WRITE:
        return 403
    return allowed


def test_every_operation_is_in_the_matrix(client):
    document = client.get("/api/v1/openapi.json").json()
    ours = {
        operation["operationId"]
        for path in document["paths"].values()
        for operation in path.values()
        if "Team admin" in operation.get("tags", [])
    }
    assert ours == {operation[0] for operation in OPERATIONS}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("operation_id", "method", "path", "body", "allowed", "kind"), OPERATIONS, ids=[op[0] for op in OPERATIONS]
)
def test_operation(client, world, persona, operation_id, method, path, body, allowed, kind):
    assignment_create(member=world.user, product=world.product, actor=None)
    groups = groups_of(world)
    api = TeamApi(client, token_of(persona, world))
    address = path.format(team=world.team.pk, user=world.user.pk, guest=world.guest.pk, **groups)
    before = written()
    if method == "get":
        response = api.get(address)
    elif method == "delete":
        response = api.delete(address)
    else:
        response = getattr(api, method)(address, body)
    want = expected(persona, operation_id, allowed, kind)
    assert response.status_code == want, response.content
    if want >= 400:
        assert response["Content-Type"] == "application/problem+json"
        # Refused: nothing written.
        assert written() == before


def test_no_two_schemas_of_the_one_api_share_a_name():
    # The OpenAPI document names its schemas by class: a second ProductOut (the catalogue's and By
    # Product's) silently replaced the first, and the description lied about one of them.
    modules = [
        "licensing.accounts.api",
        "licensing.integrations.schemas",
        "licensing.integrations.problems",
        "licensing.integrations.orders_api",
        "licensing.integrations.catalogue_api",
        "licensing.teams.api",
        "licensing.teams.api.door",
        "licensing.subscriptions.api",
        "licensing.reports.api",
        "licensing.activity.api",
        "licensing.groups.api",
    ]
    seen: dict[str, str] = {}
    for name in modules:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Schema) and value.__module__ == name:
                assert value.__name__ not in seen, f"{value.__name__}: {name} and {seen[value.__name__]}"
                seen[value.__name__] = name


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""])
def test_every_write_with_a_body_refuses_json_sent_as_another_type(client, world, content_type):
    # Issue 19's rule for the team-admin API: no cross-site HTML form can post to it (415, a problem).
    api = TeamApi(client, make_token(world.primary.user))
    groups = groups_of(world)
    headers = {"Authorization": f"Bearer {api.token}", "Idempotency-Key": "form"}
    for operation_id, method, path, body, _allowed, _kind in OPERATIONS:
        if body is None:
            continue
        address = "/api/v1" + path.format(team=world.team.pk, user=world.user.pk, guest=world.guest.pk, **groups)
        response = getattr(client, method)(address, json.dumps(body), content_type=content_type, headers=headers)
        assert response.status_code == 415, (operation_id, response.content)
        assert response["Content-Type"] == "application/problem+json"
