"""The bad-input catalogue of the portal's forms: every form posted (or, for filters, asked) with what
people and scripts really send: 10,000 characters, NUL characters (which PostgreSQL cannot store or
compare), letters where a number goes, ids that do not exist, ids of another team's objects.

Each answer is the form again (200, or 400/404 where the address itself is wrong) with a message in
the admin's words and what they typed still in the field, never a 500, and nothing changed."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.validators import ProhibitNullCharactersValidator
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.html import escape
from django.utils.http import urlsafe_base64_encode
from mailer.models import Message

from licensing.accounts.access_tokens import NAME_TOO_LONG
from licensing.accounts.forms import PASSWORDS_DIFFER
from licensing.accounts.imports import PASTE_VALUES
from licensing.accounts.models import AccessToken, ApiToken, Invitation, User, new_token
from licensing.accounts.services import EMAIL_INVALID, FIRST_NAME_TOO_LONG, LAST_NAME_TOO_LONG
from licensing.accounts.signin_forms import INVALID_LOGIN
from licensing.accounts.token_forms import DATE_INVALID
from licensing.accounts.views import PREVIEW_GONE
from licensing.activity.models import ActivityEvent
from licensing.groups.forms import (
    CHOOSE_PRODUCT,
    DESCRIPTION_TOO_LONG,
    ITEM_NOT_OF_PRODUCT,
    MEMBER_GONE,
    MEMBER_LEFT,
    PRODUCT_NOT_CHOOSABLE,
)
from licensing.groups.member_views import PREVIEW_GONE as GROUP_PREVIEW_GONE
from licensing.groups.models import Group, GroupMember, GroupProduct
from licensing.groups.services import GROUP_NAME_TOO_LONG
from licensing.subscriptions.models import Assignment, Subscription
from licensing.teams.forms import FILTERS_CHANGED, USER_GONE
from licensing.teams.models import Member, Team
from licensing.teams.services import TEAM_NAME_TOO_LONG
from licensing.teams.views import CHOOSE_ROLE
from licensing.webhooks.models import Endpoint
from licensing.webhooks.sending import NOT_HTTP, NOT_PUBLIC
from licensing.webhooks.services import NO_EVENTS
from tests.conftest import World
from tests.factories import ProductFactory, ProductItemFactory, SubscriptionFactory

LONG = "x" * 10_000
NUL = "Jan\x00Bos"
NUL_MESSAGE = ProhibitNullCharactersValidator.message
HUGE_ID = "9" * 30  # beyond every integer column
MISSING_ID = "987654321"
SUPERSCRIPT_TWO = "²"  # str.isdigit() says yes, int() says no


@dataclass(frozen=True)
class Case:
    """One bad request: where, what, as whom, and what the answer must show."""

    url: Callable[..., str]  # (world, client) -> the address
    data: Callable[[World], dict] | dict
    method: str = "post"
    persona: str | None = "primary"  # None: signed out
    message: object = None  # shown on the page (escaped), when given
    kept: str | None = None  # what was typed, back in the page (escaped), when given
    statuses: tuple[int, ...] = (200,)
    extra: dict = field(default_factory=dict)


def team_url(name: str, **kwargs) -> Callable[[World], str]:
    def build(world: World, client=None) -> str:
        resolved = {key: value(world) if callable(value) else value for key, value in kwargs.items()}
        return reverse(name, kwargs={"team_id": world.team.pk, **resolved})

    return build


def plain_url(name: str, **kwargs) -> Callable[[World], str]:
    return lambda world, client=None: reverse(name, kwargs=kwargs or None)


def person(first="Jan", last="Bos", email="jan.bos@example.nl", **more) -> dict:
    return {"first_name": first, "last_name": last, "email": email, **more}


def rows(*people, total=None) -> dict:
    data = {"rows-TOTAL_FORMS": str(total if total is not None else len(people)), "rows-INITIAL_FORMS": "0"}
    for index, (first, last, email) in enumerate(people):
        data |= {f"rows-{index}-first_name": first, f"rows-{index}-last_name": last, f"rows-{index}-email": email}
    return data


def other_team_product(world: World) -> str:
    product = ProductFactory(code="elsewhere", name="Elsewhere CAD")
    SubscriptionFactory(team=world.outsider_team, product=product, seats=5)
    return str(product.pk)


def other_team_group(world: World) -> str:
    """A group of the outsider's team (R-GR6: never a choice of team A's filters)."""
    from licensing.groups.services import group_create

    return str(group_create(team=world.outsider_team, name="Elsewhere crew", actor=None).pk)


def other_product_item(world: World) -> str:
    return str(ProductItemFactory(code="other-item", name="Other item").pk)


def seated(world: World, data: dict) -> dict:
    """`data`, once world.user holds a seat of DraftPro with all its items."""
    from licensing.subscriptions.services import assignment_create

    assignment_create(member=world.user, product=world.product, actor=None)
    return data


def other_team_member(world: World) -> str:
    return str(world.outsider.pk)


def other_team_assignment(world: World) -> str:
    from licensing.subscriptions.services import assignment_create

    product = ProductFactory(code="elsewhere", name="Elsewhere CAD")
    SubscriptionFactory(team=world.outsider_team, product=product, seats=5)
    return str(assignment_create(member=world.outsider, product=product, actor=None).pk)


def signed(kind: str, data: dict, age: int = 0) -> str:
    """A token of `kind` as portal.undo writes it, `age` seconds old."""
    import time
    from unittest import mock

    from portal.undo import undo_sign

    with mock.patch("django.core.signing.time.time", return_value=time.time() - age):
        return undo_sign(kind, data)


def forged(token: str) -> str:
    """`token` with its last character of signature changed."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def undo_unassign_token(world: World, age: int = 0, team=None, member=None) -> str:
    """The token of "Undo" after world.user's DraftPro was unassigned (nothing is unassigned here:
    the seat named is the one they would hold)."""
    member = member or world.user
    seat = [987654, member.pk, member.name, world.product.pk, [], timezone.now().isoformat(), None]
    return signed("unassign", {"teams": [[(team or world.team).pk, [seat]]], "back": "/"}, age)


