"""Bringing people into teams: invitations (R-U2..R-U7), their acceptance, and collaborators from a
connected collaboration product (R-G1)."""

import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.accounts.invitations import invitation_send, invitations_allow
from licensing.accounts.models import Invitation, User, hash_token
from licensing.activity.models import ActivityEvent
from licensing.activity.services import event_record
from licensing.subscriptions.services import assignment_create
from licensing.teams.models import Member, Team
from licensing.teams.permissions import can_manage_members
from licensing.teams.services import lock_teams, member_read_again, require, validate_not_formula
from portal.db import service_transaction

EMAIL_INVALID = _("Enter a valid e-mail address, like david.dejong@example.com.")
FIRST_NAME_REQUIRED = _("Enter a first name.")
LAST_NAME_REQUIRED = _("Enter a last name.")
# As long as User.first_name and last_name allow: refused in words, never cut off unseen.
NAME_MAX_LENGTH = 150
FIRST_NAME_TOO_LONG = _("A first name has at most %(max)d characters.")
LAST_NAME_TOO_LONG = _("A last name has at most %(max)d characters.")
# Control characters (NUL, escape, ...) come from a broken file or a script, never from a keyboard, and
# PostgreSQL cannot store NUL. Emoji joiners and right-to-left marks are format characters: allowed.
NAME_CONTROL_CHARACTER = _("A name cannot contain invisible control characters. Type it again.")
ALREADY_MEMBER = _("%(email)s is already a member of this team.")
INVITATION_UNKNOWN = _("This invitation link is not valid. Ask the admin of your team to send you a new invitation.")
INVITATION_USED = _("This invitation has already been accepted. Sign in with your e-mail address and password.")
INVITATION_EXPIRED = _(
    "This invitation has expired. Ask %(admin)s, the admin who invited you, to send a new invitation."
)
INVITATION_REVOKED = _(
    "This invitation link has been replaced by a newer one. Use the link in the most recent invitation mail."
)
NOT_INVITED = _("%(name)s has already accepted the invitation.")
PASSWORD_REQUIRED = _("Choose a password for your new account.")
WRONG_ACCOUNT = _("This invitation is for %(email)s. Sign out and sign in with that address.")
# The fields as the invite dialogs and the import name them, in the messages of validate_not_formula.
PERSON_LABELS = {"email": _("E-mail address"), "first_name": _("First name"), "last_name": _("Last name")}


def person_clean(email: str, first_name: str, last_name: str) -> tuple[str, str, str]:
    """The e-mail address and names as they will be stored, or a ValidationError per field. Every way
    a person is invited asks this: the invite dialogs, Invite Multiple, Assign users, the import and
    the services themselves."""
    email = (email or "").strip()
    first_name = " ".join((first_name or "").split())
    last_name = " ".join((last_name or "").split())
    errors = {}
    try:
        validate_email(email)
        if len(email) > User._meta.get_field("email").max_length:
            raise ValidationError(EMAIL_INVALID)
    except ValidationError:
        errors["email"] = [EMAIL_INVALID]
    if not first_name:
        errors["first_name"] = [FIRST_NAME_REQUIRED]
    elif _has_control_character(first_name):
        errors["first_name"] = [NAME_CONTROL_CHARACTER]
    elif len(first_name) > NAME_MAX_LENGTH:
        errors["first_name"] = [FIRST_NAME_TOO_LONG % {"max": NAME_MAX_LENGTH}]
    if not last_name:
        errors["last_name"] = [LAST_NAME_REQUIRED]
    elif _has_control_character(last_name):
        errors["last_name"] = [NAME_CONTROL_CHARACTER]
    elif len(last_name) > NAME_MAX_LENGTH:
        errors["last_name"] = [LAST_NAME_TOO_LONG % {"max": NAME_MAX_LENGTH}]
    for field, value in (("email", email), ("first_name", first_name), ("last_name", last_name)):
        if field not in errors:
            try:
                validate_not_formula(value, label=PERSON_LABELS[field])
            except ValidationError as error:
                errors[field] = error.messages
    if errors:
        raise ValidationError(errors)
    return email, first_name, last_name


