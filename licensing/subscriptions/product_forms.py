"""Forms of By Product (R-BP1, R-BP2): the search of the lists and the "Assign users" dialog.

The dialog keeps its list of people in hidden inputs named `person` and is posted again for every
step (Add, a suggestion picked, a person removed, Customize, Back), so that it works without
JavaScript. A person is a member of the team (`m:<pk>`) or an e-mail address to invite with a first
and last name (`i:["email", "first", "last"]`).

Whether someone may be assigned is the services' rule (assignment_create, member_invite; R-SE1).
The form only says beforehand what they will say (someone already has the product, the list has as
many people as there are free seats), in their words, and turns what was typed into people.

What is typed is looked up among the team's own members only (issue 19): an address that is no
member is offered to invite, in the same words and with the same queries whether or not it has an
account elsewhere, and the names it is invited with are the ones the admin types. The suggestions
never show, and are never found by, the names of an account whose person has not joined the team."""

import json
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from licensing.accounts.models import User
from licensing.accounts.services import EMAIL_INVALID, person_clean
from licensing.teams.models import Member, Team, member_search
from licensing.teams.tables import NAME_ORDER
from portal.fields import ModelMultipleChoiceField, id_from

from .forms import CHOOSE_ITEMS_TO_ASSIGN
from .models import Assignment, Product, ProductItem
from .services import ALREADY_ASSIGNED, NO_FREE_SEAT, NO_SUBSCRIPTION

# The most people one "Assign users" dialog takes; more at once go through By User's bulk actions.
LIST_MAX = 100
# How many members the suggestions show, and how many letters they wait for.
SUGGESTIONS_MAX = 8
SUGGESTIONS_MIN_LENGTH = 2

TYPE_SOMETHING = _("Type a name or e-mail address first.")
NO_MATCH = _("No user of this team matches “%(query)s”. Type their e-mail address to invite them.")
SEVERAL_MATCH = _("Several users match “%(query)s”. Choose one of them below.")
NAMES_NEEDED = _("%(email)s is not a member of this team yet. Enter a first and last name to invite them.")
ALL_LISTED = _("Everyone matching “%(query)s” is already on the list.")
ALREADY_LISTED = _("%(name)s is already on the list.")
LIST_FULL = ngettext_lazy(
    "The list has as many people as there are free seats (%(free)d). Remove someone to add another.",
    "The list has as many people as there are free seats (%(free)d). Remove someone to add another.",
    "free",
)
LIST_TOO_LONG = _("Assign at most %(max)d users at once here. For more, use the bulk actions of By User.")
LIST_EMPTY = _("Add at least one user to the list first.")


class SearchForm(forms.Form):
    """The search box of the By Product list and of a product's assigned users."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)

    @property
    def query(self) -> str:
        return (self.cleaned_data.get("q") or "").strip() if self.is_valid() else ""


def products_search(products, query: str):
    """Products whose name or code, or the name of one of whose items, has every word of `query`."""
    for word in query.split():
        by_item = ProductItem.objects.filter(name__icontains=word).values("product")
        products = products.filter(Q(name__icontains=word) | Q(code__icontains=word) | Q(pk__in=by_item))
    return products


def team_members(team: Team, product: Product):
    """The team's members with their accounts, each with `has_product`: they hold a seat of `product`."""
    return (
        Member.objects.filter(team=team)
        .select_related("user")
        .annotate(has_product=Exists(Assignment.objects.filter(member=OuterRef("pk"), product=product)))
    )


def member_matches(team: Team, product: Product, query: str, *, exclude=(), limit: int = SUGGESTIONS_MAX) -> list:
    """The team's members matching `query` by name (as the team sees it) or e-mail address, by name,
    at most `limit`: the suggestions of "Assign users"."""
    members = team_members(team, product).filter(member_search(query)).exclude(pk__in=list(exclude))
    return list(members.order_by(*NAME_ORDER)[:limit])


def member_with_address(team: Team, product: Product, email: str) -> Member | None:
    """The member of `team` whose e-mail address is `email` in any case, or None: one query, which
    looks at the team's members only, whether or not the address has an account elsewhere."""
    return team_members(team, product).filter(user__in=User.objects.with_email(email)).first()


def address_valid(email: str) -> bool:
    try:
        validate_email(email)
    except ValidationError:
        return False
    return len(email) <= User._meta.get_field("email").max_length


