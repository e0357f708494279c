"""Accounts: a person's own login (by e-mail address) and the invitations that bring them into teams."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _


class UserQuerySet(models.QuerySet):
    def with_email(self, email: str) -> "UserQuerySet":
        """Users whose e-mail address is `email`, whatever the case (uses the Lower(email) index)."""
        return self.alias(email_lower=Lower("email")).filter(email_lower=email.strip().lower())


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, email: str) -> "User":
        return self.with_email(email).get()

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email.strip()), **fields)
        user.set_password(password)  # None gives an unusable password: the invitation sets one.
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person's own account, identified by e-mail address.

    The address is kept as typed and is unique without regard to case (a database constraint on
    Lower(email)). An account outlives every team it belongs to (R-D1); an invited person has one
    with an unusable password until they accept (R-U4).
    """

    email = models.EmailField(_("e-mail address"), max_length=254)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("support staff"), default=False, help_text=_("May sign in to the Django admin."))
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # Raised to sign the person out of every browser at once (their sessions' hash includes it): when a
    # team starts to require a second factor they do not have, so that they meet it now, not at their
    # next sign-in (licensing.teams.services.team_second_factor_set).
    session_epoch = models.PositiveIntegerField(_("sign-outs everywhere"), default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "email"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ci",
                violation_error_message=_("An account with this e-mail address already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def _get_session_auth_hash(self, secret=None):
        # Django's hash of the password, which every request of a session checks; with the epoch in it
        # once raised (an epoch of 0 leaves every existing session as it was).
        if not self.session_epoch:
            return super()._get_session_auth_hash(secret=secret)
        key_salt = "licensing.accounts.models.User.get_session_auth_hash"
        value = f"{self.password}:{self.session_epoch}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email.strip())

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email


def hash_token(raw_token: str) -> str:
    """The stored form of a secret token: only its SHA-256 is kept, so a leaked table opens nothing."""
    return hashlib.sha256(raw_token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh random token and its hash."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> "InvitationQuerySet":
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """One invitation mail sent to a member: the link in it works once (R-U4).

    Only a hash of the link's token is stored. Re-sending (R-U5) revokes the previous invitation of
    the member and creates a new one, so the old link stops working.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        EXPIRED = "expired", _("Expired")
        REVOKED = "revoked", _("Replaced or withdrawn")

    member = models.ForeignKey(
        "teams.Member", on_delete=models.CASCADE, related_name="invitations", verbose_name=_("member")
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["member", "-created_at"])]

    def __str__(self) -> str:
        return _("Invitation of %(member)s") % {"member": self.member}

    @staticmethod
    def default_expiry(now=None):
        return (now or timezone.now()) + timedelta(days=settings.INVITATION_EXPIRY_DAYS)

    @property
    def state(self) -> str:
        if self.accepted_at:
            return self.State.ACCEPTED
        if self.revoked_at:
            return self.State.REVOKED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.PENDING

    def get_state_display(self) -> str:
        return self.State(self.state).label


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> "ApiTokenQuerySet":
        """Tokens that still sign their device in: neither revoked nor expired. The licence check reads
        the same two conditions in its query written out by hand (`devices._token_sql`); the tests of an
        expired and of a signed-out token (tests/api/test_auth.py) hold both to them."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A device signed in to the desktop software with an account (R-S2).

    Signing in once gives the device a token; later starts of the software send it instead of the
    password. Only a hash of the token is stored. The token works until it expires
    (`API_TOKEN_DAYS` after sign-in) or is revoked: signed out by the device, by the person, or by an
    admin of one of their teams from the user's page.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    device_name = models.CharField(_("device"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("signed in at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("signed out at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("signed-in device")
        verbose_name_plural = _("signed-in devices")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return _("%(device)s of %(user)s") % {"device": self.device_name, "user": self.user}

    @staticmethod
    def default_expiry(now=None):
        return (now or timezone.now()) + timedelta(days=settings.API_TOKEN_DAYS)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class DeviceAuthorizationQuerySet(models.QuerySet):
    def pending(self) -> "DeviceAuthorizationQuerySet":
        """Sign-ins still waiting for the person in the browser: neither approved nor denied, not
        expired."""
        return self.filter(approved_at__isnull=True, denied_at__isnull=True, expires_at__gt=timezone.now())


class DeviceAuthorization(models.Model):
    """The desktop software signing in through the browser (R-ID5; the device authorization grant of
    RFC 8628): for people with a second factor or single sign-on, which the software cannot type.

    The software asks for one and gets a device code, which it keeps, and a short user code, which it
    shows. The person opens the portal's /device/ page, signed in there with whatever the portal asks
    (password, second factor, SSO), types or confirms the user code and approves or denies the sign-in
    of the device named here. Meanwhile the software polls with its device code, at `interval`
    seconds at most; once approved, the poll gives it a device token (ApiToken) exactly once.

    Only a hash of the device code is stored, like the tokens'. The user code is stored normalised
    (`user_code_normalise`: eight capitals, without the dash the software shows); it is unique while
    the row exists, and rows are deleted a while after they expire.
    """

    device_code_hash = models.CharField(max_length=64, unique=True, editable=False)
    user_code = models.CharField(_("code"), max_length=8, unique=True)
    device_name = models.CharField(_("device"), max_length=100)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    # Seconds the software waits between polls; RFC 8628 §3.5: 5 more after each poll that came too soon.
    interval = models.PositiveSmallIntegerField(_("polling interval"))
    last_polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True)
    # The person who approved or denied the sign-in in the browser: the device is signed in as them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="device_authorizations",
        verbose_name=_("user"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    denied_at = models.DateTimeField(_("denied at"), null=True, blank=True)
    # When the software received its token: a device code gives one token, once.
    redeemed_at = models.DateTimeField(_("token issued at"), null=True, blank=True)

    objects = DeviceAuthorizationQuerySet.as_manager()

    class Meta:
        verbose_name = _("browser sign-in of a device")
        verbose_name_plural = _("browser sign-ins of devices")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(approved_at__isnull=True) | models.Q(denied_at__isnull=True),
                name="device_authorization_approved_or_denied",
            ),
            models.CheckConstraint(
                condition=models.Q(approved_at__isnull=True, denied_at__isnull=True) | models.Q(user__isnull=False),
                name="device_authorization_decided_by_someone",
            ),
            models.CheckConstraint(
                condition=models.Q(redeemed_at__isnull=True) | models.Q(approved_at__isnull=False),
                name="device_authorization_redeemed_once_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_code_display} ({self.device_name})"

    @property
    def user_code_display(self) -> str:
        """The user code as the software shows it and people type it: XXXX-XXXX."""
        return f"{self.user_code[:4]}-{self.user_code[4:]}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class DeviceCodeFailure(models.Model):
    """A user code that a signed-in person typed on the /device/ page and that matched no pending
    sign-in: counted per person, so that nobody tries codes until one fits another person's device
    (`device_grant.USER_CODE_FAILURES`). Rows older than the window are deleted as new ones come in."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("wrong device code")
        verbose_name_plural = _("wrong device codes")
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.user_id}"


class AccessTokenQuerySet(models.QuerySet):
    def active(self) -> "AccessTokenQuerySet":
        """Tokens that still sign a script in: neither revoked nor expired, of an active account."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True)


class AccessToken(models.Model):
    """A personal access token (issue 21 §3, R-API3): an admin's script acts through the team-admin API
    under `/api/v1/teams/` as that admin, limited to the teams chosen here and to reading or to reading
    and writing, and never beyond what the admin may do in the portal at the moment of each request
    (licensing.teams.api checks their role per request).

    The secret (`sk_pat_` and 43 random characters) is shown once; only its SHA-256 is kept, and its
    first characters (`prefix`) to tell the tokens apart. A token works until it expires (at most
    ACCESS_TOKEN_MAX_DAYS after it was made), is revoked, or its owner's account is deactivated."""

    class Access(models.TextChoices):
        READ = "read", _("Read only")
        READ_WRITE = "read_write", _("Read and write")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("starts with"), max_length=16, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # All the teams the owner administers, now and later; else only `teams` (those the owner still
    # administers at each request).
    all_teams = models.BooleanField(_("all my teams"), default=False)
    teams = models.ManyToManyField("teams.Team", blank=True, related_name="+", verbose_name=_("teams"))
    access = models.CharField(_("access"), max_length=10, choices=Access.choices, default=Access.READ)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = AccessTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("personal access token")
        verbose_name_plural = _("personal access tokens")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(access__in=["read", "read_write"]), name="access_token_access"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def can_write(self) -> bool:
        return self.access == self.Access.READ_WRITE

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
