"""The authorization matrix (SPEC §2 "Roles and what they may do"): every URL pattern of the portal,
read from the URL resolver, times every persona, with the status each one gets.

The patterns come from `get_resolver()`, through every include, so a URL added later cannot be
forgotten: one that `EXPECT` does not name fails its tests with a message naming it, and
`test_the_matrix_names_every_url` compares the two sets. Each (URL, persona, method) is a test.

The personas, on the addresses of team A (the customer's "Design"):

- visitor: nobody signed in: sent to sign in (302 to LOGIN_URL) on every page but the public ones
  (signing in, password reset, the invitation link, the language menu), the API and static files.
- user, guest: active members without admin rights. R-U1: they do not see User management, nor any
  other admin screen of the team (§2). `team_for_admin` answers them 403: they know the team, so a
  404 would hide nothing, and the page says whom to ask.
- secondary, primary: the team's admins (R-U1, R-SA2): the page, or its normal redirect.
- sibling (an admin of another team of the same customer) and outsider (the admin of another
  customer's team): no place in team A, so 404, as if it did not exist (§2 "Nobody sees another
  team's people or subscriptions", STYLE "an outsider gets 404, never someone else's row").
- invited-admin: invited as a secondary admin, not accepted yet (R-U2): no place yet, 404.
- deactivated-admin: a secondary admin deactivated since signing in: signed out, like the visitor.
- staff: support staff, a superuser of the Django admin, who may act on every team (§2, last column).
- sibling-own-team, outsider-own-team: the sibling and the outsider on their own team's address
  with team A's member, product, contract, subscription or device in it: 404.
- primary+<argument>: the primary admin on team A's address, with that one argument naming an object
  of the customer's other team, which they administer as well: 404 all the same, since rights hold
  per team (§2 "An admin's rights hold only in the teams where they are admin").

Every URL is fetched with GET. Those that take a form, and those that answer only POST (or DELETE),
are also sent an empty POST (DELETE) by every persona: a refused persona is answered 302 to sign in,
401, 403, 404 or 405 and the request writes nothing to the database (but the session); nobody, ever,
gets a 500.

The world is built once for the module, inside a transaction that is rolled back at its end, with a
signed-in session per persona; each test runs in a savepoint of it (pytest-django's `db`), so what a
permitted POST does is undone before the next test.
"""

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from importlib import import_module

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.http import HttpRequest
from django.templatetags.static import static
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks_db.models import DBTaskResult
from mailer.models import DontSendEntry, Message, MessageLog

from licensing.accounts.access_tokens import access_token_create
from licensing.accounts.models import ApiToken, Invitation, new_token
from licensing.activity.models import ActivityEvent
from licensing.groups.models import Group as GroupOfTeam
from licensing.groups.models import GroupMember, GroupProduct
from licensing.integrations.services import vendor_key_create
from licensing.jobs.models import Job
from licensing.subscriptions.models import Assignment
from licensing.teams.models import Member
from licensing.webhooks.models import Delivery, Endpoint, Event
from tests.factories import (
    CustomerFactory,
    MemberFactory,
    ProductFactory,
    ProductItemFactory,
    SeatUsageFactory,
    SubscriptionFactory,
    TeamFactory,
    UserFactory,
)

# Each test in a savepoint of the module's transaction (see `matrix`).
pytestmark = pytest.mark.django_db

