"""The team-admin API (issue 21 §3, R-API3), for an admin's scripts: under /api/v1/teams/, in the same
NinjaAPI and OpenAPI document as the licence API and the order API, tagged "Team admin".

Authenticated by a personal access token (`Authorization: Bearer sk_pat_...`, account menu › API
tokens; licensing.accounts.access_tokens). A token acts as its owner, and never beyond what the owner
may do in the portal at that moment:

- the team of the address must be one the owner is an active admin of now (`is_team_admin`, the
  function the screens ask) and one the token was made for, else 404, as if it did not exist (a
  token of team A on team B; an owner demoted to user since);
- a team that requires a second factor of its admins is refused (403) while the owner has none;
- a read-only token is refused every write (403);
- every write calls the same service as the screen (`member_invite`, `member_change_role`,
  `member_delete`, `assignment_create`, ...), which checks `can_manage_members` again, locks the team,
  writes the activity log (via "API") and sends the same mails.

Every write takes an `Idempotency-Key` header (R-API2, licensing.integrations.idempotency): a retry
answers what the first answered. Errors are RFC 9457 problem details (licensing.integrations.problems).
Lists are paged: `page` (from 1) and `size` (at most MAX_PAGE_SIZE), with `count` and `pages`.

The token's door and the helpers the routers share are in `door.py`; here are the teams and
members; seats are in licensing/subscriptions/api.py, By Group in licensing/groups/api.py, Seat
Usage in licensing/reports/api.py, the activity log in licensing/activity/api.py.
"""

from datetime import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from licensing.accounts import access_tokens
from licensing.accounts import services as account_services
from licensing.accounts.models import AccessToken
from licensing.integrations.idempotency import IdempotencyKeyHeader, idempotent
from licensing.subscriptions.models import Assignment
from licensing.teams import services
from licensing.teams.api.door import (
    TAG,
    PageIn,
    PageOut,
    acting_team,
    actor,
    errors_of,
    paged,
    refused,
    respond,
    team_member,
    team_product,
    team_token,
)
from licensing.teams.filters import ListStatus, MemberFilter
from licensing.teams.models import Member, Team
from licensing.teams.tables import NAME_ORDER, members_for_list

router = Router(tags=[TAG])


# --- Teams --------------------------------------------------------------------------------------


class TeamOut(Schema):
    id: int
    name: str
    customer: str
    role: Literal["primary_admin", "secondary_admin"] = Field(description="The token owner's role in the team.")
    admins_need_second_factor: bool


class TeamListOut(Schema):
    items: list[TeamOut]


@router.get(
    "/teams",
    auth=team_token,
    response={200: TeamListOut, **errors_of()},
    operation_id="team_list",
    summary="List the teams the token may act on",
    description=(
        "The teams whose admin the token's owner is now, of those the token was made for (R-API3). A team "
        "where the owner has lost the admin role is no longer listed, nor reachable."
    ),
)
def team_list(request: HttpRequest):
    token: AccessToken = request.auth
    teams = access_tokens.token_teams(token).select_related("customer")
    roles = dict(
        Member.objects.filter(user=token.user, team__in=teams, status=Member.Status.ACTIVE).values_list("team", "role")
    )
    return {"items": [_team_out(team, roles[team.pk]) for team in teams]}


def _team_out(team: Team, role: str) -> dict:
    return {
        "id": team.pk,
        "name": team.name,
        "customer": team.customer.name,
        "role": role,
        "admins_need_second_factor": team.admins_need_second_factor,
    }


@router.get(
    "/teams/{team_id}",
    auth=team_token,
    response={200: TeamOut, **errors_of(404)},
    operation_id="team_get",
    summary="Get a team",
)
def team_get(request: HttpRequest, team_id: int):
    team = acting_team(request, team_id)
    role = Member.objects.filter(user=request.auth.user, team=team).values_list("role", flat=True).get()
    return _team_out(Team.objects.select_related("customer").get(pk=team.pk), role)


# --- Members ------------------------------------------------------------------------------------