def undo_delete_token(world: World, age: int = 0, team=None, role: str = "user") -> str:
    """The token of "Undo" after deleting someone who never was in the team (their account is
    world.outsider's): restoring it would add a member, which nothing here may."""
    now = timezone.now().isoformat()
    member = {
        "member_id": 987654,
        "user_id": world.outsider.user_id,
        "name": "Nobody",
        "role": role,
        "is_guest": False,
        "status": "active",
        "invited_at": now,
        "invited_by_id": None,
        "accepted_at": now,
        "invited_first_name": "",
        "invited_last_name": "",
        "seats": [],
        "groups": [],
        "invitations": [],
    }
    return signed("delete", {"team": (team or world.team).pk, "members": [member], "back": "/"}, age)


INVITE = team_url("accounts:member-invite")
MULTIPLE = team_url("accounts:invite-multiple")
ROLE = team_url("teams:member-role", member_id=lambda w: w.user.pk)
BULK = team_url("teams:member-bulk")
RENAME = team_url("team_settings:team-rename")
WEBHOOK_ADD = team_url("webhooks:endpoint-add")
CREATE = team_url("team_settings:team-create")
ITEMS = team_url(
    "subscriptions:member-product-change", member_id=lambda w: w.user.pk, product_id=lambda w: w.product.pk
)
ASSIGNMENT_ITEMS = team_url(
    "subscriptions:product-assignment-change", product_id=lambda w: w.product.pk, member_id=lambda w: w.user.pk
)
ASSIGN_USERS = team_url("subscriptions:product-assign-users", product_id=lambda w: w.product.pk)
SUGGESTIONS = team_url("subscriptions:product-assign-suggestions", product_id=lambda w: w.product.pk)
MOVE = team_url("team_settings:subscription-move")
MOVE_REVIEW = team_url("team_settings:subscription-move-review", subscription_id=lambda w: w.subscription.pk)
SEAT_USAGE = team_url("reports:seat-usage")
SEAT_USAGE_USERS = team_url("reports:seat-usage-export-users")
UNASSIGN = team_url("reports:seat-usage-unassign")
UNDO_UNASSIGN_URL = team_url("subscriptions:assignments-restore")
UNDO_DELETE_URL = team_url("teams:members-restore")
ACTIVITY = team_url("activity:event-list")
ACTIVITY_EXPORT = team_url("activity:event-export")
MEMBERS = team_url("teams:member-list")
PRODUCTS = team_url("subscriptions:product-list")
CONTRACTS = team_url("subscriptions:contract-list")
IMPORT_CONFIRM = team_url("accounts:invite-import-confirm")
LOGIN = plain_url("login")
RESET = plain_url("password_reset")


def a_group(world: World) -> int:
    """Team A's group "Engineers", with the plain user in it and DraftPro given to it (R-GR1, R-GR2)."""
    group, created = Group.objects.get_or_create(team=world.team, name="Engineers")
    if created:
        GroupMember.objects.create(group=group, member=world.user)
        GroupProduct.objects.create(group=group, product=world.product).items.set(world.items)
    return group.pk


def group_url(name: str, **kwargs) -> Callable[[World], str]:
    return team_url(f"groups:{name}", group_id=a_group, **kwargs)


def second_product_draftpro_item(world: World) -> dict:
    """ "Assign product" of a second product of the team with an item of DraftPro ticked."""
    second = ProductFactory(code="second", name="Second")
    SubscriptionFactory(team=world.team, product=second, seats=2)
    return {"action": "confirm", "product": second.pk, "scope": "choose", "items": [world.items[0].pk]}


GROUP_CREATE = team_url("groups:group-create")
GROUP_LIST = team_url("groups:group-list")
GROUP_DETAIL = group_url("group-detail")
GROUP_RENAME = group_url("group-rename")
GROUP_ADD = group_url("group-members-add")
GROUP_CANDIDATES = group_url("group-members-candidates")
GROUP_REMOVE = group_url("group-members-remove")
GROUP_IMPORT_CONFIRM = group_url("group-members-import-confirm")
GROUP_ASSIGN = group_url("group-product-assign")
GROUP_ITEMS = group_url("group-product-change", product_id=lambda w: w.product.pk)


def get(url, data, **kwargs) -> Case:
    return Case(url=url, data=data, method="get", **kwargs)