@dataclass(frozen=True)
class Person:
    """Someone on the list of "Assign users": a member of the team, or an e-mail address that is not
    one yet and will be invited with `first_name` and `last_name`."""

    member: Member | None = None
    email: str = ""
    first_name: str = ""
    last_name: str = ""

    @property
    def is_new(self) -> bool:
        return self.member is None

    @property
    def key(self) -> str:
        """The value of the person's hidden input."""
        if self.member is not None:
            return f"m:{self.member.pk}"
        return "i:" + json.dumps([self.email, self.first_name, self.last_name], ensure_ascii=False)

    @property
    def name(self) -> str:
        if self.member is not None:
            return self.member.name
        return f"{self.first_name} {self.last_name}".strip() or self.email

    @property
    def initials(self) -> str:
        first, last = (
            (self.member.first_name, self.member.last_name) if self.member else (self.first_name, self.last_name)
        )
        return ((first[:1] + last[:1]) or self.address[:1]).upper()

    @property
    def address(self) -> str:
        return self.member.user.email if self.member is not None else self.email

    def is_same(self, other: "Person") -> bool:
        if self.member is not None and other.member is not None:
            return self.member.pk == other.member.pk
        return self.address.lower() == other.address.lower()


def _parse_people(values: list[str], team: Team, product: Product) -> tuple[list[Person], int]:
    """The people of the hidden inputs, in their order, with the members loaded in one query; and how
    many were dropped because they are no longer in the team (or the value was not ours)."""
    member_pks, invitees = [], {}
    for value in values[:LIST_MAX]:
        kind, _sep, rest = value.partition(":")
        if kind == "m" and id_from(rest) is not None:
            member_pks.append(id_from(rest))
        elif kind == "i":
            try:
                email, first_name, last_name = json.loads(rest)
                invitees[value] = Person(None, *person_clean(str(email), str(first_name), str(last_name)))
            except (ValueError, TypeError, ValidationError):
                continue
    members = {member.pk: member for member in team_members(team, product).filter(pk__in=member_pks)}
    people, dropped = [], 0
    for value in values[:LIST_MAX]:
        kind, _sep, rest = value.partition(":")
        if kind == "m":
            person = members.get(id_from(rest)) if id_from(rest) is not None else None
            person = Person(member=person) if person is not None else None
        else:
            person = invitees.get(value)
        if person is None:
            dropped += 1
        elif not any(person.is_same(other) for other in people):
            people.append(person)
    return people, dropped + max(0, len(values) - LIST_MAX)