# --- The URL patterns, from the resolver --------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One URL pattern: its key in EXPECT (`namespace:name`; an unnamed pattern by its address),
    the view name to reverse, the full address pattern and the names of its keyword arguments."""

    key: str
    view_name: str | None
    route: str
    kwargs: tuple[str, ...]


def _routes(resolver: URLResolver, prefix: str = "", namespace: str = "", outer: tuple = ()) -> list[Route]:
    routes = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        names = outer + tuple(pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}:{pattern.namespace}" if namespace and pattern.namespace else pattern.namespace
            routes += _routes(pattern, route, inner or namespace, names)
        elif isinstance(pattern, URLPattern):
            view_name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            key = view_name or f"{namespace + ':' if namespace else ''}<unnamed {route}>"
            routes.append(Route(key, view_name, route, names))
    return routes


ROUTES = _routes(get_resolver())

# --- Personas -----------------------------------------------------------------------------------

PERSONAS = ("visitor", "user", "guest", "secondary", "primary", "sibling", "outsider", "staff")
# Invited to the team as a secondary admin, with an account of their own (R-U7), not accepted yet:
# no place in the team until they accept (R-U2). Asked on the portal's pages for the signed-in.
INVITED = "invited-admin"
# A secondary admin whose account support has deactivated since they signed in: their session no
# longer signs them in (ModelBackend.get_user), so they are a visitor. Asked where INVITED is.
DEACTIVATED = "deactivated-admin"
# On their own team's address, with the team's objects in the other arguments.
OWN_TEAM_PERSONAS = ("sibling-own-team", "outsider-own-team")
# "primary+member_id": the primary admin on the team's address, with one argument naming an object
# of the customer's other team, which they administer too (R-SA2: rights are per team).
FOREIGN = "primary+"
ADMINS = {"primary", "secondary", "staff"}  # may manage the team (§2; staff: every team)
MEMBERS = {"user", "guest"}  # have a place in the team, no admin rights (R-U1)
STRANGERS = {"sibling", "outsider", INVITED, *OWN_TEAM_PERSONAS}  # have no place in the team
SIGNED_IN = set(PERSONAS + OWN_TEAM_PERSONAS) - {"visitor"} | {INVITED}
ANONYMOUS = {"visitor", DEACTIVATED}


class Access(Enum):
    """Who a URL is for, and so what everyone else gets."""

    PUBLIC = "anyone, signed in or not"
    SIGNED_IN = "anyone signed in; the visitor is sent to sign in"
    TEAM_ADMIN = "the team's admins and support staff: members 403, strangers 404, the visitor signs in"
    SUPPORT = "support staff in the Django admin: everyone else is sent to the admin's sign-in"
    API = "the desktop software: a bearer token, not the session (R-S2)"


@dataclass(frozen=True)
class Redirect:
    """A 302 whose Location starts with the address of `to` (reversed)."""

    to: str

    def __str__(self) -> str:
        return f"302 to {self.to}"


LOGIN = Redirect("login")  # settings.LOGIN_URL, with ?next=
ADMIN_LOGIN = Redirect("admin:login")
REAUTH = Redirect("account_reauthenticate")  # allauth: the password again, then back
HOME = Redirect("home")

Outcome = int | Redirect
REFUSALS = {401, 403, 404, 405}


@dataclass(frozen=True)
class Expect:
    """What a URL answers. `get` (and `post`, an empty POST, when given; `delete` likewise) is the
    status of a persona the URL is for; the others get what `access` gives them. `as_` overrides
    single personas, per method: {"get": {"visitor": 200}}. `kwargs` names, per URL argument, the
    world value to put in it where it is not the one of the same name."""

    access: Access
    get: Outcome = 200
    post: Outcome | None = None
    delete: Outcome | None = None
    as_: dict[str, dict[str, Outcome]] = field(default_factory=dict)
    kwargs: dict[str, str] = field(default_factory=dict)
    rule: str = ""


def outcome(expect: Expect, persona: str, method: str) -> Outcome:
    """The status `persona` gets for `method` on a URL of `expect`."""
    overrides = expect.as_.get(method, {})
    if persona == DEACTIVATED and "visitor" in overrides:
        return overrides["visitor"]
    if persona in overrides:
        return overrides[persona]
    allowed = getattr(expect, method)
    if persona.startswith(FOREIGN):  # another team's object on this team's address
        return 405 if allowed == 405 else 404
    access = expect.access
    if access is Access.PUBLIC or access is Access.API:
        return allowed
    if access is Access.SUPPORT:
        return allowed if persona == "staff" else ADMIN_LOGIN
    if persona in ANONYMOUS:
        return LOGIN  # login_required comes first
    if access is Access.SIGNED_IN or persona in ADMINS:
        return allowed
    if allowed == 405:
        return 405  # the method is refused before the team is loaded: nobody learns anything
    if persona in MEMBERS:
        return 403
    assert persona in STRANGERS, persona
    return 404


def token_api(**methods) -> Expect:
    """An operation of the team-admin API asked with the session alone: 401 for every persona, the
    primary+<argument> cases too (the token is looked at before any argument)."""
    rule = methods.pop("rule", "")
    kwargs = methods.pop("kwargs", {})
    foreign = (FOREIGN + "member_id", FOREIGN + "product_code", FOREIGN + "group_id")
    overrides = {method: dict.fromkeys(foreign, 401) for method, status in methods.items() if status == 401}
    return Expect(API, **methods, as_=overrides, kwargs=kwargs, rule=rule)


# --- The expected statuses, one entry per URL pattern -------------------------------------------

TEAM, PUBLIC, SIGNED, SUPPORT, API = Access.TEAM_ADMIN, Access.PUBLIC, Access.SIGNED_IN, Access.SUPPORT, Access.API
# `post=200`: the empty form comes back with its errors; 302: the empty form is a complete action.

# `group_id` of the Django admin is an auth group; By Group's is team A's group of people.
GROUP = {"group_id": "team_group_id"}
# The team's primary admin (and support staff) only: the secondary admin is refused (403), on their
# own team's address too (the sibling), before any endpoint is looked up.
PRIMARY_ONLY_GET = {"get": {"secondary": 403, "sibling-own-team": 403}}
PRIMARY_ONLY_POST = {"post": {"secondary": 403, "sibling-own-team": 403}}
PRIMARY_ONLY = {**PRIMARY_ONLY_GET, **PRIMARY_ONLY_POST}

EXPECT: dict[str, Expect] = {
    # The shell (portal/views.py).
    "home": Expect(SIGNED, rule="§2 see own assigned products"),
    "my-products": Expect(SIGNED, rule="§2 see own assigned products and downloads, R-P3"),
    "account": Expect(SIGNED, rule="§2 the account menu as a page (issue 22: menus without JavaScript)"),
    "team-home": Expect(TEAM, rule="R-U1"),
    # By User (licensing/teams/urls.py).
    "teams:member-list": Expect(TEAM, rule="R-U1, R-SA2, R-G4"),
    "teams:member-export": Expect(TEAM, post=405, as_={"post": {"visitor": 405}}, rule="R-U1 as CSV (issue 22)"),
    "teams:member-bulk": Expect(TEAM, get=405, post=200, rule="R-D1, R-P1, R-SA1, R-U5"),
    "teams:member-detail": Expect(TEAM, rule="R-U1, R-D3"),
    "teams:member-role": Expect(TEAM, post=200, rule="R-SA1, R-PA2, R-G2"),
    # Empty POST deletes the plain user: admins may (R-D1).
    "teams:member-delete": Expect(TEAM, post=302, rule="R-D1..R-D3"),
    # "Undo" after a delete (issue 22): an empty POST has no token, refused in words, nothing restored.
    "teams:members-restore": Expect(TEAM, get=405, post=302, rule="R-D1 undone (issue 22)"),
    # By User › a user › Products (licensing/subscriptions/views.py).
    "subscriptions:member-product-assign": Expect(TEAM, get=405, post=302, rule="R-P1, R-P2"),
    # Empty POST: no item ticked, which unassigns (R-P4).
    "subscriptions:member-product-change": Expect(TEAM, post=302, rule="R-P2, R-P4"),
    "subscriptions:member-product-unassign": Expect(TEAM, get=405, post=302, rule="R-P1, R-P4"),
    # "Undo" after an unassign (issue 22): an empty POST has no token, refused in words, nothing restored.
    "subscriptions:assignments-restore": Expect(TEAM, get=405, post=302, rule="R-P4, R-SE1 undone (issue 22)"),
    # Billing & Orders › Contracts.
    "subscriptions:contract-list": Expect(TEAM, rule="R-T12"),
    "subscriptions:contract-detail": Expect(TEAM, rule="R-T12"),
    # By Product.
    "subscriptions:product-list": Expect(TEAM, rule="R-BP1"),
    "subscriptions:product-export": Expect(TEAM, post=405, as_={"post": {"visitor": 405}}, rule="R-BP1 as CSV"),
    "subscriptions:product-detail": Expect(TEAM, rule="R-BP1, R-BP2"),
    "subscriptions:product-assign-users": Expect(TEAM, post=200, rule="R-BP1"),
    "subscriptions:product-assign-suggestions": Expect(TEAM, rule="R-BP1"),
    "subscriptions:product-assignment-unassign": Expect(TEAM, get=405, post=302, rule="R-BP2"),
    "subscriptions:product-assignment-change": Expect(TEAM, post=302, rule="R-BP2, R-P4"),
    # By Group (licensing/groups/urls.py): the group's id is team A's group, "Engineers" (R-GR1).
    "groups:group-list": Expect(TEAM, rule="R-GR1"),
    "groups:group-create": Expect(TEAM, post=200, rule="R-GR1"),
    "groups:group-detail": Expect(TEAM, kwargs=GROUP, rule="R-GR1, R-GR5"),
    "groups:group-rename": Expect(TEAM, post=200, kwargs=GROUP, rule="R-GR1"),
    "groups:group-delete": Expect(TEAM, post=302, kwargs=GROUP, rule="R-GR1, R-GR4"),
    "groups:group-members-add": Expect(TEAM, post=200, kwargs=GROUP, rule="R-GR1, R-GR5"),
    "groups:group-members-candidates": Expect(TEAM, kwargs=GROUP, rule="R-GR1"),
    "groups:group-members-remove": Expect(TEAM, post=200, kwargs=GROUP, rule="R-GR4"),
    "groups:group-members-import": Expect(TEAM, post=200, kwargs=GROUP, rule="R-GR1, R-GR5"),
    "groups:group-members-import-confirm": Expect(TEAM, get=405, post=200, kwargs=GROUP, rule="R-GR1"),
    "groups:group-product-assign": Expect(TEAM, post=200, kwargs=GROUP, rule="R-GR2, R-GR5"),
    # An empty list of items takes the product from the group (R-GR4), as on a user's page (R-P4).
    "groups:group-product-change": Expect(TEAM, post=302, kwargs=GROUP, rule="R-GR3, R-GR4"),
    "groups:group-product-unassign": Expect(TEAM, post=302, kwargs=GROUP, rule="R-GR4"),
    # Team settings (licensing/teams/settings_urls.py).
    "team_settings:team-settings": Expect(TEAM, rule="R-T3, R-T4"),
    "team_settings:team-rename": Expect(TEAM, post=200, rule="R-T4"),
    "team_settings:team-create": Expect(TEAM, post=200, rule="R-T3"),
    "team_settings:subscription-move": Expect(TEAM, rule="R-T8"),
    # The primary admin administers the other team too and owns its subscription: they may review
    # moving it here (R-T8); "Submit" is refused, it would over-allocate the other team (R-T10).
    "team_settings:subscription-move-review": Expect(
        TEAM,
        post=200,
        as_={method: {FOREIGN + "subscription_id": 200} for method in ("get", "post")},
        rule="R-T8, R-T10, R-T11",
    ),
    "team_settings:subscription-move-done": Expect(TEAM, rule="R-T8, R-T9"),
    # Reporting › Activity log: GET only, and require_GET comes before login_required.
    "activity:event-list": Expect(TEAM, post=405, as_={"post": {"visitor": 405}}, rule="§2 reports, R-R3"),
    "activity:event-export": Expect(TEAM, post=405, as_={"post": {"visitor": 405}}, rule="§2 reports, R-R3"),
    # Reporting › Seat Usage.
    "reports:seat-usage": Expect(TEAM, rule="R-R1, R-R3"),
    "reports:seat-usage-export-products": Expect(TEAM, rule="R-R2, R-R3"),
    # POST: a large export as a job (licensing.jobs), whose page the admin is sent to.
    "reports:seat-usage-export-users": Expect(TEAM, post=302, rule="R-R2, R-R3"),
    # The page and the file of a job: only the admin who started it (the primary admin here) and
    # support staff; another admin of the team gets 404, as a stranger does.
    "jobs:job": Expect(TEAM, as_={"get": {"secondary": 404}}, kwargs={"job_id": "job_id"}, rule="R-R2, R-U6"),
    "jobs:download": Expect(TEAM, as_={"get": {"secondary": 404}}, kwargs={"job_id": "job_id"}, rule="R-R2"),
    "reports:seat-usage-unassign": Expect(TEAM, get=405, post=302, rule="R-R3, R-P4"),
    # Invite users (licensing/accounts/urls.py).
    "accounts:member-invite": Expect(TEAM, post=200, rule="R-U2, R-U3"),
    "accounts:invite-multiple": Expect(TEAM, post=200, rule="R-U6"),
    "accounts:invite-import": Expect(TEAM, post=200, rule="R-U6"),
    "accounts:invite-import-confirm": Expect(TEAM, get=405, post=200, rule="R-U6"),
    "accounts:invite-import-example": Expect(TEAM, rule="R-U6"),
    "accounts:invitation-resend": Expect(TEAM, get=405, post=302, kwargs={"member_id": "invited_id"}, rule="R-U5"),
    "accounts:device-sign-out": Expect(TEAM, get=405, post=302, rule="R-S2"),
    # Account menu › API tokens (issue 21 §3): one's own tokens, so anyone signed in. Creating one asks
    # to sign in again first (a session of the matrix has not just signed in); someone else's token is
    # not found: the primary admin's is the world's.
    "accounts:access-token-list": Expect(SIGNED, rule="R-API3"),
    "accounts:access-token-create": Expect(SIGNED, get=REAUTH, post=REAUTH, rule="R-API3"),
    "accounts:access-token-revoke": Expect(
        SIGNED, get=404, post=404, as_={"get": {"primary": 200}, "post": {"primary": 302}}, rule="R-API3"
    ),
    # Signing the desktop software in through the browser: one's own, so anyone signed in (R-ID5).
    "accounts:device-sign-in": Expect(SIGNED, post=200, rule="R-ID5"),
    # The invitation link is public: the token is the key (R-U4).
    "accounts:invitation-accept": Expect(PUBLIC, post=200, rule="R-U4"),
    # The language menu: anyone, POST only (SPEC §4).
    "accounts:language-set": Expect(PUBLIC, post=302, rule="§4 the recipient's language; GET: the menu as a page"),
    "set_language": Expect(PUBLIC, post=302, get=302, rule="§4"),
    # Signing in and out, passwords (django.contrib.auth's views).
    "login": Expect(PUBLIC, post=200, as_={m: dict.fromkeys(SIGNED_IN, HOME) for m in ("get", "post")}),
    "logout": Expect(PUBLIC, get=405, post=LOGIN),
    "password_change": Expect(SIGNED, post=200),
    "password_change_done": Expect(SIGNED),
    "password_reset": Expect(PUBLIC, post=200),
    "password_reset_done": Expect(PUBLIC),
    # A valid link goes on to its set-password address (the token leaves the URL).
    "password_reset_confirm": Expect(PUBLIC, get=302, kwargs={"token": "reset_token"}),
    "password_reset_complete": Expect(PUBLIC),
    # The desktop software's API (licensing/accounts/api.py): JSON, a bearer token, never the session.
    "api-v1:openapi-json": Expect(API),
    "api-v1:token_create": Expect(API, get=405, post=422, rule="R-S2"),  # no e-mail address, no password
    "api-v1:token_delete": Expect(API, get=405, delete=401, rule="R-S2"),
    "api-v1:device_authorization_create": Expect(API, get=405, post=422, rule="R-ID5"),  # no device name
    "api-v1:entitlement_get": Expect(API, get=401, rule="R-S1"),
    # The team-admin API (licensing/teams/api.py and its siblings, issue 21 §3): a personal access token,
    # never the session, so every persona here is 401; tests/api/test_team_api_matrix.py asks each
    # operation with the tokens of every persona (R-API3).
    "api-v1:team_list": token_api(get=401, rule="R-API3"),
    "api-v1:team_get": token_api(get=401, rule="R-API3"),
    "api-v1:member_list": token_api(get=401, rule="R-API3, R-U1"),
    "api-v1:member_invite": token_api(get=401, post=401, rule="R-API3, R-U2"),
    "api-v1:member_get": token_api(get=401, rule="R-API3"),
    "api-v1:member_change_role": token_api(get=401, delete=401, rule="R-API3, R-PA2, R-SA1"),
    "api-v1:member_delete": token_api(get=401, delete=401, rule="R-API3, R-D1"),
    "api-v1:team_product_list": token_api(get=401, rule="R-API3, R-BP1"),
    "api-v1:member_product_assign": token_api(get=405, post=401, rule="R-API3, R-P1"),
    "api-v1:member_product_change": token_api(get=405, delete=401, rule="R-API3, R-P4"),
    "api-v1:member_product_unassign": token_api(get=405, delete=401, rule="R-API3, R-P4"),
    "api-v1:seat_usage_get": token_api(get=401, rule="R-API3, R-R3"),
    "api-v1:seat_usage_users": token_api(get=401, rule="R-API3, R-R3"),
    "api-v1:activity_list": token_api(get=401, rule="R-API3, R-R3"),
    # By Group (licensing/groups/api.py): the group's id is team A's group, "Engineers".
    "api-v1:group_list": token_api(get=401, post=401, rule="R-API3, R-GR1"),
    "api-v1:group_create": token_api(get=401, post=401, rule="R-API3, R-GR1"),
    "api-v1:group_get": token_api(get=401, delete=401, kwargs=GROUP, rule="R-API3, R-GR1"),
    "api-v1:group_rename": token_api(get=401, delete=401, kwargs=GROUP, rule="R-API3, R-GR1"),
    "api-v1:group_delete": token_api(get=401, delete=401, kwargs=GROUP, rule="R-API3, R-GR1, R-GR4"),
    "api-v1:group_member_list": token_api(get=401, post=401, kwargs=GROUP, rule="R-API3, R-GR1"),
    "api-v1:group_members_add": token_api(get=401, post=401, kwargs=GROUP, rule="R-API3, R-GR1, R-GR5"),
    "api-v1:group_members_remove": token_api(get=405, post=401, kwargs=GROUP, rule="R-API3, R-GR4"),
    "api-v1:group_member_remove": token_api(get=405, delete=401, kwargs=GROUP, rule="R-API3, R-GR4"),
    "api-v1:group_product_list": token_api(get=401, post=401, kwargs=GROUP, rule="R-API3, R-GR2"),
    "api-v1:group_product_assign": token_api(get=401, post=401, kwargs=GROUP, rule="R-API3, R-GR2, R-GR5"),
    "api-v1:group_product_change": token_api(get=405, delete=401, kwargs=GROUP, rule="R-API3, R-GR3"),
    "api-v1:group_product_unassign": token_api(get=405, delete=401, kwargs=GROUP, rule="R-API3, R-GR4"),
    "api-v1:group_waiting_list": token_api(get=401, kwargs=GROUP, rule="R-API3, R-GR5"),
    # The order API (licensing/integrations): a vendor API key, never the session, so every persona
    # of the portal gets 401 where the method is the operation's, 405 (before any key is looked at)
    # where it is not. tests/integrations/test_vendor_keys.py tests the keys and each operation's scope.
    **{
        f"api-v1:{name}": Expect(API, get=get, post=post, rule="R-API1")
        for name, get, post in (
            ("customer_list", 401, 401),  # GET and POST /customers: one address
            ("customer_create_view", 401, 401),
            ("customer_get", 401, 405),
            ("contract_list", 401, 401),
            ("contract_create_view", 401, 401),
            ("contract_get", 401, 405),
            ("contract_manager_change", 405, 401),
            ("subscription_list", 401, 401),
            ("subscription_purchase", 401, 401),
            ("subscription_get", 401, 405),
            ("subscription_seats_set", 405, 405),  # PUT
            ("subscription_seats_add", 405, 401),
            ("subscription_seats_remove", 405, 401),
            ("subscription_renew_view", 405, 401),
            ("subscription_cancel_view", 405, 401),
            ("subscription_terminate_view", 405, 401),
            ("product_list", 401, 405),
            ("product_get", 401, 405),
        )
    },
    "api-v1:not_found": Expect(API, get=404),
    "api-v1:root_not_found": Expect(API, get=404),
    "api-v1:api-root": Expect(API, get=404),  # the same address as root_not_found, which answers it
    # The same views under allauth's names, which its pages reverse.
    "account_login": Expect(PUBLIC, post=200, as_={m: dict.fromkeys(SIGNED_IN, HOME) for m in ("get", "post")}),
    "account_logout": Expect(PUBLIC, get=405, post=LOGIN),
    "account_change_password": Expect(SIGNED, post=200),
    "account_reset_password": Expect(PUBLIC, post=200),
    # allauth's other pages (licensing/accounts/adapter.py): accounts come by invitation, so sign-up
    # only says it is closed, and the signed-in go home from it.
    "account_signup": Expect(PUBLIC, post=200, as_={m: dict.fromkeys(SIGNED_IN, HOME) for m in ("get", "post")}),
    "account_inactive": Expect(PUBLIC, post=405),
    "account_reauthenticate": Expect(SIGNED, post=200, rule="issue 19: the password again before a factor changes"),
    # The second factor (allauth.mfa, issue 19): one's own, so anyone signed in; changing one asks for
    # the password again first (a session of the matrix has not just signed in). What one does not
    # have (an authenticator app, recovery codes) is not found.
    "mfa_index": Expect(SIGNED, post=405),
    "mfa_authenticate": Expect(
        PUBLIC, get=LOGIN, post=LOGIN, as_={m: dict.fromkeys(SIGNED_IN, HOME) for m in ("get", "post")}
    ),
    "mfa_reauthenticate": Expect(SIGNED, get=REAUTH, post=REAUTH),
    "mfa_activate_totp": Expect(SIGNED, get=REAUTH, post=REAUTH),
    "mfa_deactivate_totp": Expect(SIGNED, get=404, post=404),
    "mfa_view_recovery_codes": Expect(SIGNED, get=404, post=405),
    "mfa_generate_recovery_codes": Expect(SIGNED, get=REAUTH, post=REAUTH),
    "mfa_download_recovery_codes": Expect(SIGNED, get=404, post=404),
    "mfa_list_webauthn": Expect(SIGNED, post=405),
    "mfa_add_webauthn": Expect(SIGNED, get=REAUTH, post=REAUTH),
    "mfa_reauthenticate_webauthn": Expect(SIGNED, get=REAUTH, post=REAUTH),
    # Someone else's passkey: signing in again comes before the key is looked up (and then it is not
    # theirs: the list is of their own keys).
    "mfa_remove_webauthn": Expect(SIGNED, get=REAUTH, post=REAUTH, kwargs={"pk": "authenticator_id"}),
    "mfa_edit_webauthn": Expect(SIGNED, get=REAUTH, post=REAUTH, kwargs={"pk": "authenticator_id"}),
    # Team settings › Sign-in security: the primary admin (and support) require a second factor of the
    # team's admins; a secondary admin sees it and is refused the change.
    "team_settings:team-second-factor": Expect(
        TEAM, get=405, post=302, as_={"post": {"secondary": 403}}, rule="issue 19: MFA required per team"
    ),
    # Team settings › Webhooks (licensing/webhooks, R-API4): the primary admin's and support's; a
    # secondary admin, who sees Team settings, is refused (as with the sign-in security).
    "webhooks:endpoint-list": Expect(TEAM, as_=PRIMARY_ONLY_GET, rule="R-API4, R-PA5"),
    "webhooks:endpoint-add": Expect(TEAM, post=200, as_=PRIMARY_ONLY, rule="R-API4"),
    "webhooks:endpoint-detail": Expect(TEAM, as_=PRIMARY_ONLY_GET, rule="R-API4"),
    "webhooks:endpoint-edit": Expect(TEAM, post=200, as_=PRIMARY_ONLY, rule="R-API4"),
    "webhooks:endpoint-rotate": Expect(TEAM, get=405, post=302, as_=PRIMARY_ONLY_POST, rule="R-API4"),
    # An empty POST switches it off.
    "webhooks:endpoint-toggle": Expect(TEAM, get=405, post=302, as_=PRIMARY_ONLY_POST, rule="R-API4"),
    "webhooks:endpoint-delete": Expect(TEAM, post=302, as_=PRIMARY_ONLY, rule="R-API4"),
    "webhooks:delivery-resend": Expect(TEAM, get=405, post=302, as_=PRIMARY_ONLY_POST, rule="R-API4"),
    # The Django admin's own pages (support staff, §2 last column).
    "admin:index": Expect(SUPPORT),
    # The admin's sign-in is the portal's (the same throttle and second factor, issue 19): the visitor
    # is sent there, someone signed in who is not staff is refused, staff go to the index.
    "admin:login": Expect(
        PUBLIC,
        get=LOGIN,
        post=LOGIN,
        as_={
            m: {**dict.fromkeys(SIGNED_IN - {"staff"}, 403), "staff": Redirect("admin:index")} for m in ("get", "post")
        },
    ),
    # Signing out of the admin: POST only; whoever is not staff is sent to the index (and from there
    # to its sign-in), staff to the portal's sign-in (LOGOUT_REDIRECT_URL).
    "admin:logout": Expect(
        SUPPORT,
        get=405,
        post=LOGIN,
        as_={method: {p: Redirect("admin:index") for p in set(PERSONAS) - {"staff"}} for method in ("get", "post")},
    ),
    "admin:password_change": Expect(SUPPORT, post=200),
    "admin:password_change_done": Expect(SUPPORT),
    "admin:autocomplete": Expect(SUPPORT, get=403),  # without its parameters
    "admin:jsi18n": Expect(SUPPORT),
    # "View on site" of a team: a team has no page of its own outside the admin (no get_absolute_url).
    "admin:view_on_site": Expect(SUPPORT, get=404, kwargs={"object_id": "team_id"}),
    "admin:app_list": Expect(SUPPORT),
    "admin:<unnamed admin/(?P<url>.*)$>": Expect(SUPPORT, get=404),  # the admin's catch-all, behind admin_view
}

# The admin's pages of each model, by their names: a model registered later has no entry here and
# fails like any URL the matrix does not know. Per model, the world object its pages open and the
# pages that answer staff otherwise than 200: what has no service behind it cannot be added or
# deleted in the admin (403): a team is deleted by no one, a contract or subscription ends, an
# invitation or a device is revoked, and seat usage and the activity log are records.
READ_ONLY = {"add": 403, "delete": 403}
ADMIN_MODELS: dict[str, tuple[str, dict[str, Outcome]]] = {
    "auth_group": ("group_id", {}),
    "mailer_dontsendentry": ("dontsendentry_id", {}),
    # A mail is kept as a pickle that django-mailer loads to send it: no one writes one here.
    "mailer_messagelog": ("messagelog_id", {"add": 403}),
    "mailer_message": ("message_id", {"add": 403}),
    "teams_customer": ("customer_id", {}),
    "teams_team": ("team_id", {"delete": 403}),
    "teams_member": ("member_id", {}),
    "accounts_user": ("user_id", {}),
    "accounts_invitation": ("invitation_id", READ_ONLY),
    "accounts_apitoken": ("token_id", READ_ONLY),
    # A personal access token is made by its owner (the secret is theirs) and revoked, never deleted.
    "accounts_accesstoken": ("access_token_id", READ_ONLY),
    "subscriptions_product": ("product_id", {}),
    "subscriptions_productitem": ("item_id", {}),
    "subscriptions_contract": ("contract_id", READ_ONLY),
    "subscriptions_subscription": ("subscription_id", {"delete": 403}),
    "subscriptions_assignment": ("assignment_id", {}),
    "subscriptions_seatusage": ("seatusage_id", READ_ONLY),
    "activity_activityevent": ("event_id", READ_ONLY),
    # A vendor API key is made (its secret shown once) and revoked, never edited or deleted.
    "integrations_vendorapikey": ("vendorapikey_id", {"delete": 403}),
    # A team's groups (R-GR1): created, renamed and deleted through licensing.groups.services.
    "groups_group": ("team_group_id", {}),
    # Second factors are set up by their owners; support sees them and removes a lost one.
    "mfa_authenticator": ("authenticator_id", {"add": 403}),
    # Webhooks (R-API4): endpoints are added and deleted through the services; events and deliveries
    # are records (a delivery is sent again by an action of the list).
    "webhooks_endpoint": ("endpoint_id", {}),
    "webhooks_event": ("webhook_event_id", READ_ONLY),
    "webhooks_delivery": ("delivery_id", READ_ONLY),
    # The jobs admins started: seen and deleted, never made or changed here (licensing.jobs).
    "jobs_job": ("job_id", {"add": 403}),
}
for _model, (_object, _differs) in ADMIN_MODELS.items():
    _pages = {
        "changelist": Expect(SUPPORT),
        "add": Expect(SUPPORT, get=_differs.get("add", 200)),
        "history": Expect(SUPPORT, get=_differs.get("history", 200), kwargs={"object_id": _object}),
        "delete": Expect(SUPPORT, get=_differs.get("delete", 200), kwargs={"object_id": _object}),
        "change": Expect(SUPPORT, get=_differs.get("change", 200), kwargs={"object_id": _object}),
    }
    for _page, _expect in _pages.items():
        EXPECT[f"admin:{_model}_{_page}"] = _expect  # staff only; everyone else: the admin's sign-in
    _app, _, _name = _model.partition("_")
    # The bare object address redirects to its change page (Django's RedirectView), under the list.
    EXPECT[f"admin:<unnamed admin/{_app}/{_name}/<path:object_id>/>"] = Expect(
        SUPPORT, get=Redirect(f"admin:{_model}_changelist"), kwargs={"object_id": _object}
    )
# The runner's tasks (django-tasks-db's admin): read only, each attempt with its traceback.
EXPECT.update(
    {
        "admin:django_tasks_database_dbtaskresult_changelist": Expect(SUPPORT),
        "admin:django_tasks_database_dbtaskresult_add": Expect(SUPPORT, get=403),
        "admin:django_tasks_database_dbtaskresult_change": Expect(SUPPORT, kwargs={"object_id": "task_id"}),
        "admin:django_tasks_database_dbtaskresult_history": Expect(SUPPORT, kwargs={"object_id": "task_id"}),
        "admin:django_tasks_database_dbtaskresult_delete": Expect(SUPPORT, get=403, kwargs={"object_id": "task_id"}),
        "admin:<unnamed admin/django_tasks_database/dbtaskresult/<path:object_id>/>": Expect(
            SUPPORT,
            get=Redirect("admin:django_tasks_database_dbtaskresult_changelist"),
            kwargs={"object_id": "task_id"},
        ),
    }
)
# The service pages of the admin (licensing/*/admin.py), each behind admin_view.
EXPECT.update(
    {
        "admin:teams_member_role": Expect(SUPPORT, post=200, kwargs={"object_id": "member_id"}, rule="R-SA1, R-PA2"),
        "admin:teams_member_resend": Expect(SUPPORT, post=302, kwargs={"object_id": "invited_id"}, rule="R-U5"),
        "admin:subscriptions_subscription_move": Expect(SUPPORT, get=302, post=302, rule="R-T11"),
        "admin:subscriptions_subscription_add-seats": Expect(SUPPORT, get=302, post=302, rule="R-SE2"),
        "admin:subscriptions_subscription_set-seats": Expect(SUPPORT, get=302, post=302),
        "admin:subscriptions_subscription_renew": Expect(SUPPORT, get=302, post=302),
        "admin:auth_user_password_change": Expect(SUPPORT, post=200, kwargs={"id": "user_id"}),
        # A group's members and products (R-GR1, R-GR2, R-GR5): an empty POST is a form error.
        **{
            f"admin:groups_group_{page}": Expect(SUPPORT, post=200, kwargs={"object_id": "team_group_id"}, rule="R-GR1")
            for page in ("members_add", "members_remove", "product_assign", "product_change", "product_unassign")
        },
    }
)


# --- The world ----------------------------------------------------------------------------------


@dataclass
class Matrix:
    """What the tests need of the world: each persona's account and signed-in session key, the
    values of the URL arguments (team A's objects), the own team of the *-own-team personas and the
    other team's objects of the primary+<argument> cases."""

    users: dict[str, object]
    sessions: dict[str, str]
    values: dict[str, object]
    own_team: dict[str, int]
    foreign: dict[str, object]


def _build() -> Matrix:
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
    sibling = MemberFactory(team=other_team, role=Member.Role.SECONDARY_ADMIN, user__email="sibling@example.com")
    outsider = MemberFactory(team=outsider_team, role=Member.Role.PRIMARY_ADMIN, user__email="outsider@example.com")
    invited_admin = MemberFactory(
        team=team,
        role=Member.Role.SECONDARY_ADMIN,
        status=Member.Status.INVITED,
        accepted_at=None,
        user__email="invited-admin@example.com",
    )
    deactivated = MemberFactory(
        team=team, role=Member.Role.SECONDARY_ADMIN, user__email="former@example.com", user__is_active=False
    )
    staff = UserFactory(email="support@vendor.example", is_staff=True, is_superuser=True)
    product = ProductFactory(code="draftpro", name="DraftPro")
    items = [
        ProductItemFactory(product=product, code="draftpro-desktop", name="DraftPro desktop"),
        ProductItemFactory(product=product, code="cloud-render", name="Cloud rendering", kind="service"),
    ]
    subscription = SubscriptionFactory(
        team=team, product=product, seats=3, contract__manager=primary.user, owner=primary.user
    )
    # The plain user holds a seat with both items, signed in on a device, and used it today.
    assignment = Assignment.objects.create(member=user, product=product)
    assignment.items.set(items)
    now = timezone.now()
    device = ApiToken.objects.create(
        user=user.user, device_name="Laptop", token_hash=new_token()[1], expires_at=now + timedelta(days=30)
    )
    usage = SeatUsageFactory(user=user.user, product=product, team=team)
    # The other team's own product, subscription (owned by the primary admin, who administers both
    # teams), seat and device, for the "primary+<argument>" cases.
    other_product = ProductFactory(code="viewer", name="Viewer")
    ProductItemFactory(product=other_product, code="viewer-desktop", name="Viewer desktop")
    other_subscription = SubscriptionFactory(
        team=other_team, product=other_product, seats=2, contract__manager=primary.user, owner=primary.user
    )
    Assignment.objects.create(member=sibling, product=other_product)
    other_device = ApiToken.objects.create(
        user=sibling.user, device_name="Desktop", token_hash=new_token()[1], expires_at=now + timedelta(days=30)
    )
    # A webhook endpoint of each team with a delivery (R-API4).
    endpoint, other_endpoint = (
        Endpoint.objects.create(team=t, url=f"https://hooks.example.com/{t.pk}", event_types=["member.invited"])
        for t in (team, other_team)
    )
    webhook_event = Event.objects.create(type="member.invited", team=team, payload={})
    delivery = Delivery.objects.create(endpoint=endpoint, event=webhook_event, status=Delivery.Status.DELIVERED)
    other_delivery = Delivery.objects.create(
        endpoint=other_endpoint,
        event=Event.objects.create(type="member.invited", team=other_team, payload={}),
        status=Delivery.Status.DELIVERED,
    )
    other_job = Job.objects.create(kind=Job.Kind.SEAT_USAGE_EXPORT, team=other_team, started_by=primary.user)
    # Team A's group (R-GR1): the plain user and the guest in it, DraftPro given to it; the other
    # team's group, for the "primary+group_id" cases.
    team_group = GroupOfTeam.objects.create(team=team, name="Engineers")
    for member in (user, guest):
        GroupMember.objects.create(group=team_group, member=member)
    GroupProduct.objects.create(group=team_group, product=product).items.set(items)
    other_group = GroupOfTeam.objects.create(team=other_team, name="Viewers")
    access_token, _secret = access_token_create(
        user=primary.user, name="Script", teams=None, access="read_write", expires_on=now.date() + timedelta(days=9)
    )
    foreign = {
        "endpoint_id": other_endpoint.pk,
        "delivery_id": other_delivery.pk,
        "job_id": other_job.pk,
        "group_id": other_group.pk,
        "member_id": sibling.pk,
        "product_id": other_product.pk,
        "contract_id": other_subscription.contract_id,
        "subscription_id": other_subscription.pk,
        "token_id": other_device.pk,
        "product_code": other_product.code,
    }
    raw_invitation, digest = new_token()
    invitation = Invitation.objects.create(
        member=invited, token_hash=digest, sent_by=primary.user, expires_at=now + timedelta(days=90)
    )
    event = ActivityEvent.objects.create(action=ActivityEvent.Action.DEVICE_SIGNED_OUT, actor=primary.user, team=team)
    message = Message.objects.create(message_data="")
    message_log = MessageLog.objects.create(when_added=now, priority="2", result="1", log_message="sent")
    dont_send = DontSendEntry.objects.create(to_address="nobody@example.com", when_added=now)
    group = Group.objects.create(name="Support")
    # A finished export of the primary admin's, with its file, and the task that made it.
    task = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}}, task_path="portal.mail.mail_send_waiting", backend_name="default"
    )
    job = Job.objects.create(
        kind=Job.Kind.SEAT_USAGE_EXPORT,
        team=team,
        started_by=primary.user,
        status=Job.Status.DONE,
        filename="seat-usage.csv",
        content=b"team\r\n",
        task_id=str(task.pk),
        finished_at=now,
    )
    vendor_key, _raw = vendor_key_create(name="Web shop", scopes=["orders:read"], expires_days=30)
    # Someone's authenticator app (the invited member, who is none of the personas).
    authenticator = Authenticator.objects.create(user=invited.user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    # The reset link of someone who never signs in during the tests (a sign-in changes the token).
    reset_user = invited.user
    values = {
        "team_id": team.pk,
        "member_id": user.pk,
        "invited_id": invited.pk,
        "user_id": user.user.pk,
        "product_id": product.pk,
        "product_code": product.code,
        "item_id": items[0].pk,
        "contract_id": subscription.contract_id,
        "subscription_id": subscription.pk,
        "assignment_id": assignment.pk,
        "seatusage_id": usage.pk,
        "token_id": device.pk,
        "access_token_id": access_token.pk,
        "token": raw_invitation,
        "invitation_id": invitation.pk,
        "uidb64": urlsafe_base64_encode(force_bytes(reset_user.pk)),
        "reset_token": default_token_generator.make_token(reset_user),
        "customer_id": customer.pk,
        "event_id": event.pk,
        "message_id": message.pk,
        "messagelog_id": message_log.pk,
        "dontsendentry_id": dont_send.pk,
        "group_id": group.pk,
        "team_group_id": team_group.pk,
        "vendorapikey_id": vendor_key.pk,
        "code": product.code,
        "authenticator_id": authenticator.pk,
        "endpoint_id": endpoint.pk,
        "delivery_id": delivery.pk,
        "webhook_event_id": webhook_event.pk,
        "job_id": job.pk,
        "task_id": task.pk,
        "content_type_id": ContentType.objects.get_for_model(team.__class__).pk,
        "app_label": "teams",
        "url": "no-such-page/",
        "rest": "no-such-endpoint",
    }
    users = {
        "user": user.user,
        "guest": guest.user,
        "secondary": secondary.user,
        "primary": primary.user,
        "sibling": sibling.user,
        "outsider": outsider.user,
        "staff": staff,
        INVITED: invited_admin.user,
        DEACTIVATED: deactivated.user,
    }
    users["sibling-own-team"], users["outsider-own-team"] = sibling.user, outsider.user
    own_team = {"sibling-own-team": other_team.pk, "outsider-own-team": outsider_team.pk}
    return Matrix(users=users, sessions=_sessions(users), values=values, own_team=own_team, foreign=foreign)


def _sessions(users: dict) -> dict[str, str]:
    """A signed-in session per persona, made once: `client.force_login` in every one of two
    thousand tests would be a third of the module's time. A test that changes its session (signing
    out) does so in its own savepoint, which is rolled back."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    sessions = {}
    for persona, user in users.items():
        request = HttpRequest()
        request.session = store()
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        request.session.save()
        sessions[persona] = request.session.session_key
    return sessions


@pytest.fixture(scope="module")
def matrix(django_db_setup, django_db_blocker):
    """The world, once for the module: built in a transaction that is rolled back at the end, so
    that each test's own transaction (a savepoint of it) starts from the same rows."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            # The production hasher takes ~0.4 s per password.
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                built = _build()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


@pytest.fixture(scope="module", autouse=True)
def _refusals_unlogged():
    # Django logs every 403 and 404 as a warning with its traceback, and pytest formats each one:
    # a third of the module's time. A 500 is still logged (at ERROR).
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


# --- Running one case ---------------------------------------------------------------------------


def url_of(route: Route, expect: Expect, persona: str, m: Matrix) -> str:
    """The address of `route` for `persona`: the team's objects in it, and for the *-own-team
    personas their own team's id with the team's objects in the other arguments."""
    kwargs = {}
    for name in route.kwargs:
        value_name = expect.kwargs.get(name, name)
        assert value_name in m.values, f"{route.key}: the matrix has no value for the URL argument {name!r}"
        kwargs[name] = m.values[value_name]
    if persona in m.own_team and "team_id" in kwargs:
        kwargs["team_id"] = m.own_team[persona]
    if persona.startswith(FOREIGN):
        name = persona.removeprefix(FOREIGN)
        assert name in m.foreign, f"{route.key}: the matrix has no other team's object for {name!r}"
        kwargs[name] = m.foreign[name]
    if route.view_name:
        return reverse(route.view_name, kwargs=kwargs)
    # An unnamed pattern: its address with the arguments put in.
    path = route.route.removesuffix("$").replace("(?P<url>.*)", str(kwargs.get("url", "")))
    for name, value in kwargs.items():
        path = path.replace(f"<path:{name}>", str(value)).replace(f"<{name}>", str(value))
    return "/" + path


def writes(queries) -> list[str]:
    """The statements of `queries` that change a table, but the session's (signing in is not a
    change of theirs)."""
    return [
        query["sql"]
        for query in queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and "django_session" not in query["sql"]
    ]


def check(response, want: Outcome, what: str) -> None:
    if isinstance(want, Redirect):
        assert response.status_code == 302, f"{what}: {response.status_code}, want {want}"
        target = reverse(want.to)
        assert response["Location"].startswith(target), f"{what}: to {response['Location']}, want {want}"
    else:
        location = f" to {response['Location']}" if response.status_code in (301, 302) else ""
        assert response.status_code == want, f"{what}: {response.status_code}{location}, want {want}"


def run_case(client, m: Matrix, route: Route, persona: str, method: str) -> None:
    expect = EXPECT.get(route.key)
    assert expect is not None, (
        f"The URL pattern {route.key!r} (/{route.route}) is not in the authorization matrix: "
        "add it to EXPECT in tests/test_authorization_matrix.py with what each persona gets (SPEC §2)."
    )
    want = outcome(expect, persona, method)
    if persona != "visitor":
        client.cookies[settings.SESSION_COOKIE_NAME] = m.sessions[persona.partition("+")[0]]
    url = url_of(route, expect, persona, m)
    # Sent to sign in is refused too (signing out writes the session alone, which `writes` leaves out).
    refused = want in (LOGIN, ADMIN_LOGIN) or want in REFUSALS
    send: Callable = getattr(client, method)
    extra = {"content_type": "application/json"} if route.key.startswith("api-v1:") else {}
    with CaptureQueriesContext(connection) as queries:
        response = send(url, **extra)
    what = f"{method.upper()} {url} as {persona}"
    check(response, want, what)
    if refused:
        assert writes(queries) == [], f"{what} was refused ({want}) but wrote to the database: {writes(queries)}"


# --- The tests ----------------------------------------------------------------------------------


def _names_objects(route: Route) -> bool:
    """The URL names an object of the team besides the team itself."""
    return "team_id" in route.kwargs and len(route.kwargs) > 1


def _cases(method: str) -> list:
    cases = []
    for route in ROUTES:
        expect = EXPECT.get(route.key)
        if method != "get" and (expect is None or getattr(expect, method) is None):
            continue
        personas = PERSONAS
        if expect is not None and expect.access in (Access.TEAM_ADMIN, Access.SIGNED_IN):
            personas += (INVITED, DEACTIVATED)
        if _names_objects(route):
            swapped = tuple(FOREIGN + name for name in route.kwargs if name != "team_id")
            personas += OWN_TEAM_PERSONAS + swapped
        cases += [pytest.param(route, persona, id=f"{route.key}-{persona}") for persona in personas]
    return cases


@pytest.mark.parametrize(("route", "persona"), _cases("get"))
def test_get(client, matrix, route, persona):
    run_case(client, matrix, route, persona, "get")


@pytest.mark.parametrize(("route", "persona"), _cases("post"))
def test_empty_post(client, matrix, route, persona):
    run_case(client, matrix, route, persona, "post")


@pytest.mark.parametrize(("route", "persona"), _cases("delete"))
def test_delete(client, matrix, route, persona):
    run_case(client, matrix, route, persona, "delete")


def test_the_matrix_names_every_url():
    """The resolver's URL patterns and EXPECT's entries are the same set: a URL added to the portal
    needs its row here, and a row whose URL is gone goes too."""
    keys = [route.key for route in ROUTES]
    assert len(keys) == len(set(keys)), f"URL patterns that share a key: {sorted(k for k in keys if keys.count(k) > 1)}"
    unknown, gone = sorted(set(keys) - set(EXPECT)), sorted(set(EXPECT) - set(keys))
    assert unknown == [], f"URL patterns the authorization matrix does not know (add them to EXPECT): {unknown}"
    assert gone == [], f"rows of the authorization matrix whose URL pattern is gone: {gone}"


@pytest.mark.parametrize("persona", ["visitor", "user"])
def test_static_files_need_no_sign_in(client, matrix, persona):
    """Static files are no URL pattern: WhiteNoise serves them before any view, to anyone (the
    sign-in page needs its stylesheet). In production from STATIC_ROOT; here from the finders."""
    if persona != "visitor":
        client.cookies[settings.SESSION_COOKIE_NAME] = matrix.sessions[persona]
    with override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True):
        response = client.get(static("css/portal.css"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")


# --- Unknown ids ------------------------------------------------------------------------------
# Issue 9: an id in the address that names nothing is "not found", never a server error: one the
# database could hold (999,999,999) and one past every integer column (10**20, an OverflowError in
# SQLite's driver if it reached a query), in each id of each address, as the team's primary admin.
UNKNOWN_IDS = (999_999_999, 10**20)
# The team's admin may answer 405 for a GET of an address that takes only POST, before loading.
NOT_FOUND = {404, 405}
# allauth's pages of one's own passkeys ask to sign in again (the password, then the key) before they
# look the key up: an id learns nothing there either, and the answer is that redirect.
SIGN_IN_AGAIN_FIRST = {"mfa_remove_webauthn", "mfa_edit_webauthn"}


def _unknown_id_cases() -> list:
    cases = []
    for route in ROUTES:
        if route.view_name is None:
            continue
        for name in re.findall(r"<int:(\w+)>", route.route):
            for value in UNKNOWN_IDS:
                for method in ("get", "post"):
                    cases.append(pytest.param(route, name, value, method, id=f"{route.key}-{name}={value}-{method}"))
    return cases


@pytest.mark.parametrize(("route", "name", "value", "method"), _unknown_id_cases())
def test_an_unknown_id_in_the_address_is_not_found(client, matrix, route, name, value, method):
    expect = EXPECT[route.key]
    kwargs = {arg: matrix.values[expect.kwargs.get(arg, arg)] for arg in route.kwargs}
    kwargs[name] = value
    client.cookies[settings.SESSION_COOKIE_NAME] = matrix.sessions["primary"]
    url = reverse(route.view_name, kwargs=kwargs)

    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url)

    if route.key in SIGN_IN_AGAIN_FIRST and response.status_code == 302:
        assert response["Location"].startswith(reverse("account_reauthenticate")), response["Location"]
    else:
        assert response.status_code in NOT_FOUND, f"{method.upper()} {url}: {response.status_code}"
    assert writes(queries) == [], f"{method.upper()} {url} wrote to the database: {writes(queries)}"