CASES = {
    # --- Invite single (R-U2) ---
    "invite-first-name-10k": Case(INVITE, person(first=LONG), message=FIRST_NAME_TOO_LONG % {"max": 150}, kept=LONG),
    "invite-last-name-10k": Case(INVITE, person(last=LONG), message=LAST_NAME_TOO_LONG % {"max": 150}, kept=LONG),
    "invite-email-10k": Case(INVITE, person(email=LONG + "@example.nl"), message=EMAIL_INVALID, kept=LONG),
    "invite-first-name-nul": Case(INVITE, person(first=NUL), message=NUL_MESSAGE, kept=NUL),
    "invite-last-name-nul": Case(INVITE, person(last=NUL), message=NUL_MESSAGE, kept=NUL),
    "invite-email-nul": Case(
        INVITE, person(email="jan\x00@example.nl"), message=NUL_MESSAGE, kept="jan\x00@example.nl"
    ),
    "invite-product-letters": Case(INVITE, person(products=["abc"]), kept="jan.bos@example.nl"),
    "invite-product-missing": Case(INVITE, person(products=[MISSING_ID]), kept="jan.bos@example.nl"),
    "invite-product-huge": Case(INVITE, person(products=[HUGE_ID]), kept="jan.bos@example.nl"),
    "invite-product-nul": Case(INVITE, person(products=["1\x00"]), kept="jan.bos@example.nl"),
    "invite-product-of-other-team": Case(
        INVITE, lambda w: person(products=[other_team_product(w)]), kept="jan.bos@example.nl"
    ),
    # --- Invite Multiple (R-U6) ---
    "multiple-first-name-10k": Case(
        MULTIPLE, rows((LONG, "Bos", "jan@example.nl")), message=FIRST_NAME_TOO_LONG % {"max": 150}, kept=LONG
    ),
    "multiple-email-10k": Case(MULTIPLE, rows(("Jan", "Bos", LONG)), message=EMAIL_INVALID, kept=LONG),
    "multiple-name-nul": Case(MULTIPLE, rows((NUL, "Bos", "jan@example.nl")), message=NUL_MESSAGE, kept=NUL),
    "multiple-total-forms-letters": Case(
        MULTIPLE, {**rows((NUL, "Bos", "jan@example.nl")), "rows-TOTAL_FORMS": "x"}, message=NUL_MESSAGE, kept=NUL
    ),
    "multiple-total-forms-huge": Case(
        MULTIPLE, {**rows(("Jan", "Bos", "jan@example.nl")), "rows-TOTAL_FORMS": HUGE_ID, "action": "add"}
    ),
    "multiple-paste-10k": Case(
        MULTIPLE, {**rows(), "paste": LONG, "action": "paste"}, message=PASTE_VALUES % {"count": 1}
    ),
    "multiple-paste-nul": Case(MULTIPLE, {**rows(), "paste": "Jan, Bos\x00, jan@example.nl", "action": "paste"}),
    "multiple-action-10k": Case(MULTIPLE, {**rows(("Jan", "Bos", "jan@example.nl")), "action": "remove-" + LONG}),
    "multiple-action-nul": Case(MULTIPLE, {**rows(("Jan", "Bos", "jan@example.nl")), "action": "remove-\x00"}),
    # --- Import confirm (R-U6) ---
    "import-confirm-id-10k": Case(IMPORT_CONFIRM, {"import_id": LONG}, message=PREVIEW_GONE),
    "import-confirm-id-nul": Case(IMPORT_CONFIRM, {"import_id": "\x00"}, message=PREVIEW_GONE),
    # --- Change role (R-SA1, R-G2) ---
    "role-10k": Case(ROLE, {"role": LONG}),
    "role-nul": Case(ROLE, {"role": "user\x00"}),
    "role-of-other-teams-member": Case(
        team_url("teams:member-role", member_id=lambda w: w.outsider.pk), {"role": "secondary_admin"}, statuses=(404,)
    ),
    # --- Bulk actions of By User ---
    "bulk-member-letters": Case(BULK, {"members": ["abc"], "action": "delete"}, message=USER_GONE),
    "bulk-member-huge": Case(BULK, {"members": [HUGE_ID], "action": "delete"}, message=USER_GONE),
    "bulk-member-nul": Case(BULK, {"members": ["1\x00"], "action": "delete"}, message=NUL_MESSAGE),
    "bulk-member-superscript": Case(BULK, {"members": [SUPERSCRIPT_TWO], "action": "delete"}, message=USER_GONE),
    "bulk-member-of-other-team": Case(
        BULK, lambda w: {"members": [other_team_member(w)], "action": "delete", "confirm": "1"}, message=USER_GONE
    ),
    "bulk-action-10k": Case(BULK, lambda w: {"members": [w.user.pk], "action": LONG}),
    "bulk-product-letters": Case(BULK, lambda w: {"members": [w.user.pk], "action": "assign", "product": "abc"}),
    "bulk-product-of-other-team": Case(
        BULK, lambda w: {"members": [w.user.pk], "action": "assign", "product": other_team_product(w)}
    ),
    # --- Bulk: all that match, change role (never Primary admin, R-PA2), resend (issue 22) ---
    "bulk-select-10k": Case(BULK, lambda w: {"members": [w.user.pk], "select": LONG, "action": "delete"}),
    "bulk-select-all-query-nul": Case(
        BULK, {"select": "all", "query": "q=a\x00", "action": "delete", "confirm": "1"}, message=NUL_MESSAGE
    ),
    "bulk-select-all-query-encoded-nul": Case(
        BULK, {"select": "all", "query": "q=a%00", "action": "delete", "confirm": "1"}, message=FILTERS_CHANGED
    ),
    "bulk-select-all-query-bad-role": Case(
        BULK, {"select": "all", "query": "role=boss", "action": "delete", "confirm": "1"}, message=FILTERS_CHANGED
    ),
    "bulk-select-all-query-bad-product": Case(
        BULK,
        lambda w: {"select": "all", "query": f"product={other_team_product(w)}", "action": "delete", "confirm": "1"},
        message=FILTERS_CHANGED,
    ),
    "bulk-select-all-query-10k": Case(BULK, {"select": "all", "query": LONG, "action": "delete"}),
    "bulk-select-all-forged-members": Case(
        BULK, lambda w: {"select": "all", "members": [other_team_member(w)], "query": "q=nobody", "action": "role"}
    ),
    "bulk-role-10k": Case(BULK, lambda w: {"members": [w.user.pk], "action": "role", "role": LONG, "confirm": "1"}),
    "bulk-role-primary": Case(
        BULK, lambda w: {"members": [w.secondary.pk], "action": "role", "role": "primary_admin", "confirm": "1"}
    ),
    "bulk-role-missing": Case(
        BULK, lambda w: {"members": [w.user.pk], "action": "role", "confirm": "1"}, message=CHOOSE_ROLE
    ),
    "bulk-guest-10k": Case(
        BULK, lambda w: {"members": [w.user.pk], "action": "role", "role": "user", "guest": LONG, "confirm": "1"}
    ),
    # --- By Group (R-GR1, R-GR2) ---
    "group-create-name-10k": Case(GROUP_CREATE, {"name": LONG}, message=GROUP_NAME_TOO_LONG, kept=LONG),
    "group-create-name-nul": Case(GROUP_CREATE, {"name": NUL}, message=NUL_MESSAGE, kept=NUL),
    "group-create-description-10k": Case(
        GROUP_CREATE, {"name": "Sales", "description": LONG}, message=DESCRIPTION_TOO_LONG % {"max": 1000}, kept=LONG
    ),
    "group-create-description-nul": Case(
        GROUP_CREATE, {"name": "Sales", "description": NUL}, message=NUL_MESSAGE, kept=NUL
    ),
    "group-rename-name-10k": Case(GROUP_RENAME, {"name": LONG}, message=GROUP_NAME_TOO_LONG, kept=LONG),
    "group-list-search-10k": get(GROUP_LIST, {"q": LONG}),
    "group-list-search-nul": get(GROUP_LIST, {"q": NUL}),
    "group-detail-search-nul": get(GROUP_DETAIL, {"q": NUL, "page": HUGE_ID, "wait-page": "abc"}),
    "group-candidates-10k": get(GROUP_CANDIDATES, {"q": LONG, "members": ["abc"]}),
    "group-candidates-nul": get(GROUP_CANDIDATES, {"q": NUL, "members": [HUGE_ID]}),
    "group-add-member-letters": Case(GROUP_ADD, {"action": "add", "members": ["abc"]}, message=MEMBER_GONE),
    "group-add-member-huge": Case(GROUP_ADD, {"action": "confirm", "members": [HUGE_ID]}, message=MEMBER_GONE),
    "group-add-member-nul": Case(GROUP_ADD, {"action": "add", "members": ["1\x00"]}, message=NUL_MESSAGE),
    "group-add-member-of-other-team": Case(
        GROUP_ADD, lambda w: {"action": "confirm", "members": [other_team_member(w)]}, message=MEMBER_GONE
    ),
    "group-add-search-10k": Case(GROUP_ADD, {"action": "search", "q": LONG}),
    "group-remove-member-letters": Case(GROUP_REMOVE, {"members": ["abc"], "confirm": "1"}, message=MEMBER_LEFT),
    "group-remove-member-superscript": Case(
        GROUP_REMOVE, {"members": [SUPERSCRIPT_TWO], "confirm": "1"}, message=MEMBER_LEFT
    ),
    "group-remove-member-of-other-team": Case(
        GROUP_REMOVE, lambda w: {"members": [other_team_member(w)], "confirm": "1"}, message=MEMBER_LEFT
    ),
    "group-import-confirm-id-10k": Case(GROUP_IMPORT_CONFIRM, {"import_id": LONG}, message=GROUP_PREVIEW_GONE),
    "group-import-confirm-id-nul": Case(GROUP_IMPORT_CONFIRM, {"import_id": "\x00"}, message=GROUP_PREVIEW_GONE),
    "group-assign-no-product": Case(GROUP_ASSIGN, {"action": "confirm"}, message=CHOOSE_PRODUCT),
    "group-assign-product-letters": Case(
        GROUP_ASSIGN, {"action": "confirm", "product": "abc"}, message=PRODUCT_NOT_CHOOSABLE
    ),
    "group-assign-product-huge": Case(
        GROUP_ASSIGN, {"action": "confirm", "product": HUGE_ID}, message=PRODUCT_NOT_CHOOSABLE
    ),
    "group-assign-product-of-other-team": Case(
        GROUP_ASSIGN, lambda w: {"action": "confirm", "product": other_team_product(w)}, message=PRODUCT_NOT_CHOOSABLE
    ),
    "group-assign-item-of-other-product": Case(GROUP_ASSIGN, second_product_draftpro_item, message=ITEM_NOT_OF_PRODUCT),
    "group-items-letters": Case(GROUP_ITEMS, {"items": ["abc"]}),
    "group-items-of-other-product": Case(GROUP_ITEMS, lambda w: {"items": [other_product_item(w)]}),
    # --- Team settings: rename and create (R-T3, R-T4) ---
    "rename-10k": Case(RENAME, {"name": LONG}, message=TEAM_NAME_TOO_LONG, kept=LONG),
    "rename-nul": Case(RENAME, {"name": NUL}, message=NUL_MESSAGE, kept=NUL),
    "create-10k": Case(CREATE, {"name": LONG}, message=TEAM_NAME_TOO_LONG, kept=LONG),
    "create-nul": Case(CREATE, {"name": NUL}, message=NUL_MESSAGE, kept=NUL),
    # --- Team settings › Webhooks (R-API4) ---
    "webhook-url-private": Case(
        WEBHOOK_ADD,
        {"url": "http://127.0.0.1/hook", "event_types": ["member.invited"]},
        message=NOT_PUBLIC % {"host": "127.0.0.1", "address": "127.0.0.1"},
        kept="http://127.0.0.1/hook",
    ),
    "webhook-url-metadata": Case(
        WEBHOOK_ADD,
        {"url": "http://169.254.169.254/latest/", "event_types": ["member.invited"]},
        message=NOT_PUBLIC % {"host": "169.254.169.254", "address": "169.254.169.254"},
    ),
    "webhook-url-ftp": Case(
        WEBHOOK_ADD, {"url": "ftp://hooks.example.com/", "event_types": ["seat.assigned"]}, message=NOT_HTTP
    ),
    "webhook-no-events": Case(
        WEBHOOK_ADD, {"url": "https://hooks.example.com/in", "description": "ERP"}, message=NO_EVENTS, kept="ERP"
    ),
    "webhook-unknown-event": Case(
        WEBHOOK_ADD,
        {"url": "https://hooks.example.com/in", "event_types": ["nope"]},
        kept="https://hooks.example.com/in",
    ),
    "webhook-url-10k": Case(WEBHOOK_ADD, {"url": LONG, "event_types": ["seat.assigned"]}, kept=LONG),
    "webhook-url-nul": Case(
        WEBHOOK_ADD, {"url": "https://a.example\x00/", "event_types": ["seat.assigned"]}, message=NUL_MESSAGE
    ),
    "webhook-description-10k": Case(
        WEBHOOK_ADD, {"url": "https://hooks.example.com/in", "description": LONG, "event_types": ["seat.assigned"]}
    ),
    # --- Assign items (R-P2, R-P4) ---
    "items-letters": Case(ITEMS, {"items": ["abc"]}),
    "items-huge": Case(ITEMS, {"items": [HUGE_ID]}),
    "items-nul": Case(ITEMS, {"items": ["1\x00"]}),
    "items-of-other-product": Case(ITEMS, lambda w: {"items": [other_product_item(w)]}),
    "items-superscript": Case(ITEMS, {"items": [SUPERSCRIPT_TWO]}),
    "assignment-items-superscript": Case(ASSIGNMENT_ITEMS, lambda w: seated(w, {"items": [SUPERSCRIPT_TWO, HUGE_ID]})),
    "assignment-items-of-other-product": Case(
        ASSIGNMENT_ITEMS, lambda w: seated(w, {"items": [other_product_item(w)]})
    ),
    "items-of-other-teams-member": Case(
        team_url(
            "subscriptions:member-product-change", member_id=lambda w: w.outsider.pk, product_id=lambda w: w.product.pk
        ),
        lambda w: {"items": [w.items[0].pk]},
        statuses=(404,),
    ),
    # --- By Product › Assign users (R-BP1) ---
    "assign-users-query-10k": Case(ASSIGN_USERS, {"query": LONG, "action": "add"}, kept=LONG),
    "assign-users-query-nul": Case(ASSIGN_USERS, {"query": "jan\x00@example.nl", "action": "add"}, message=NUL_MESSAGE),
    "assign-users-names-10k": Case(
        ASSIGN_USERS,
        {"query": "new.person@example.nl", "first_name": LONG, "last_name": "Bos", "action": "add"},
        kept=LONG,
    ),
    "assign-users-person-nul": Case(
        ASSIGN_USERS, {"person": ['i:["jan@example.nl", "Jan\\u0000", "Bos"]'], "action": "assign"}
    ),
    "assign-users-person-escape": Case(
        ASSIGN_USERS, {"person": ['i:["jan@example.nl", "Jan", "\\u001b[31mBos"]'], "action": "assign"}
    ),
    "assign-users-person-10k": Case(
        ASSIGN_USERS, {"person": [f'i:["jan@example.nl", "{LONG}", "Bos"]'], "action": "assign"}
    ),
    "assign-users-person-not-json": Case(ASSIGN_USERS, {"person": ["i:{{{", "m:abc", "m:" + HUGE_ID], "action": "add"}),
    "assign-users-pick-superscript": Case(ASSIGN_USERS, {"action": "pick:" + SUPERSCRIPT_TWO}),
    "assign-users-pick-huge": Case(ASSIGN_USERS, {"action": "pick:" + HUGE_ID}),
    "assign-users-remove-superscript": Case(
        ASSIGN_USERS, lambda w: {"person": [f"m:{w.user.pk}"], "action": "remove:" + SUPERSCRIPT_TWO}
    ),
    "assign-users-member-superscript": Case(ASSIGN_USERS, {"person": ["m:" + SUPERSCRIPT_TWO], "action": "add"}),
    "assign-users-items-of-other-product": Case(
        ASSIGN_USERS, lambda w: {"person": [f"m:{w.user.pk}"], "items": [other_product_item(w)], "action": "assign"}
    ),
    "assign-suggestions-nul": get(SUGGESTIONS, {"query": "jan\x00"}),
    "assign-suggestions-10k": get(SUGGESTIONS, {"query": LONG}),
    # --- Move subscriptions wizard (R-T8) ---
    "move-from-letters": get(MOVE, {"from": "abc"}, statuses=(404,)),
    "move-from-huge": get(MOVE, {"from": HUGE_ID}, statuses=(404,)),
    "move-from-other-customer": get(MOVE, lambda w: {"from": w.outsider_team.pk}, statuses=(404,)),
    "move-search-nul": get(MOVE, lambda w: {"from": w.other_team.pk, "q": "Draft\x00"}),
    "move-search-10k": get(MOVE, lambda w: {"from": w.other_team.pk, "q": LONG}),
    "move-review-from-letters": Case(MOVE_REVIEW, {"from": "abc"}),
    "move-review-from-huge": Case(MOVE_REVIEW, {"from": HUGE_ID}),
    # --- Seat-usage report filters (R-R1, R-R2) ---
    "report-team-letters": get(SEAT_USAGE, {"team": "abc"}),
    "report-team-huge": get(SEAT_USAGE, {"team": HUGE_ID}),
    "report-team-of-other-customer": get(SEAT_USAGE, lambda w: {"team": w.outsider_team.pk}),
    "report-range-10k": get(SEAT_USAGE, {"range": LONG}),
    "report-start-letters": get(SEAT_USAGE, {"range": "custom", "start": "abc", "end": "2025-01-31"}, kept="abc"),
    "report-start-nul": get(SEAT_USAGE, {"range": "custom", "start": "2025-01-01\x00", "end": "2025-01-31"}),
    "report-start-year-99999": get(SEAT_USAGE, {"range": "custom", "start": "99999-01-01", "end": "2025-01-31"}),
    "report-start-0001": get(SEAT_USAGE, {"range": "custom", "start": "0001-01-01", "end": "0001-01-02"}),
    "report-end-13th-month": get(SEAT_USAGE, {"range": "custom", "start": "2025-01-01", "end": "2025-13-45"}),
    "report-search-nul": get(SEAT_USAGE, {"tab": "users", "q": "Jan\x00"}),
    "report-search-10k": get(SEAT_USAGE, {"tab": "users", "q": LONG}),
    "report-product-letters": get(SEAT_USAGE, {"tab": "users", "product": "abc"}),
    "report-product-huge": get(SEAT_USAGE, {"tab": "users", "product": HUGE_ID}),
    "report-sort-10k": get(SEAT_USAGE, {"tab": "users", "sort": LONG}),
    "report-page-letters": get(SEAT_USAGE, {"tab": "users", "page": "abc"}, statuses=(200, 404)),
    "report-page-huge": get(SEAT_USAGE, {"tab": "users", "page": HUGE_ID}, statuses=(200, 404)),
    "report-tab-nul": get(SEAT_USAGE, {"tab": "\x00"}),
    "report-export-nul": get(SEAT_USAGE_USERS, {"q": "Jan\x00", "product": "abc", "sort": LONG}),
    # The export as a job (licensing.jobs): the same filters, in its address; tests/jobs runs it.
    "report-export-job-nul": Case(
        lambda w, client=None: SEAT_USAGE_USERS(w) + "?" + urlencode({"q": "Jan\x00", "product": "abc", "sort": LONG}),
        {},
        statuses=(302,),
    ),
    # R-GR6: the group filter, with what scripts send, and another team's group.
    "report-group-letters": get(SEAT_USAGE, {"tab": "users", "group": "abc"}),
    "report-group-huge": get(SEAT_USAGE, {"tab": "users", "group": HUGE_ID}),
    "report-group-of-other-team": get(SEAT_USAGE, lambda w: {"tab": "users", "group": other_team_group(w)}),
    "report-export-group-nul": get(SEAT_USAGE_USERS, {"group": "1\x00", "q": LONG}),
    "unassign-letters": Case(UNASSIGN, {"assignments": ["abc"]}, statuses=(200, 302)),
    "unassign-huge": Case(UNASSIGN, {"assignments": [HUGE_ID]}, statuses=(200, 302)),
    "unassign-superscript": Case(UNASSIGN, {"assignments": [SUPERSCRIPT_TWO]}, statuses=(200, 302)),
    "unassign-of-other-team": Case(
        UNASSIGN, lambda w: {"assignments": [other_team_assignment(w)]}, statuses=(200, 302)
    ),
    # --- "Undo" after an unassign or a delete (issue 22): the signed token, as scripts and time send it ---
    "undo-unassign-empty": Case(UNDO_UNASSIGN_URL, {}, statuses=(302,)),
    "undo-unassign-10k": Case(UNDO_UNASSIGN_URL, {"token": LONG}, statuses=(302,)),
    "undo-unassign-nul": Case(UNDO_UNASSIGN_URL, {"token": NUL}, statuses=(302,)),
    "undo-unassign-forged": Case(
        UNDO_UNASSIGN_URL, lambda w: {"token": forged(undo_unassign_token(w))}, statuses=(302,)
    ),
    "undo-unassign-expired": Case(
        UNDO_UNASSIGN_URL, lambda w: {"token": undo_unassign_token(w, age=16 * 60)}, statuses=(302,)
    ),
    "undo-unassign-of-a-delete": Case(UNDO_UNASSIGN_URL, lambda w: {"token": undo_delete_token(w)}, statuses=(302,)),
    "undo-unassign-garbage-inside": Case(
        UNDO_UNASSIGN_URL, lambda w: {"token": signed("unassign", {"teams": "x", "back": "/"})}, statuses=(302,)
    ),
    "undo-unassign-other-team": Case(
        UNDO_UNASSIGN_URL, lambda w: {"token": undo_unassign_token(w, team=w.outsider_team)}, statuses=(302,)
    ),
    "undo-unassign-other-teams-member": Case(
        UNDO_UNASSIGN_URL, lambda w: {"token": undo_unassign_token(w, member=w.outsider)}, statuses=(302,)
    ),
    "undo-unassign-back-elsewhere": Case(
        UNDO_UNASSIGN_URL,
        lambda w: {"token": signed("unassign", {"teams": [[w.team.pk, []]], "back": "https://evil.example/"})},
        statuses=(302,),
    ),
    "undo-delete-empty": Case(UNDO_DELETE_URL, {}, statuses=(302,)),
    "undo-delete-10k": Case(UNDO_DELETE_URL, {"token": LONG}, statuses=(302,)),
    "undo-delete-nul": Case(UNDO_DELETE_URL, {"token": NUL}, statuses=(302,)),
    "undo-delete-forged": Case(UNDO_DELETE_URL, lambda w: {"token": forged(undo_delete_token(w))}, statuses=(302,)),
    "undo-delete-expired": Case(
        UNDO_DELETE_URL, lambda w: {"token": undo_delete_token(w, age=16 * 60)}, statuses=(302,)
    ),
    "undo-delete-of-an-unassign": Case(UNDO_DELETE_URL, lambda w: {"token": undo_unassign_token(w)}, statuses=(302,)),
    "undo-delete-an-admin": Case(
        UNDO_DELETE_URL, lambda w: {"token": undo_delete_token(w, role="primary_admin")}, statuses=(302,)
    ),
    "undo-delete-garbage-inside": Case(
        UNDO_DELETE_URL, lambda w: {"token": signed("delete", {"team": w.team.pk, "members": [1]})}, statuses=(302,)
    ),
    "undo-delete-other-team": Case(
        UNDO_DELETE_URL, lambda w: {"token": undo_delete_token(w, team=w.outsider_team)}, statuses=(302,)
    ),
    # --- Activity log filters ---
    "activity-since-letters": get(ACTIVITY, {"since": "abc"}, kept="abc"),
    "activity-since-year-99999": get(ACTIVITY, {"since": "99999-01-01"}),
    "activity-until-0001": get(ACTIVITY, {"until": "0001-01-01"}),
    "activity-search-nul": get(ACTIVITY, {"q": "Jan\x00"}),
    "activity-search-10k": get(ACTIVITY, {"q": LONG}),
    "activity-user-letters": get(ACTIVITY, {"user": "abc"}),
    "activity-user-huge": get(ACTIVITY, {"user": HUGE_ID}),
    "activity-user-of-other-team": get(ACTIVITY, lambda w: {"user": w.outsider.user.pk}),
    "activity-product-huge": get(ACTIVITY, {"product": HUGE_ID}),
    "activity-action-10k": get(ACTIVITY, {"action": LONG}),
    "activity-page-letters": get(ACTIVITY, {"page": "abc"}, statuses=(200, 404)),
    "activity-export-nul": get(ACTIVITY_EXPORT, {"q": "Jan\x00", "since": "abc", "user": HUGE_ID}),
    # --- Other lists' filters ---
    "members-search-nul": get(MEMBERS, {"q": "Jan\x00"}),
    "members-search-10k": get(MEMBERS, {"q": LONG}),
    "members-product-huge": get(MEMBERS, {"product": HUGE_ID, "role": LONG, "status": "\x00"}),
    "members-page-letters": get(MEMBERS, {"page": "abc", "sort": LONG}, statuses=(200, 404)),
    "members-group-letters": get(MEMBERS, {"group": "abc"}),
    "members-group-huge": get(MEMBERS, {"group": HUGE_ID, "q": "Jan\x00"}),
    "members-group-superscript": get(MEMBERS, {"group": SUPERSCRIPT_TWO}),
    "members-group-of-other-team": get(MEMBERS, lambda w: {"group": other_team_group(w)}),
    "products-search-nul": get(PRODUCTS, {"q": "Draft\x00"}),
    "products-search-10k": get(PRODUCTS, {"q": LONG}),
    "contracts-search-nul": get(CONTRACTS, {"q": "11\x00"}),
    "contracts-filters-bad": get(CONTRACTS, {"q": LONG, "team": HUGE_ID, "plan": LONG, "page": "abc"}),
    # --- Sign-in and password reset ---
    "login-email-10k": Case(LOGIN, {"login": LONG + "@example.com", "password": "pw"}, persona=None),
    "login-email-nul": Case(
        LOGIN, {"login": "user@example.com\x00", "password": "pw"}, persona=None, message=NUL_MESSAGE
    ),
    "login-password-nul": Case(LOGIN, {"login": "user@example.com", "password": "pw\x00"}, persona=None),
    "login-password-10k": Case(
        LOGIN,
        {"login": "user@example.com", "password": LONG},
        persona=None,
        message=INVALID_LOGIN,
        kept="user@example.com",
    ),
    "reset-email-10k": Case(RESET, {"email": LONG + "@example.com"}, persona=None),
    "reset-email-nul": Case(RESET, {"email": "user@example.com\x00"}, persona=None, message=NUL_MESSAGE),
    "language-nul": Case(plain_url("accounts:language-set"), {"language": "nl\x00", "next": "/\x00"}, statuses=(302,)),
    "language-10k": Case(plain_url("accounts:language-set"), {"language": LONG, "next": LONG}, statuses=(302,)),
}


