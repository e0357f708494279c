"""Changes to teams and to people's places in them: create and rename a team, change a member's
role or guest flag, delete a member. Each is one transaction that locks the team first."""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.accounts.invitations import invitation_send
from licensing.accounts.mfa import without_second_factor
from licensing.accounts.models import Invitation, User
from licensing.activity.models import ActivityEvent
from licensing.activity.services import event_record
from licensing.groups.models import AssignmentGrant, Group, GroupMember, GroupProduct
from licensing.groups.seats import groups_giving, member_groups_leave, seats_free, seats_give, waiting_seat
from licensing.subscriptions.models import Assignment, Product, ProductItem, Subscription
from licensing.teams.models import Customer, Member, Team
from licensing.teams.permissions import can_manage_members, can_require_second_factor, is_support
from portal.db import service_transaction
from portal.mail import mail_send

TEAM_NAME_REQUIRED = _("Enter a name for the team.")
TEAM_NAME_TOO_LONG = _("A team name can be at most 100 characters.")
ONLY_SECONDARY_CAN_BECOME_PRIMARY = _(
    "Only a secondary admin can become primary admin. Make %(name)s a secondary admin first."
)
PRIMARY_ADMIN_NEEDED = _(
    "Every team needs a primary admin. To change %(name)s's role, first make a secondary admin "
    "the primary admin; %(name)s then becomes a secondary admin."
)
ADMIN_CANNOT_BE_GUEST = _(
    "Primary and secondary admins cannot be guests. Untick “This is a guest user” or keep the role User."
)
ADMIN_CANNOT_BE_DELETED = _("%(name)s is an admin of this team. Change their role to User before you delete them.")
NOT_ALLOWED = _("You are not an admin of this team.")
MEMBER_GONE = _("%(name)s is no longer a member of this team: another admin has just removed them.")
# OWASP's list of the cell starts that spreadsheets read as a formula ("CSV injection"). The CSV
# exports neutralise such cells (portal.csv_export), and the names people type are refused at the door
# too, by `validate_not_formula`, wherever they come in: a person's names and address
# (accounts.services.person_clean: the invite dialogs, Invite Multiple, Assign users, the import) and a
# team's name (team_create, team_rename).
FORMULA_STARTS = ("=", "+", "-", "@")
FORMULA = _(
    "%(column)s starts with “%(char)s”, so a spreadsheet would read it as a formula (like =HYPERLINK(…)). "
    "Type the plain text instead."
)
TEAM_NAME_LABEL = _("Team name")
CUSTOMER_NAME_REQUIRED = _("Enter the customer's name.")
CUSTOMER_NAME_TOO_LONG = _("A customer's name can be at most 200 characters.")
CUSTOMER_NAME_LABEL = _("Customer name")


def require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(NOT_ALLOWED)


def lock_teams(*teams: Team) -> list[Team]:
    """Lock the rows of `teams`, in primary-key order.

    Every change to a team's members, roles or seats locks the team row first, so two admins
    acting at once queue instead of both reading the same free seat or the same primary admin.
    Locking in key order means two transactions that need the same two teams (a subscription
    moved each way) cannot deadlock. On SQLite the IMMEDIATE transaction already serialises
    writers, and this is a plain read.
    """
    pks = sorted({team.pk for team in teams})
    return list(Team.objects.select_for_update().filter(pk__in=pks).order_by("pk"))


def validate_not_formula(value: str, *, label) -> None:
    """The one rule for text that people type as a name (see FORMULA_STARTS): it does not start like
    a spreadsheet formula. ValidationError(FORMULA), naming the field by `label`, if it does."""
    if value.startswith(FORMULA_STARTS):
        raise ValidationError(FORMULA % {"column": label, "char": value[0]}, code="formula")