class HeldProductOut(Schema):
    product: str = Field(description="The product's code.")
    name: str
    items: list[str] = Field(description="Codes of the items the member holds.")
    direct: bool = Field(description="Assigned directly (not only through groups).")


class MemberOut(Schema):
    id: int
    email: str
    first_name: str = Field(description="As the team sees it: as invited until the person accepts.")
    last_name: str
    role: Literal["primary_admin", "secondary_admin", "user"]
    is_guest: bool
    status: Literal["active", "invited", "expired"] = Field(description="expired: the invitation ran out (R-U5).")
    invited_at: datetime
    accepted_at: datetime | None
    products: list[HeldProductOut]


class MemberPageOut(PageOut):
    items: list[MemberOut]


class MemberFilterIn(PageIn):
    q: str = Field("", max_length=200, description="Every word in the first name, last name or e-mail address.")
    role: Literal["primary_admin", "secondary_admin", "user"] | None = None
    status: Literal["active", "invited", "expired"] | None = None
    guests: bool = Field(True, description="false leaves guests out (R-G4).")
    product: str | None = Field(None, max_length=50, description="Only members holding this product (its code).")


def _items_prefetch() -> Prefetch:
    return Prefetch(
        "assignments",
        queryset=Assignment.objects.select_related("product").prefetch_related("items").order_by("product__name", "pk"),
        to_attr="held",
    )


def member_out(member: Member) -> dict:
    """A member as the API shows it; `member.held` (the prefetch above) or its assignments read now."""
    if member.status == Member.Status.ACTIVE:
        status = ListStatus.ACTIVE
    else:
        expires = getattr(member, "invitation_expires_at", None)
        if expires is None and not hasattr(member, "invitation_expires_at"):
            latest = member.invitations.order_by("-created_at", "-pk").first()
            expires = latest.expires_at if latest else None
        status = ListStatus.EXPIRED if expires is not None and expires <= timezone.now() else ListStatus.INVITED
    held = getattr(member, "held", None)
    if held is None:
        held = list(member.assignments.select_related("product").prefetch_related("items").order_by("product__name"))
    return {
        "id": member.pk,
        "email": member.user.email,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "role": member.role,
        "is_guest": member.is_guest,
        "status": status,
        "invited_at": member.invited_at,
        "accepted_at": member.accepted_at,
        "products": [
            {
                "product": assignment.product.code,
                "name": assignment.product.name,
                "items": sorted(item.code for item in assignment.items.all()),
                "direct": assignment.direct,
            }
            for assignment in held
        ],
    }


def _member_read(team: Team, member_id: int) -> dict:
    queryset = members_for_list(team).prefetch_related(_items_prefetch())
    return member_out(team_member(team, member_id, queryset))


@router.get(
    "/teams/{team_id}/members",
    auth=team_token,
    response={200: MemberPageOut, **errors_of(404, 422)},
    operation_id="member_list",
    summary="List members",
    description=(
        "By User (R-U1): the team's members by name, with their role, guest flag, status and products, a page "
        "at a time; filtered by search words, role, status, product and guests as in the portal."
    ),
)
def member_list(request: HttpRequest, team_id: int, filters: Query[MemberFilterIn]):
    team = acting_team(request, team_id)
    data = {"q": filters.q, "role": filters.role or "", "status": filters.status or ""}
    data["guests"] = "true" if filters.guests else "false"
    if filters.product:
        data["product"] = str(team_product(team, filters.product).pk)
    filterset = MemberFilter(data, queryset=members_for_list(team), team=team)
    rows = filterset.qs.order_by(*NAME_ORDER).prefetch_related(_items_prefetch())
    items, page = paged(rows, filters)
    return {**page, "items": [member_out(member) for member in items]}


@router.get(
    "/teams/{team_id}/members/{member_id}",
    auth=team_token,
    response={200: MemberOut, **errors_of(404)},
    operation_id="member_get",
    summary="Get a member",
)
def member_get(request: HttpRequest, team_id: int, member_id: int):
    team = acting_team(request, team_id)
    return _member_read(team, member_id)