def reset_confirm_url(world: World, client) -> str:
    """The page the reset link leads to: Django keeps the token in the session and redirects."""
    user = world.user.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    response = client.get(reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token}))
    assert response.status_code == 302
    return response["Location"]


def accept_url(world: World, client=None) -> str:
    """The link of a fresh invitation of someone without an account."""
    from licensing.accounts.services import member_invite

    member = member_invite(
        team=world.team, email="newcomer@example.nl", first_name="New", last_name="Comer", actor=world.primary.user
    )
    raw, digest = new_token()
    Invitation.objects.filter(member=member).update(token_hash=digest)
    return reverse("accounts:invitation-accept", kwargs={"token": raw})


def existing_accept_url(world: World, client=None) -> str:
    """The link of an invitation of someone who has an account: they sign in to accept."""
    from licensing.accounts.services import invitation_resend

    world.invited.user.set_password("pw")
    world.invited.user.save()
    invitation_resend(member=world.invited, actor=world.primary.user)
    raw, digest = new_token()
    Invitation.objects.filter(member=world.invited, revoked_at__isnull=True).update(token_hash=digest)
    return reverse("accounts:invitation-accept", kwargs={"token": raw})


SIGNED_OUT_CASES = {
    "reset-confirm-password-nul": Case(
        reset_confirm_url, {"new_password1": "pw\x00pw\x00pw", "new_password2": "pw\x00pw\x00pw"}, persona=None
    ),
    "reset-confirm-password-10k": Case(
        reset_confirm_url, {"new_password1": LONG, "new_password2": LONG + "y"}, persona=None
    ),
    "accept-password-nul": Case(
        accept_url, {"password1": "Secret\x00Secret1", "password2": "Secret\x00Secret1"}, persona=None
    ),
    "accept-password-10k-differs": Case(
        accept_url, {"password1": LONG, "password2": LONG + "y"}, persona=None, message=PASSWORDS_DIFFER
    ),
    "accept-existing-account-password-nul": Case(existing_accept_url, {"password": "pw\x00"}, persona=None),
    "accept-token-nul": get(lambda w, c: "/invitations/abc%00def/", {}, persona=None, statuses=(404,)),
    "accept-token-10k": get(lambda w, c: f"/invitations/{LONG}/", {}, persona=None, statuses=(404,)),
}


