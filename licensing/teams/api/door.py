"""The door of the team-admin API (issue 21 §3, R-API3), shared by its routers (licensing.teams.api,
licensing.subscriptions.api, licensing.groups.api, licensing.reports.api, licensing.activity.api): the
personal access token (`team_token`), the team a request may act on (`acting_team`, per request,
through `teams.permissions.is_team_admin`), the members and products of that team, paging, and the
problems (RFC 9457, licensing.integrations.problems) its operations answer."""

import json

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
from ninja.responses import NinjaJSONEncoder
from ninja.security import HttpBearer

from licensing.accounts import access_tokens
from licensing.accounts.models import AccessToken
from licensing.integrations import problems
from licensing.subscriptions.models import Product
from licensing.teams.models import Member, Team

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50

TOKEN_REVOKED = _("This access token was revoked. Create a new one in the portal: account menu › API tokens.")
TOKEN_EXPIRED = _("This access token expired on %(date)s. Create a new one in the portal: account menu › API tokens.")
OWNER_DEACTIVATED = _("The account this access token belongs to is deactivated.")
TEAM_NOT_FOUND = _("There is no team %(id)s that this token may act on.")
MEMBER_NOT_FOUND = _("Team %(team)s has no member %(id)s.")
READ_ONLY = _("This token may only read. Create a token with read and write access to change anything.")
SECOND_FACTOR = _(
    "%(team)s requires its admins to sign in with a second factor, and you have none. Set one up in the "
    "portal (account menu › Two-step sign-in); the token works there again once you have."
)
PRODUCT_UNKNOWN = _("Team %(team)s has no product with the code “%(code)s”.")

TAG = "Team admin"


# --- The door -----------------------------------------------------------------------------------


class TeamToken(HttpBearer):
    """`Authorization: Bearer sk_pat_...`: a personal access token, or a 401 problem (unknown,
    revoked, expired, its owner deactivated)."""

    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest):
        problems.mark(request)
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> AccessToken | None:
        try:
            return access_tokens.access_token_authenticate(token)
        except access_tokens.TokenRefused as refused:
            if refused.reason == "revoked":
                detail = TOKEN_REVOKED
            elif refused.reason == "expired":
                detail = TOKEN_EXPIRED % {"date": timezone.localdate(refused.token.expires_at).isoformat()}
            else:
                detail = OWNER_DEACTIVATED
            raise problems.Problem(
                401, detail, slug=f"token-{refused.reason}", headers={"WWW-Authenticate": "Bearer"}
            ) from None


team_token = TeamToken()


def acting_team(request: HttpRequest, team_id: int, *, write: bool = False) -> Team:
    """The team `team_id` when the request's token may act on it now (R-API3), else a problem: 404
    for a team it may not act on (there or not: nothing is learnt of other teams), 403 for a team
    that requires a second factor its owner lacks, 403 for a write with a read-only token."""
    token: AccessToken = request.auth
    try:
        team = access_tokens.token_team(token, team_id)
    except access_tokens.TeamNotFound:
        raise problems.Problem(404, TEAM_NOT_FOUND % {"id": team_id}, slug="team-not-found") from None
    except access_tokens.SecondFactorMissing:
        raise problems.Problem(403, SECOND_FACTOR % {"team": team_id}, slug="second-factor-required") from None
    if write and not token.can_write:
        message = str(READ_ONLY)
        raise problems.Problem(
            403,
            message,
            slug="token-read-only",
            errors=[{"field": None, "rule": "TOKEN_READ_ONLY", "message": message}],
        )
    return team


def refused(status: int, rule: str, message, *, field: str | None = None) -> problems.Problem:
    """A problem for one broken rule (its code, upper case; the slug is the same in lower case)."""
    message = str(message)
    slug = rule.lower().replace("_", "-")
    return problems.Problem(status, message, slug=slug, errors=[{"field": field, "rule": rule, "message": message}])


def actor(request: HttpRequest):
    """Who acts: the token's owner, as in the portal (the activity log says "via API")."""
    return request.auth.user


def team_member(team: Team, member_id: int, queryset: QuerySet | None = None) -> Member:
    """A member of `team`; another team's member is 404."""
    queryset = queryset if queryset is not None else Member.objects.select_related("user", "team")
    member = queryset.filter(team=team, pk=member_id).first()
    if member is None:
        raise problems.Problem(404, MEMBER_NOT_FOUND % {"team": team.pk, "id": member_id}, slug="member-not-found")
    return member


def team_product(team: Team, code: str) -> Product:
    """A product the team has a subscription or assignments of, by its code; else 404."""
    product = Product.objects.of_team(team).filter(code=code).prefetch_related("items").first()
    if product is None:
        raise problems.Problem(404, PRODUCT_UNKNOWN % {"team": team.pk, "code": code}, slug="product-not-found")
    return product


class PageIn(Schema):
    page: int = Field(1, ge=1, description="The page, from 1.")
    size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description=f"Rows a page, at most {MAX_PAGE_SIZE}.")


class PageOut(Schema):
    count: int = Field(description="Rows in all pages.")
    page: int
    size: int
    pages: int = Field(description="The number of pages (0 when there are no rows).")


def paged(rows, paging: PageIn, count: int | None = None) -> tuple[list, dict]:
    """The page `paging` asks of `rows` (a queryset or anything sliceable), and the paging's figures."""
    count = rows.count() if count is None else count
    start = (paging.page - 1) * paging.size
    items = list(rows[start : start + paging.size]) if start < count else []
    pages = (count + paging.size - 1) // paging.size
    return items, {"count": count, "page": paging.page, "size": paging.size, "pages": pages}


def respond(status: int, body) -> HttpResponse:
    """An answer made here, JSON as django-ninja renders it (stored as it is by the idempotency of
    writes)."""
    return HttpResponse(json.dumps(body, cls=NinjaJSONEncoder), status=status, content_type="application/json")


def errors_of(*statuses: int) -> dict:
    """The problems an operation answers, for the OpenAPI document: those of every operation with a
    token, 422 for an argument that is not valid (a team id that is no number), and `statuses`."""
    return problems.responses(*problems.COMMON, 422, *statuses)