class AssignUsersForm(forms.Form):
    """ "Assign users" of a product (R-BP1): name or e-mail address, "Add", then "Assign" with all the
    product's items or "Customize" to choose them. `people` is the list; `step` is "people" (the
    list) or "items" (Customize)."""

    STEP_PEOPLE = "people"
    STEP_ITEMS = "items"

    query = forms.CharField(label=_("Name or e-mail address"), required=False, max_length=254)
    first_name = forms.CharField(label=_("First name"), required=False, max_length=150)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=150)
    items = ModelMultipleChoiceField(
        label=_("Items"), queryset=ProductItem.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, data=None, *, team: Team, product: Product):
        super().__init__(data)
        self.team = team
        self.product = product  # with the team's seat counts (Product.objects.with_seat_counts)
        self.product_items = list(product.items.all())
        self.fields["items"].queryset = product.items.all()
        self.people: list[Person] = []
        self.matches: list[Member] = []  # several members matched what was typed (shown without JavaScript)
        self.new_email = ""  # an address that is no member yet: ask for the names
        self.no_match = False
        self.step = self.STEP_PEOPLE
        self.keep_typed = True
        self.dropped = 0
        if data is not None:
            self.people, self.dropped = _parse_people(data.getlist("person"), team, product)
            if data.get("step") == self.STEP_ITEMS:
                self.step = self.STEP_ITEMS
        self.is_valid()

    # --- What the dialog shows ---------------------------------------------------------------------

    @property
    def seats_free(self) -> int:
        return self.product.seats_free

    @property
    def room(self) -> int:
        """Free seats left once everyone on the list has one."""
        return self.seats_free - len(self.people)

    @property
    def left(self) -> int:
        return max(self.room, 0)

    @property
    def new_names(self) -> dict:
        """The names shown for `new_email`: as typed, whether or not the address has an account."""
        typed = self.typed
        return {"first_name": typed["first_name"], "last_name": typed["last_name"]}

    @property
    def full_reason(self) -> str:
        """Why nobody more can be added, or "" (R-SE1)."""
        product = self.product
        if product.seats_purchased == 0:
            return str(NO_SUBSCRIPTION % {"product": product.name})
        if self.seats_free <= 0:
            return str(NO_FREE_SEAT % {"seats": product.seats_purchased, "product": product.name})
        if self.room <= 0:
            return str(LIST_FULL % {"free": self.seats_free})
        if len(self.people) >= LIST_MAX:
            return str(LIST_TOO_LONG % {"max": LIST_MAX})
        return ""

    @property
    def typed(self) -> dict:
        """The text fields as they are to be shown again: cleared after a person was added."""
        if not self.is_bound or not self.keep_typed:
            return {"query": "", "first_name": "", "last_name": ""}
        return {name: (self.data.get(name) or "").strip() for name in ("query", "first_name", "last_name")}

    def item_choices(self) -> list[tuple[ProductItem, bool]]:
        """The items of Customize, each ticked (all of them at first)."""
        if self.is_bound and self.data.get("items_shown"):
            ticked = {str(pk) for pk in self.data.getlist("items")}
            return [(item, str(item.pk) in ticked) for item in self.product_items]
        return [(item, True) for item in self.product_items]

    def chosen_items(self) -> list[ProductItem] | None:
        """The ticked items when Customize was used, else None (all items)."""
        if self.step != self.STEP_ITEMS:
            return None
        return list(self.cleaned_data.get("items") or [])

    def suggest(self) -> None:
        """What the suggestions show for what is typed so far: the matching members (those on the
        list left out), or, for an e-mail address that is no member, the offer to invite it."""
        query = self.typed["query"]
        if len(query) < SUGGESTIONS_MIN_LENGTH or "query" in self.errors:  # e.g. a NUL, which no name has
            return
        listed = [person.member.pk for person in self.people if person.member is not None]
        self.matches = member_matches(self.team, self.product, query, exclude=listed)
        if "@" in query and address_valid(query):
            is_member = member_with_address(self.team, self.product, query) is not None
            if not is_member and not any(person.address.lower() == query.lower() for person in self.people):
                self.new_email = query
        self.no_match = not self.matches and not self.new_email and "@" not in query

    # --- Changing the list -------------------------------------------------------------------------

    def _refusal(self, person: Person) -> str:
        if self.full_reason:
            return self.full_reason
        if any(person.is_same(other) for other in self.people):
            return str(ALREADY_LISTED % {"name": person.name})
        if person.member is not None and person.member.has_product:
            return str(ALREADY_ASSIGNED % {"name": person.name, "product": self.product.name})
        return ""

    def _append(self, person: Person, field: str | None = "query") -> bool:
        reason = self._refusal(person)
        if reason:
            self.add_error(field, reason)
            return False
        self.people.append(person)
        self.keep_typed = False
        return True

    def add_typed(self) -> bool:
        """ "Add": the member whose e-mail address was typed, or the only member matching the name
        typed, or a new e-mail address with the names typed (to be invited, R-BP1). Otherwise the
        reason, and the matches to choose from when there are several."""
        query = self.cleaned_data.get("query", "").strip()
        if not query:
            self.add_error("query", TYPE_SOMETHING)
            return False
        if self.full_reason:
            self.add_error("query", self.full_reason)
            return False
        if "@" in query:
            return self._add_address(query)
        matches = member_matches(self.team, self.product, query, limit=SUGGESTIONS_MAX + 1)
        listed = {person.member.pk for person in self.people if person.member is not None}
        unlisted = [member for member in matches if member.pk not in listed]
        if len(matches) == 1 or len(unlisted) == 1:
            # The only one, or the only one not on the list yet ("de" with David on it: Jan).
            return self._append(Person(member=(unlisted or matches)[0]))
        if not matches:
            self.add_error("query", NO_MATCH % {"query": query})
        elif not unlisted:
            self.add_error("query", ALL_LISTED % {"query": query})
        else:
            self.matches = unlisted[:SUGGESTIONS_MAX]
            self.add_error("query", SEVERAL_MATCH % {"query": query})
        return False

    def _add_address(self, email: str) -> bool:
        if not address_valid(email):
            self.add_error("query", EMAIL_INVALID)
            return False
        member = member_with_address(self.team, self.product, email)
        if member is not None:
            return self._append(Person(member=member))
        # Not a member: invited with the names typed, whether or not the address has an account
        # elsewhere (R-U7 uses that account; its names are not this team's to see).
        first_name = self.cleaned_data.get("first_name", "")
        last_name = self.cleaned_data.get("last_name", "")
        self.new_email = email
        if not (first_name or last_name):
            self.add_error("first_name", NAMES_NEEDED % {"email": email})
            return False
        try:
            email, first_name, last_name = person_clean(email, first_name, last_name)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error("query" if field == "email" else field, messages)
            return False
        if self._append(Person(None, email, first_name, last_name)):
            self.new_email = ""
            return True
        return False

    def add_member(self, pk: str) -> bool:
        """A suggestion chosen: the member `pk` of the team."""
        member = team_members(self.team, self.product).filter(pk=id_from(pk)).first() if id_from(pk) else None
        if member is None:
            self.dropped += 1
            return False
        return self._append(Person(member=member), field=None)

    def remove(self, index: str) -> None:
        """The person at `index` (0-based, as the list shows them) off the list."""
        if index.isascii() and index.isdigit() and int(index) < len(self.people):
            del self.people[int(index)]

    def check_assign(self) -> bool:
        """Before "Assign": someone on the list, and at least one item when Customize was used."""
        if not self.people:
            self.add_error(None, LIST_EMPTY)
        elif self.step == self.STEP_ITEMS and self.product_items and not self.cleaned_data.get("items"):
            self.add_error(None, CHOOSE_ITEMS_TO_ASSIGN)
        return not self.errors