def _clean_team_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(TEAM_NAME_REQUIRED, code="name_required")
    if len(name) > 100:
        raise ValidationError(TEAM_NAME_TOO_LONG, code="name_too_long")
    validate_not_formula(name, label=TEAM_NAME_LABEL)
    return name


@service_transaction
def customer_create(*, name: str, actor=None) -> Customer:
    """A new customer (a company), before its first contract (the order system, support staff). It has
    no team yet: its first contract makes one (R-T2), so there is no team's activity log to write to."""
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": [ValidationError(CUSTOMER_NAME_REQUIRED, code="required")]})
    if len(name) > 200:
        raise ValidationError({"name": [ValidationError(CUSTOMER_NAME_TOO_LONG, code="too_long")]})
    try:
        validate_not_formula(name, label=CUSTOMER_NAME_LABEL)
    except ValidationError as error:
        raise ValidationError({"name": [error]}) from error
    return Customer.objects.create(name=name)


def default_team_name(user) -> str:
    """R-T2: a first team is named after its first primary admin, e.g. "Jan de Vries's team". A name
    that starts like a formula (an account made before the rule) loses those characters, so that a
    purchase is never refused for it."""
    name = (user.get_full_name() or user.email).lstrip("".join(FORMULA_STARTS) + " ")
    return str(_("%(name)s's team") % {"name": name})[:100]


@service_transaction
def team_create(*, customer: Customer, name: str, primary_admin, actor=None) -> Team:
    """Create a team of `customer` with `primary_admin` (a User) as its primary admin (R-T3, R-PA1).

    From the portal the actor is an admin of another team of the same customer and becomes the new
    team's primary admin; the system (a first purchase, R-T2) passes no actor.
    """
    if actor is not None and not is_support(actor):
        # An active admin of one of the customer's teams; an admin who has not accepted yet has no rights.
        require(Team.objects.administered_by(actor).filter(customer=customer).exists())
    team = Team.objects.create(customer=customer, name=_clean_team_name(name), created_by=actor)
    now = timezone.now()
    has_account = primary_admin.has_usable_password()
    member = Member.objects.create(
        team=team,
        user=primary_admin,
        role=Member.Role.PRIMARY_ADMIN,
        status=Member.Status.ACTIVE if has_account else Member.Status.INVITED,
        invited_at=now,
        invited_by=actor,
        accepted_at=now if has_account else None,
        # Until they accept, the team sees the names the account was made with (by the order
        # system or support staff, R-T2).
        invited_first_name=primary_admin.first_name,
        invited_last_name=primary_admin.last_name,
    )
    event_record(
        action=ActivityEvent.Action.TEAM_CREATED,
        actor=actor,
        team=team,
        target_user=primary_admin,
        target=team.name,
        after={"name": team.name, "primary_admin": primary_admin.email},
    )
    if not has_account:
        # Someone who has never signed in (a first purchase's contract manager) gets an invitation.
        invitation_send(member=member, actor=actor)
    return team


@service_transaction
def team_rename(*, team: Team, name: str, actor) -> Team:
    """Give the team a new name (R-T4). Nothing happens when the name does not change."""
    require(can_manage_members(actor, team))
    (team,) = lock_teams(team)
    name = _clean_team_name(name)
    if name == team.name:
        return team
    old = team.name
    team.name = name
    team.save(update_fields=["name"])
    event_record(
        action=ActivityEvent.Action.TEAM_RENAMED,
        actor=actor,
        team=team,
        target=name,
        before={"name": old},
        after={"name": name},
    )
    return team


def _name(member: Member) -> str:
    return member.name  # as the team sees them (Member.name)


def member_read_again(member: Member) -> Member:
    """`member` as it is now, read again under the team's lock (`lock_teams`): another admin may have
    changed it meanwhile. ValidationError(MEMBER_GONE) when another admin has deleted it meanwhile
    (R-D1), so that the admin who acted second is told so instead of shown a server error."""
    fresh = Member.objects.select_related("user", "team").filter(pk=member.pk).first()
    if fresh is None:
        raise ValidationError(MEMBER_GONE % {"name": _name(member)}, code="member_gone")
    return fresh


