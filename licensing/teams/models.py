"""Teams: the customer (company), its teams, and each person's place (role, guest flag) in a team."""

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, When
from django.db.models.lookups import IContains
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Customer(models.Model):
    """A company that buys the vendor's software. It holds contracts and organises them in teams."""

    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamQuerySet(models.QuerySet):
    def administered_by(self, user) -> "TeamQuerySet":
        """The teams in which `user` is primary or secondary admin (R-U1, R-SA2)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            members__user=user, members__role__in=Member.ADMIN_ROLES, members__status=Member.Status.ACTIVE
        )

    def of_user(self, user) -> "TeamQuerySet":
        """The teams in which `user` is an active member, whatever the role."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(members__user=user, members__status=Member.Status.ACTIVE)


class Team(models.Model):
    """A group of users and subscriptions of one customer, managed by its own admins (R-T1).

    Every team has exactly one primary admin (R-PA1): the database allows at most one, and the
    services never leave a team without one.
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="teams", verbose_name=_("customer"))
    name = models.CharField(_("name"), max_length=100)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # Set by the primary admin in Team settings (licensing.accounts.mfa).
    admins_need_second_factor = models.BooleanField(
        _("admins must use a second factor"),
        default=False,
        help_text=_("The team's admins sign in with an authenticator app or a passkey as well as their password."),
    )

    objects = TeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name", "pk"]
        # Support staff's powers in the portal (teams.permissions.is_support): a named permission,
        # given to a staff account directly or through the group "Support staff", never is_staff alone.
        # Stored as data in English, as Django's own "Can change team" is.
        permissions = [("act_as_support", "Act as support staff in every team")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name=""), name="team_name_not_empty", violation_error_message=_("A team needs a name.")
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def primary_admin(self) -> "Member | None":
        return self.members.filter(role=Member.Role.PRIMARY_ADMIN).select_related("user").first()


def member_first_name(prefix: str = ""):
    """The first name a team sees of its member (`Member.first_name`) in SQL, for sorting and
    searching; `prefix` is the path to the member ("member__" from an assignment)."""
    return _name_in_team("first_name", prefix)


def member_last_name(prefix: str = ""):
    """The last name a team sees of its member (`Member.last_name`) in SQL; see member_first_name."""
    return _name_in_team("last_name", prefix)


def _name_in_team(field: str, prefix: str):
    joined = Q(**{f"{prefix}status": "active"})
    return Case(When(joined, then=F(f"{prefix}user__{field}")), default=F(f"{prefix}invited_{field}"))


def member_search(query: str, prefix: str = "") -> Q:
    """Members with every word of `query` in the first name or last name their team sees of them, or
    in their e-mail address: "anna bak" finds Anna Bakker. Never the names of the account of someone
    who has not joined the team (Member.first_name)."""
    condition = Q()
    for word in query.split():
        condition &= (
            Q(IContains(member_first_name(prefix), word))
            | Q(IContains(member_last_name(prefix), word))
            | Q(**{f"{prefix}user__email__icontains": word})
        )
    return condition


class MemberQuerySet(models.QuerySet):
    def admins(self) -> "MemberQuerySet":
        return self.filter(role__in=Member.ADMIN_ROLES)

    def active(self) -> "MemberQuerySet":
        return self.filter(status=Member.Status.ACTIVE)

    def without_guests(self) -> "MemberQuerySet":
        return self.filter(is_guest=False)


class Member(models.Model):
    """A person's place in one team: role, guest flag and invitation status.

    One member per user and team. Admins are never guests (R-G3), and a team has at most one
    primary admin (R-PA1); both are database constraints.

    The name a team sees of its member is the name that team typed when it invited them
    (`invited_first_name`, `invited_last_name`) until the person accepts this team's invitation,
    and the person's own (their account's) from then on: an account is one person's, whom many
    customers may invite, and one customer never learns through the portal the name another
    customer typed, nor the name of a person who has not joined its team (issue 19).
    """

    class Role(models.TextChoices):
        PRIMARY_ADMIN = "primary_admin", _("Primary admin")
        SECONDARY_ADMIN = "secondary_admin", _("Secondary admin")
        USER = "user", _("User")

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        ACTIVE = "active", _("Active")

    ADMIN_ROLES = (Role.PRIMARY_ADMIN, Role.SECONDARY_ADMIN)

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members", verbose_name=_("team"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.USER)
    is_guest = models.BooleanField(
        _("guest"), default=False, help_text=_("Not an employee: a contractor, supplier or collaborator.")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.INVITED)
    invited_at = models.DateTimeField(_("invited at"), default=timezone.now)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    # The names this team typed when it invited the person, shown in this team until they accept.
    invited_first_name = models.CharField(_("first name as invited"), max_length=150, blank=True)
    invited_last_name = models.CharField(_("last name as invited"), max_length=150, blank=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["team", "user__last_name", "user__first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "user"],
                name="member_one_per_team_and_user",
                violation_error_message=_("This person is already a member of the team."),
            ),
            models.UniqueConstraint(
                fields=["team"],
                condition=Q(role="primary_admin"),
                name="member_one_primary_admin_per_team",
                violation_error_message=_("A team has exactly one primary admin."),
            ),
            models.CheckConstraint(
                condition=Q(is_guest=False) | Q(role="user"),
                name="member_admin_is_not_guest",
                violation_error_message=_("Primary and secondary admins cannot be guests."),
            ),
            models.CheckConstraint(
                condition=Q(role__in=["primary_admin", "secondary_admin", "user"]),
                name="member_role_valid",
            ),
            models.CheckConstraint(condition=Q(status__in=["invited", "active"]), name="member_status_valid"),
        ]
        indexes = [models.Index(fields=["team", "role"]), models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return _("%(user)s in %(team)s") % {"user": self.name, "team": self.team}

    @property
    def first_name(self) -> str:
        """The first name this team sees: as it invited them until they accept, then their own."""
        return self.user.first_name if self.status == self.Status.ACTIVE else self.invited_first_name

    @property
    def last_name(self) -> str:
        return self.user.last_name if self.status == self.Status.ACTIVE else self.invited_last_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def name(self) -> str:
        """The full name this team sees, or the e-mail address when there is none."""
        return self.full_name or self.user.email

    @property
    def is_admin(self) -> bool:
        return self.role in self.ADMIN_ROLES

    @property
    def is_primary_admin(self) -> bool:
        return self.role == self.Role.PRIMARY_ADMIN