def _has_control_character(text: str) -> bool:
    return any(unicodedata.category(character) == "Cc" for character in text)


def user_get_or_create(*, email: str, first_name: str = "", last_name: str = "") -> tuple[User, bool]:
    """The account with this e-mail address in any case (R-U7), or a new one without a password.

    Two requests inviting the same new address at once cannot make two accounts: the database's
    unique Lower(email) makes the second insert fail, and it then takes the first one's account.
    """
    existing = User.objects.with_email(email).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return User.objects.create_user(email, None, first_name=first_name, last_name=last_name), True
    except IntegrityError:
        return User.objects.with_email(email).get(), False


@service_transaction
def member_invite(
    *,
    team: Team,
    email: str,
    first_name: str,
    last_name: str,
    products: Iterable = (),
    is_guest: bool = False,
    actor,
) -> Member:
    """Invite a person to `team` (R-U2, R-T5): status "Invited" until they accept, an invitation mail
    with a link that works once (R-U4), no products unless assigned now or later (R-U3).

    An address that already has an account, in any case, uses that account (R-U7) and keeps the
    person's other teams. Products given are assigned at once, each under the seat rules (R-SE1);
    if one cannot be assigned, nothing of the invitation is written. An admin who has sent as many
    invitations as the settings allow is refused (`invitations_allow`).
    """
    if actor is not None:
        require(can_manage_members(actor, team))
    email, first_name, last_name = person_clean(email, first_name, last_name)
    lock_teams(team)
    invitations_allow(team=team, actor=actor, count=1)
    user, _created = user_get_or_create(email=email, first_name=first_name, last_name=last_name)
    if Member.objects.filter(team=team, user=user).exists():
        raise ValidationError({"email": [ALREADY_MEMBER % {"email": user.email}]}, code="already_member")
    # The names typed here are what this team sees of the person until they accept (Member.name),
    # whatever the account's own are: another customer's admin may have typed those.
    member = Member.objects.create(
        team=team,
        user=user,
        is_guest=is_guest,
        status=Member.Status.INVITED,
        invited_by=actor,
        invited_first_name=first_name,
        invited_last_name=last_name,
    )
    event_record(
        action=ActivityEvent.Action.MEMBER_INVITED,
        actor=actor,
        team=team,
        target_user=user,
        target=member.name,
        after={"email": user.email, "guest": is_guest},
    )
    invitation_send(member=member, actor=actor)
    for product in products:
        assignment_create(member=member, product=product, actor=actor)
    return member


@service_transaction
def invitation_resend(*, member: Member, actor, bulk: bool = False) -> Invitation:
    """Send a new invitation to a member who has not accepted yet (R-U5); the old link stops working.
    It counts against the limits of `invitations_allow` as a first invitation does. `bulk`: one of
    many resent at once (By User's bulk "Resend invitation"), its mail sent after single changes'."""
    if actor is not None:
        require(can_manage_members(actor, member.team))
    lock_teams(member.team)
    member = member_read_again(member)
    if member.status != Member.Status.INVITED:
        raise ValidationError(NOT_INVITED % {"name": member.user.get_full_name() or member.user.email})
    invitations_allow(team=member.team, actor=actor, count=1)
    invitation = invitation_send(member=member, actor=actor, resent=True, bulk=bulk)
    event_record(
        action=ActivityEvent.Action.INVITATION_RESENT,
        actor=actor,
        team=member.team,
        target_user=member.user,
        target=member.name,
        after={"expires_at": invitation.expires_at.isoformat()},
    )
    return invitation