@service_transaction
def member_change_role(*, member: Member, role: str, is_guest: bool | None = None, actor) -> Member:
    """The "Change role" dialog: set the member's role and, optionally, the guest flag.

    - Only a secondary admin can become primary admin (R-PA2); the former primary admin becomes a
      secondary admin in the same transaction (R-PA3). The contract manager does not change (R-PA4).
    - The primary admin's role changes only by making someone else primary (R-PA1).
    - Admins are never guests (R-G3): asking for both is refused, not half done.
    Nothing is written when nothing changes.
    """
    team = member.team
    require(can_manage_members(actor, team))
    lock_teams(team)
    member = member_read_again(member)
    role = Member.Role(role)
    want_guest = member.is_guest if is_guest is None else is_guest
    if role == member.role and want_guest == member.is_guest:
        return member
    if role in Member.ADMIN_ROLES and want_guest:
        raise ValidationError(ADMIN_CANNOT_BE_GUEST, code="admin_guest")
    if member.role == Member.Role.PRIMARY_ADMIN and role != Member.Role.PRIMARY_ADMIN:
        raise ValidationError(PRIMARY_ADMIN_NEEDED % {"name": _name(member)}, code="primary_needed")
    if role == Member.Role.PRIMARY_ADMIN and member.role != Member.Role.SECONDARY_ADMIN:
        raise ValidationError(ONLY_SECONDARY_CAN_BECOME_PRIMARY % {"name": _name(member)}, code="not_secondary")

    if want_guest != member.is_guest and not want_guest:
        _set_guest(member, False, actor)  # untick first: the role below may be an admin role
    if role != member.role:
        if role == Member.Role.PRIMARY_ADMIN:
            _reassign_primary(member, actor)
        else:
            _set_role(member, role, actor)
    if want_guest != member.is_guest:
        _set_guest(member, want_guest, actor)
    return member


def member_set_guest(*, member: Member, is_guest: bool, actor) -> Member:
    """Mark or unmark a guest (R-G2); refused for admins (R-G3)."""
    return member_change_role(member=member, role=member.role, is_guest=is_guest, actor=actor)


def _set_guest(member: Member, is_guest: bool, actor) -> None:
    member.is_guest = is_guest
    member.save(update_fields=["is_guest"])
    event_record(
        action=ActivityEvent.Action.GUEST_CHANGED,
        actor=actor,
        team=member.team,
        target_user=member.user,
        target=_name(member),
        before={"guest": not is_guest},
        after={"guest": is_guest},
    )


def _set_role(member: Member, role: str, actor, *, notify: bool = True) -> None:
    old = member.role
    member.role = role
    member.save(update_fields=["role"])
    event_record(
        action=ActivityEvent.Action.ROLE_CHANGED,
        actor=actor,
        team=member.team,
        target_user=member.user,
        target=_name(member),
        before={"role": old},
        after={"role": role},
    )
    if notify and role in Member.ADMIN_ROLES and old not in Member.ADMIN_ROLES:
        mail_send(to=member.user, template="role_admin", context={"member": member, "actor": actor})


def _reassign_primary(member: Member, actor) -> None:
    # Demote first, then promote: the database allows one primary admin per team at any moment.
    former = Member.objects.select_related("user").filter(team=member.team, role=Member.Role.PRIMARY_ADMIN).first()
    if former is not None:
        _set_role(former, Member.Role.SECONDARY_ADMIN, actor, notify=False)
    _set_role(member, Member.Role.PRIMARY_ADMIN, actor, notify=False)
    context = {"team": member.team, "new": member, "former": former, "actor": actor}
    mail_send(to=member.user, template="primary_admin_new", context=context)
    if former is not None:
        mail_send(to=former.user, template="primary_admin_former", context=context)