class InviteIn(Schema):
    email: str = Field(max_length=254)
    first_name: str = Field(max_length=150)
    last_name: str = Field(max_length=150)
    is_guest: bool = False
    products: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Codes of products to assign at once, with all their items (R-U3); each under the seat rules.",
    )


@router.post(
    "/teams/{team_id}/members",
    auth=team_token,
    response={201: MemberOut, **errors_of(400, 404, 409, 422, 429)},
    operation_id="member_invite",
    summary="Invite a member",
    description=(
        "Invites one person (R-U2, R-T5), who gets the invitation mail (R-U4); an address with an account uses "
        "it (R-U7). Products are assigned at once, each under the seat rules (R-SE1): if one cannot be, nothing "
        "is written (422). The portal's limits of invitations per admin and per team apply (429). Takes an "
        "Idempotency-Key (R-API2)."
    ),
)
@idempotent
def member_invite(request: HttpRequest, team_id: int, payload: InviteIn, idempotency_key: IdempotencyKeyHeader):
    team = acting_team(request, team_id, write=True)
    products = [team_product(team, code) for code in dict.fromkeys(payload.products)]
    try:
        member = account_services.member_invite(
            team=team,
            email=payload.email,
            first_name=payload.first_name,
            last_name=payload.last_name,
            products=products,
            is_guest=payload.is_guest,
            actor=actor(request),
        )
    except ValidationError as error:
        if getattr(error, "code", None) == "invitation_limit":  # the portal's limits (invitations_allow)
            raise refused(429, "INVITATION_LIMIT", error.messages[0]) from None
        raise
    return respond(201, MemberOut.model_validate(_member_read(team, member.pk)).model_dump(mode="json"))


class RoleIn(Schema):
    role: Literal["primary_admin", "secondary_admin", "user"] | None = Field(
        None,
        description="Only a secondary admin becomes primary admin; the former one becomes secondary (R-PA2, R-PA3).",
    )
    is_guest: bool | None = Field(None, description="Admins are never guests (R-G3).")


@router.patch(
    "/teams/{team_id}/members/{member_id}",
    auth=team_token,
    response={200: MemberOut, **errors_of(400, 404, 409, 422)},
    operation_id="member_change_role",
    summary="Change a member's role or guest flag",
    description=(
        "Change role (R-SA1, R-PA2, R-PA3, R-G2, R-G3), as the portal's dialog: the primary admin's role changes "
        "only by making a secondary admin primary (R-PA1); the contract manager stays (R-PA4). Takes an "
        "Idempotency-Key (R-API2)."
    ),
)
@idempotent
def member_change_role(
    request: HttpRequest, team_id: int, member_id: int, payload: RoleIn, idempotency_key: IdempotencyKeyHeader
):
    team = acting_team(request, team_id, write=True)
    member = team_member(team, member_id)
    services.member_change_role(
        member=member, role=payload.role or member.role, is_guest=payload.is_guest, actor=actor(request)
    )
    return respond(200, MemberOut.model_validate(_member_read(team, member.pk)).model_dump(mode="json"))


class DeletedOut(Schema):
    products: list[str] = Field(description="Names of the products the person lost in this team.")


@router.delete(
    "/teams/{team_id}/members/{member_id}",
    auth=team_token,
    response={200: DeletedOut, **errors_of(400, 404, 409, 422)},
    operation_id="member_delete",
    summary="Delete a member",
    description=(
        "Removes the person from the team with every seat of theirs in it (R-D1); the account and their other "
        "teams stay. An admin is refused until their role is User (R-D2, 422). Takes an Idempotency-Key (R-API2)."
    ),
)
@idempotent
def member_delete(request: HttpRequest, team_id: int, member_id: int, idempotency_key: IdempotencyKeyHeader):
    team = acting_team(request, team_id, write=True)
    member = team_member(team, member_id)
    lost = services.member_delete(member=member, actor=actor(request))
    return respond(200, {"products": lost})