def token_create_url(world: World, client) -> str:
    """Account menu › API tokens › Create token, signed in again just now (as it asks first)."""
    client.force_login(world.primary.user)
    assert client.post(reverse("account_reauthenticate"), {"password": "pw"}).status_code == 302
    return reverse("accounts:access-token-create")


def token(**changes) -> dict:
    in_a_month = (timezone.localdate() + timedelta(days=30)).isoformat()
    return {
        "name": "Nightly sync",
        "scope": "chosen",
        "teams": [],
        "access": "read",
        "expires_on": in_a_month,
        **changes,
    }


def own_team(world: World) -> list[str]:
    return [str(world.team.pk)]


TOKEN_CASES = {
    "token-name-10k": Case(
        token_create_url, lambda w: token(name=LONG, teams=own_team(w)), message=NAME_TOO_LONG % {"max": 100}, kept=LONG
    ),
    "token-name-nul": Case(token_create_url, lambda w: token(name=NUL, teams=own_team(w)), message=NUL_MESSAGE),
    "token-teams-letters": Case(token_create_url, token(teams=["abc"]), kept="Nightly sync"),
    "token-teams-huge": Case(token_create_url, token(teams=[HUGE_ID]), kept="Nightly sync"),
    "token-teams-nul": Case(token_create_url, token(teams=["1\x00"]), kept="Nightly sync"),
    "token-teams-of-other-team": Case(
        token_create_url, lambda w: token(teams=[str(w.outsider_team.pk)]), kept="Nightly sync"
    ),
    "token-access-10k": Case(token_create_url, lambda w: token(access=LONG, teams=own_team(w)), kept="Nightly sync"),
    "token-expiry-letters": Case(
        token_create_url, lambda w: token(expires_on="soon", teams=own_team(w)), message=DATE_INVALID
    ),
    "token-expiry-huge": Case(
        token_create_url, lambda w: token(expires_on="99999-12-31", teams=own_team(w)), message=DATE_INVALID
    ),
    "token-expiry-nul": Case(token_create_url, lambda w: token(expires_on="2027-01-01\x00", teams=own_team(w))),
    "token-expiry-far": Case(
        token_create_url, lambda w: token(expires_on="9999-12-31", teams=own_team(w)), kept="Nightly sync"
    ),
    "token-revoke-huge-id": Case(lambda w, c: f"/account/tokens/{HUGE_ID}/revoke/", {}, statuses=(404,)),
}
CASES.update(TOKEN_CASES)
ALL_CASES = {**CASES, **SIGNED_OUT_CASES}