def member_make_admin_for_system(*, member: Member, role: str) -> None:
    """Used by the purchase services (R-SA3, R-SA4): give `member` an admin role without an actor.

    A guest loses the guest flag first (R-G3); a primary admin stays primary.
    """
    if member.role == Member.Role.PRIMARY_ADMIN or member.role == role:
        return
    if member.is_guest:
        _set_guest(member, False, None)
    if role == Member.Role.PRIMARY_ADMIN:
        if member.role != Member.Role.SECONDARY_ADMIN:
            _set_role(member, Member.Role.SECONDARY_ADMIN, None, notify=False)
        _reassign_primary(member, None)
    else:
        _set_role(member, role, None)


@service_transaction
def member_delete(*, member: Member, actor, snapshot: list | None = None) -> list[str]:
    """Remove a member from the team (R-D1): every assignment in this team goes with it at once;
    the account and the person's other teams stay. Admins are refused until their role is User
    (R-D2). Returns the names of the products the person lost. Given a list as `snapshot`, appends
    to it what went (a `MemberSnapshot`), for "Undo" (`member_restore`)."""
    team = member.team
    require(can_manage_members(actor, team))
    lock_teams(team)
    member = member_read_again(member)
    if member.is_admin:
        raise ValidationError(ADMIN_CANNOT_BE_DELETED % {"name": _name(member)}, code="admin")
    assignments = list(Assignment.objects.filter(member=member).select_related("product").prefetch_related("items"))
    if snapshot is not None:
        # Run again after a conflict (service_transaction): the member's snapshot once, the last one.
        snapshot[:] = [*(s for s in snapshot if s.member_id != member.pk), MemberSnapshot.of(member, assignments)]
    lost = [a.product.name for a in assignments]
    giving = groups_giving([a.pk for a in assignments])
    for assignment in assignments:
        before = {"items": sorted(item.code for item in assignment.items.all())}
        if giving[assignment.pk]:
            # R-GR8: the seat went with the groups that gave it too (R-GR7); the log names them.
            before["group"] = ", ".join(sorted(giving[assignment.pk], key=str.lower))
            before["direct"] = assignment.direct
        event_record(
            action=ActivityEvent.Action.PRODUCT_UNASSIGNED,
            actor=actor,
            team=team,
            target_user=member.user,
            product=assignment.product,
            target=_name(member),
            before=before,
            after=None,
        )
    event_record(
        action=ActivityEvent.Action.MEMBER_DELETED,
        actor=actor,
        team=team,
        target_user=member.user,
        target=_name(member),
        before={"role": member.role, "guest": member.is_guest, "status": member.status, "products": lost},
    )
    member_groups_leave(member=member, actor=actor)  # R-GR7: their groups' rows go with them
    member.delete()  # assignments, invitations, group memberships and seat waits cascade
    for assignment in assignments:
        waiting_seat(team, assignment.product, actor)  # R-GR5: each seat freed seats the oldest waiting
    return lost


# --- Undo of a delete (issue 22) ----------------------------------------------------------------

RESTORE_MEMBER_GONE = _("%(name)s is no longer a member of this team.")
RESTORE_NO_FREE_SEAT = _(
    "Its seat was taken meanwhile: all %(seats)d seats of %(product)s in this team are assigned. "
    "Unassign someone or buy more seats, then assign it again."
)
RESTORE_NO_SUBSCRIPTION = _("This team has no active subscription of %(product)s any more.")
RESTORE_MEMBER_AGAIN = _("%(name)s is a member of this team again already (invited again meanwhile): nothing restored.")
RESTORE_ACCOUNT_GONE = _("The account of %(name)s no longer exists: nothing restored.")