def invitation_for_token(raw_token: str) -> Invitation:
    """The invitation whose link carries `raw_token`, if that link may still be used; otherwise a
    ValidationError that tells the person what happened and whom to ask (R-U4, R-U5)."""
    invitation = (
        Invitation.objects.select_related("member__team", "member__user", "sent_by")
        .filter(token_hash=hash_token(raw_token or ""))
        .first()
    )
    if invitation is None:
        raise ValidationError(INVITATION_UNKNOWN, code="unknown")
    state = invitation.state
    if state == Invitation.State.ACCEPTED:
        raise ValidationError(INVITATION_USED, code="used")
    if state == Invitation.State.REVOKED:
        raise ValidationError(INVITATION_REVOKED, code="revoked")
    if state == Invitation.State.EXPIRED:
        admin = invitation.sent_by or invitation.member.invited_by
        name = (
            (admin.get_full_name() or admin.email)
            if admin
            else _("an admin of %(team)s") % {"team": invitation.member.team}
        )
        raise ValidationError(INVITATION_EXPIRED % {"admin": name}, code="expired")
    return invitation


@service_transaction
def invitation_accept(*, raw_token: str, password: str | None = None, signed_in_user=None) -> Member:
    """Accept an invitation: the member becomes "Active" (R-U2) and the link is used up (R-U4).

    A person without an account yet chooses their own password here. A person who has an account
    must be signed in as that account, so a forwarded mail cannot take someone else's seat.
    """
    invitation = invitation_for_token(raw_token)
    # Lock the team first, as every service does, then the invitation row, so that two clicks on the
    # same link accept it once. Locking the member and team rows in the invitation's join instead
    # deadlocks with an admin who holds the team and assigns the invited member a product meanwhile.
    lock_teams(invitation.member.team)
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("member__user", "member__team")
        .get(pk=invitation.pk)
    )
    if invitation.state != Invitation.State.PENDING:
        invitation_for_token(raw_token)  # raises the message for what happened meanwhile
    member = invitation.member
    user = member.user
    if user.has_usable_password():
        if signed_in_user is None or signed_in_user.pk != user.pk:
            raise ValidationError(WRONG_ACCOUNT % {"email": user.email}, code="wrong_account")
    else:
        if not password:
            raise ValidationError({"password": [PASSWORD_REQUIRED]}, code="password_required")
        validate_password(password, user)
        user.set_password(password)
        # The account is claimed now: its names become those the person was invited with by the team
        # whose invitation they accept (another team's admin may have typed the account's until now).
        if member.invited_first_name or member.invited_last_name:
            user.first_name, user.last_name = member.invited_first_name, member.invited_last_name
        user.save(update_fields=["password", "first_name", "last_name"])
    now = timezone.now()
    invitation.accepted_at = now
    invitation.save(update_fields=["accepted_at"])
    member.status = Member.Status.ACTIVE
    member.accepted_at = now
    member.save(update_fields=["status", "accepted_at"])
    event_record(
        action=ActivityEvent.Action.INVITATION_ACCEPTED,
        actor=user,
        team=member.team,
        target_user=user,
        target=user.get_full_name() or user.email,
        before={"status": Member.Status.INVITED},
        after={"status": Member.Status.ACTIVE},
    )
    return member


@service_transaction
def collaborator_add(*, team: Team, email: str, first_name: str, last_name: str) -> Member:
    """A person added to the team from a connected cloud-collaboration product comes in as a guest
    (R-G1). Someone who is already a member keeps their place and role."""
    user = User.objects.with_email(email.strip()).first()
    if user is not None:
        existing = Member.objects.filter(team=team, user=user).first()
        if existing is not None:
            return existing
    return member_invite(team=team, email=email, first_name=first_name, last_name=last_name, is_guest=True, actor=None)


def user_set_language(*, user: User, language: str) -> None:
    """Remember the language `user` reads the portal in, so that their mails come in it too (SPEC §4).
    A language the portal does not offer is ignored."""
    if language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