def state() -> tuple:
    """What any of these requests could change."""
    return (
        sorted(Team.objects.values_list("pk", "name")),
        sorted(Member.objects.values_list("pk", "team_id", "user_id", "role", "is_guest", "status")),
        sorted(User.objects.values_list("pk", "email", "first_name", "last_name", "password", "language")),
        sorted(Assignment.objects.values_list("pk", "member_id", "product_id")),
        sorted(Assignment.items.through.objects.values_list("assignment_id", "productitem_id")),
        sorted(Subscription.objects.values_list("pk", "team_id", "seats")),
        Invitation.objects.count(),
        ActivityEvent.objects.count(),
        Message.objects.count(),
        ApiToken.objects.count(),
        sorted(Group.objects.values_list("pk", "team_id", "name", "description")),
        sorted(GroupMember.objects.values_list("group_id", "member_id")),
        sorted(GroupProduct.objects.values_list("group_id", "product_id")),
        Endpoint.objects.count(),
        AccessToken.objects.count(),
    )


@pytest.mark.parametrize("case", ALL_CASES.values(), ids=ALL_CASES.keys())
def test_a_bad_input_is_refused_in_words_keeps_what_was_typed_and_changes_nothing(client, world, case):
    url = case.url(world, client)
    data = case.data(world) if callable(case.data) else case.data
    if case.persona is not None:
        client.force_login(getattr(world, case.persona).user)
    before = state()

    response = getattr(client, case.method)(url, data, **case.extra)

    assert response.status_code in case.statuses, response.content[:2000]
    if response.status_code == 200 and not getattr(response, "streaming", False):
        html = response.content.decode()
        if case.message is not None:
            assert escape(str(case.message)) in html
        if case.kept is not None:
            assert escape(case.kept) in html
    assert state() == before