@dataclass(frozen=True)
class MemberSnapshot:
    """A member as they were before "Delete" (R-D1), for "Undo": their place in the team (role, guest
    flag, status, the names the team typed), the seats assigned to them directly with the items
    chosen directly and since when, the groups they were in since when, and their invitations still
    pending. Seats that groups alone gave are not kept: they come back through the groups (R-GR2)."""

    member_id: int
    user_id: int
    name: str
    role: str
    is_guest: bool
    status: str
    invited_at: str
    invited_by_id: int | None
    accepted_at: str | None
    invited_first_name: str
    invited_last_name: str
    # (assignment id, product id, item ids, assigned at, assigned by id)
    seats: tuple = ()
    # (group id, joined at)
    groups: tuple = ()
    # (token hash, sent by id, created at, expires at): the link mailed works again once restored
    invitations: tuple = ()

    @classmethod
    def of(cls, member: Member, assignments: list[Assignment]) -> "MemberSnapshot":
        direct = [a for a in assignments if a.direct]
        shared = set(AssignmentGrant.objects.filter(assignment__in=direct).values_list("assignment_id", flat=True))
        direct_items = {}
        if shared:
            through = Assignment.direct_items.through
            for assignment_id, item_id in through.objects.filter(assignment_id__in=shared).values_list(
                "assignment_id", "productitem_id"
            ):
                direct_items.setdefault(assignment_id, []).append(item_id)
        seats = tuple(
            (
                a.pk,
                a.product_id,
                sorted(direct_items.get(a.pk, [])) if a.pk in shared else sorted(i.pk for i in a.items.all()),
                a.assigned_at.isoformat(),
                a.assigned_by_id,
            )
            for a in direct
        )
        groups = tuple(
            (group_id, joined_at.isoformat())
            for group_id, joined_at in GroupMember.objects.filter(member=member)
            .order_by("joined_at", "pk")
            .values_list("group_id", "joined_at")
        )
        invitations = tuple(
            (i.token_hash, i.sent_by_id, i.created_at.isoformat(), i.expires_at.isoformat())
            for i in Invitation.objects.filter(member=member).pending().order_by("created_at", "pk")
        )
        return cls(
            member_id=member.pk,
            user_id=member.user_id,
            name=_name(member),
            role=member.role,
            is_guest=member.is_guest,
            status=member.status,
            invited_at=member.invited_at.isoformat(),
            invited_by_id=member.invited_by_id,
            accepted_at=member.accepted_at.isoformat() if member.accepted_at else None,
            invited_first_name=member.invited_first_name,
            invited_last_name=member.invited_last_name,
            seats=seats,
            groups=groups,
            invitations=invitations,
        )

    def to_data(self) -> dict:
        """JSON for a signed token (portal.undo)."""
        return {
            **{name: getattr(self, name) for name in self.__dataclass_fields__},
            "seats": [list(seat) for seat in self.seats],
            "groups": [list(group) for group in self.groups],
            "invitations": [list(invitation) for invitation in self.invitations],
        }

    @classmethod
    def from_data(cls, data) -> "MemberSnapshot":
        """The snapshot `to_data` wrote; ValueError for anything else."""
        try:
            snapshot = cls(
                member_id=int(data["member_id"]),
                user_id=int(data["user_id"]),
                name=str(data["name"]),
                role=Member.Role(data["role"]),
                is_guest=bool(data["is_guest"]),
                status=Member.Status(data["status"]),
                invited_at=str(data["invited_at"]),
                invited_by_id=_int_or_none(data["invited_by_id"]),
                accepted_at=None if data["accepted_at"] is None else str(data["accepted_at"]),
                invited_first_name=str(data["invited_first_name"]),
                invited_last_name=str(data["invited_last_name"]),
                seats=tuple(
                    (int(pk), int(product), tuple(int(i) for i in items), str(at), _int_or_none(by))
                    for pk, product, items, at, by in data["seats"]
                ),
                groups=tuple((int(group), str(joined)) for group, joined in data["groups"]),
                invitations=tuple(
                    (str(token_hash), _int_or_none(by), str(created), str(expires))
                    for token_hash, by, created, expires in data["invitations"]
                ),
            )
            for moment in (
                snapshot.invited_at,
                *([snapshot.accepted_at] if snapshot.accepted_at else []),
                *(seat[3] for seat in snapshot.seats),
                *(group[1] for group in snapshot.groups),
                *(moment for invitation in snapshot.invitations for moment in invitation[2:]),
            ):
                datetime.fromisoformat(moment)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError("not a member snapshot") from error
        if snapshot.role in Member.ADMIN_ROLES:  # R-D2: admins are never deleted, so never restored
            raise ValueError("not a member snapshot")
        return snapshot


