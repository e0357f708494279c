"""Paginating the portal's django-tables2 tables: the one way every list view cuts its page.

django-tables2's `RequestConfig` takes `?per_page=` and `?page=` from the query string as they come:
`?per_page=1000000` renders a team of 27,501 members on one page (18.5 s and 126 MB for By User).
`paginate` accepts only the page sizes of PAGE_SIZES and a page that is a number; anything else is
the table's own page size and the first page. CSV exports only sort (`order`): they are meant whole."""

from django.core.paginator import EmptyPage, Paginator
from django.utils.html import format_html

# The page sizes a list may be asked for; any other `?per_page=` is the table's default.
PAGE_SIZES = (25, 50, 100)


class CountedPaginator(Paginator):
    """A paginator told how many rows there are (a count the view has already, cheaper than a
    COUNT(*) over the rows' query); the page itself is still a slice of that query."""

    def __init__(self, object_list, per_page, *, count: int, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._count = count

    @property
    def count(self) -> int:
        return self._count


def _number(value: str | None) -> int | None:
    """`value` as a positive whole number of at most 9 digits, else None ("1e9", "-5", "٣" are not)."""
    if value is None or not (value.isascii() and value.isdigit()) or len(value) > 9:
        return None
    return int(value) or None


def page_size(value: str | None, default: int) -> int:
    """The page size asked for, if it is one of PAGE_SIZES; otherwise `default`."""
    size = _number(value)
    return size if size in PAGE_SIZES else default


def order(request, table):
    """Sort `table` as the request asks (`?sort=`), without paginating it: what a CSV export of the
    table does, which holds every row in the order of the screen."""
    table.request = request
    order_by = request.GET.getlist(table.prefixed_order_by_field)
    if order_by:
        table.order_by = order_by
    return table


def paginate(request, table, *, per_page: int | None = None, count: int | None = None):
    """Sort `table` as the request asks and cut the page it asks for: `?per_page=` only from
    PAGE_SIZES (else `per_page`, by default the table's Meta.per_page), `?page=` a number (else the
    first page; past the last page, the last). `count`: the number of rows, when the view knows it
    without a COUNT(*) (see CountedPaginator)."""
    order(request, table)
    size = page_size(request.GET.get(table.prefixed_per_page_field), per_page or table._meta.per_page)
    number = _number(request.GET.get(table.prefixed_page_field)) or 1
    extra = {"paginator_class": CountedPaginator, "count": count} if count is not None else {}
    try:
        table.paginate(per_page=size, page=number, **extra)
    except EmptyPage:
        table.page = table.paginator.page(table.paginator.num_pages)
    table.page_sizes = PAGE_SIZES  # the choice under the table (portal/_table.html)
    return table


def email_html(address: str, css: str = "sk-member-email"):
    """An address in a span of class `css`: a long one wraps, preferably before its @ (<wbr>), and is
    never cut."""
    local, at, domain = address.rpartition("@")
    if not at:
        return format_html('<span class="{}">{}</span>', css, address)
    return format_html('<span class="{}">{}<wbr>@{}</span>', css, local, domain)