# --- The order API (licensing/integrations): the same inputs, sent as JSON by the order system --------

ORDER_API_CASES = {
    "customer: 10,000 characters": ("post", "/api/v1/customers", {"name": LONG}, "name"),
    "customer: NUL": ("post", "/api/v1/customers", {"name": NUL}, "name"),
    "customer: a number for the name": ("post", "/api/v1/customers", {"name": 12}, "name"),
    "contract: a customer id beyond every integer": (
        "post",
        "/api/v1/contracts",
        {
            "customer_id": int(HUGE_ID),
            "number": "K-1",
            "manager": {"email": "a@b.nl", "first_name": "A", "last_name": "B"},
        },
        "customer_id",
    ),
    "contract: a manager's name of 10,000 characters": (
        "post",
        "/api/v1/contracts",
        {"customer_id": 1, "number": "K-1", "manager": {"email": "a@b.nl", "first_name": LONG, "last_name": "B"}},
        "manager.first_name",
    ),
    "subscription: seats in letters": (
        "post",
        "/api/v1/subscriptions",
        {
            "contract_number": "K-1",
            "product": "draftpro",
            "seats": "ten",
            "term_start": "2026-01-01",
            "term_end": "2027-01-01",
        },
        "seats",
    ),
    "subscription: a date that is not one": (
        "post",
        "/api/v1/subscriptions",
        {
            "contract_number": "K-1",
            "product": "draftpro",
            "seats": 1,
            "term_start": "2026-02-30",
            "term_end": "2027-01-01",
        },
        "term_start",
    ),
    "seats of a subscription id beyond every integer": (
        "put",
        f"/api/v1/subscriptions/{HUGE_ID}/seats",
        {"seats": 1},
        "subscription_id",
    ),
    "seats of a subscription id in superscript": (
        "put",
        f"/api/v1/subscriptions/{SUPERSCRIPT_TWO}/seats",
        {"seats": 1},
        "subscription_id",
    ),
    "a list filtered by NUL": ("get", "/api/v1/customers?name=" + "Jan%00Bos", None, "name"),
    "a page of a billion and one": ("get", "/api/v1/customers?offset=1000000001", None, "offset"),
}


@pytest.mark.parametrize("case", ORDER_API_CASES.values(), ids=ORDER_API_CASES.keys())
def test_a_bad_request_of_the_order_api_is_a_problem_naming_its_field_and_changes_nothing(client, world, case):
    """R-API1: every bad input a 422 problem that names the field, never a 500, nothing changed."""
    from licensing.integrations.services import vendor_key_create

    method, path, body, field = case
    key = vendor_key_create(name="Shop", scopes=["orders:read", "orders:write"], expires_days=1)[1]
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "bad-1"}
    before = state()
    if method == "get":
        response = client.get(path, headers=headers)
    else:
        response = getattr(client, method)(path, body, content_type="application/json", headers=headers)
    assert response.status_code == 422, response.content[:2000]
    assert response["Content-Type"] == "application/problem+json"
    assert field in [error["field"] for error in response.json()["errors"]], response.json()
    assert state() == before