def _int_or_none(value) -> int | None:
    return None if value is None else int(value)


@dataclass
class MemberRestored:
    """What "Undo" of a delete did for one person: `restored` (the membership back), `already` (back
    before: an "Undo" clicked twice), or `refused` with the reason; and the seats refused, each
    ("person – product", reason)."""

    name: str
    restored: bool = False
    already: bool = False
    refused: str = ""
    seats_refused: list[tuple[str, str]] = field(default_factory=list)


@service_transaction
def member_restore(*, team: Team, snapshot: MemberSnapshot, actor) -> MemberRestored:
    """ "Undo" after "Delete" (issue 22, R-D1): the member back in the team with the same id, role
    (user or guest: admins are never deleted, R-D2), status and names, their pending invitation (the
    link mailed works again), the seats assigned to them directly with their items and places in the
    pool's order, and their groups, whose products come back through the groups' seat rules (R-GR2,
    R-GR3: one seat per member and product; R-GR5: waiting when the pool is full).

    Checked again under the team's lock: a member back already (a second "Undo") is left as it is; a
    person invited again meanwhile, or whose account is gone, is refused; a seat another member took
    meanwhile (R-SE1) is refused with the reason and the rest restored. Activity rows: "User
    restored", one "Assignment restored" per seat, "Added to group" per group. No mail: no fresh
    invitation (the earlier link works again), no "product assigned" (they had it minutes ago)."""
    require(can_manage_members(actor, team))
    (team,) = lock_teams(team)
    result = MemberRestored(name=snapshot.name)
    if Member.objects.filter(pk=snapshot.member_id).exists():
        result.already = True
        return result
    user = User.objects.filter(pk=snapshot.user_id).first()
    if user is None:
        result.refused = str(RESTORE_ACCOUNT_GONE % {"name": snapshot.name})
        return result
    if Member.objects.filter(team=team, user=user).exists():
        result.refused = str(RESTORE_MEMBER_AGAIN % {"name": snapshot.name})
        return result
    member = Member.objects.create(
        pk=snapshot.member_id,
        team=team,
        user=user,
        role=snapshot.role,
        is_guest=snapshot.is_guest,
        status=snapshot.status,
        invited_at=datetime.fromisoformat(snapshot.invited_at),
        invited_by_id=snapshot.invited_by_id,
        accepted_at=datetime.fromisoformat(snapshot.accepted_at) if snapshot.accepted_at else None,
        invited_first_name=snapshot.invited_first_name,
        invited_last_name=snapshot.invited_last_name,
    )
    result.restored = True
    for token_hash, sent_by_id, created_at, expires_at in snapshot.invitations:
        if not Invitation.objects.filter(token_hash=token_hash).exists():
            Invitation.objects.create(
                member=member,
                token_hash=token_hash,
                sent_by_id=sent_by_id,
                created_at=datetime.fromisoformat(created_at),
                expires_at=datetime.fromisoformat(expires_at),
            )
    products = {p.pk: p for p in Product.objects.filter(pk__in=[seat[1] for seat in snapshot.seats])}
    restored_products = []
    for assignment_id, product_id, item_ids, assigned_at, assigned_by_id in snapshot.seats:
        product = products.get(product_id)
        if product is None:
            continue
        who = f"{_name(member)} – {product.name}"
        purchased = Subscription.objects.seats_of(team, product)
        if purchased == 0:
            result.seats_refused.append((who, str(RESTORE_NO_SUBSCRIPTION % {"product": product.name})))
            continue
        if seats_free(team, product) <= 0:  # R-SE1
            reason = RESTORE_NO_FREE_SEAT % {"seats": purchased, "product": product.name}
            result.seats_refused.append((who, str(reason)))
            continue
        taken = Assignment.objects.filter(pk=assignment_id).exists()
        assignment = Assignment.objects.create(
            pk=None if taken else assignment_id,
            member=member,
            product=product,
            assigned_by_id=assigned_by_id,
            assigned_at=datetime.fromisoformat(assigned_at),
        )
        items = list(ProductItem.objects.filter(product=product, pk__in=item_ids))
        assignment.items.set(items)
        restored_products.append(product.name)
        event_record(
            action=ActivityEvent.Action.ASSIGNMENT_RESTORED,
            actor=actor,
            team=team,
            target_user=user,
            product=product,
            target=_name(member),
            after={"items": sorted(item.code for item in items)},
        )
    groups = {g.pk: g for g in Group.objects.filter(team=team, pk__in=[group_id for group_id, _ in snapshot.groups])}
    memberships = [
        GroupMember(group=groups[group_id], member=member, joined_at=datetime.fromisoformat(joined_at))
        for group_id, joined_at in snapshot.groups
        if group_id in groups
    ]
    GroupMember.objects.bulk_create(memberships)
    event_record(
        action=ActivityEvent.Action.MEMBER_RESTORED,
        actor=actor,
        team=team,
        target_user=user,
        target=_name(member),
        after={
            "role": member.role,
            "guest": member.is_guest,
            "status": member.status,
            "products": restored_products,
            **({"group": ", ".join(sorted((m.group.name for m in memberships), key=str.lower))} if memberships else {}),
        },
    )
    for membership in memberships:
        event_record(
            action=ActivityEvent.Action.GROUP_MEMBER_ADDED,
            actor=actor,
            team=team,
            target_user=user,
            target=_name(member),
            after={"group": membership.group.name},
        )
        for group_product in GroupProduct.objects.filter(group=membership.group).select_related("product"):
            waiting_seat(team, group_product.product, actor)  # the ones waiting already come first (R-GR5)
            seats_give(
                group=membership.group,
                product=group_product.product,
                memberships=[membership],
                actor=actor,
                notify=False,
            )
    return result


