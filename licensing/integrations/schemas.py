"""Building blocks of the integration APIs' schemas: text a database can store, ids in range, paging."""

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Path, Query, Schema
from pydantic import AfterValidator

CHARACTER_NOT_ALLOWED = _("The text contains a character that is not allowed (NUL).")
# The largest id of a BigAutoField: a larger number in a path or a body is refused as invalid (422)
# before PostgreSQL would refuse it as out of range (500).
MAX_ID = 2**63 - 1
PAGE_MAX = 200


def storable(value: str) -> str:
    """No NUL character, which PostgreSQL cannot store or compare in text."""
    if "\x00" in value:
        raise ValueError(str(CHARACTER_NOT_ALLOWED))
    return value


def Text(max_length: int, *, min_length: int = 0, description: str | None = None):
    return Annotated[
        str, AfterValidator(storable), Field(min_length=min_length, max_length=max_length, description=description)
    ]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


class Paging(Schema):
    limit: int = Field(50, ge=1, le=PAGE_MAX, description=f"At most {PAGE_MAX} rows a page.")
    offset: int = Field(0, ge=0, le=10**9)


PagingQuery = Query[Paging]


def page(queryset, paging: Paging) -> tuple[int, list]:
    """(how many rows in all, the rows of this page)."""
    return queryset.count(), list(queryset[paging.offset : paging.offset + paging.limit])


def answer(request: HttpRequest, status: int, schema: type[Schema], obj) -> HttpResponse:
    """`obj` in the shape of `schema`, as the response itself: what an idempotent write stores and
    replays is exactly what it sent."""
    from .problems import api_of

    body = schema.model_validate(obj, from_attributes=True).model_dump(mode="json")
    return api_of().create_response(request, body, status=status)