@service_transaction
def team_second_factor_set(*, team: Team, required: bool, actor) -> Team:
    """The primary admin requires a second factor of the team's admins, or stops requiring it. Each
    admin without one is taken to set one up at their next sign-in (licensing.accounts.mfa)."""
    require(can_require_second_factor(actor, team))
    (team,) = lock_teams(team)  # re-read under the lock: another admin may just have changed it
    if team.admins_need_second_factor == required:
        return team
    team.admins_need_second_factor = required
    team.save(update_fields=["admins_need_second_factor"])
    signed_out = 0
    if required:
        # The team's admins who have no second factor are signed out of every browser (their sessions'
        # hash changes): they meet the rule at once, at their next sign-in, not weeks later. The actor
        # stays signed in; the view sends them to set one up if they have none.
        admins = User.objects.filter(
            memberships__team=team, memberships__role__in=Member.ADMIN_ROLES, memberships__status=Member.Status.ACTIVE
        ).exclude(pk=actor.pk)
        signed_out = without_second_factor(admins).update(session_epoch=F("session_epoch") + 1)
    event_record(
        action=ActivityEvent.Action.SECOND_FACTOR_REQUIRED,
        actor=actor,
        team=team,
        target=team.name,
        before={"second_factor": not required},
        after={"second_factor": required, **({"signed_out": signed_out} if required else {})},
    )
    return team
