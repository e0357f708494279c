"""Invitations (R-U2..R-U7, R-T5): inviting, the link that works once, expiry, re-sending, and one
account per e-mail address. Service-level, against the real database."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from mailer.models import Message

from licensing.accounts.models import Invitation, User, hash_token
from licensing.accounts.services import (
    ALREADY_MEMBER,
    EMAIL_INVALID,
    FIRST_NAME_REQUIRED,
    INVITATION_EXPIRED,
    INVITATION_REVOKED,
    INVITATION_UNKNOWN,
    INVITATION_USED,
    LAST_NAME_REQUIRED,
    NOT_INVITED,
    PASSWORD_REQUIRED,
    WRONG_ACCOUNT,
    invitation_accept,
    invitation_for_token,
    invitation_resend,
    member_invite,
    user_get_or_create,
)
from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import NO_FREE_SEAT, NO_SUBSCRIPTION
from licensing.teams.models import Member
from licensing.teams.services import NOT_ALLOWED
from tests.factories import AssignmentFactory, ProductFactory, ProductItemFactory

PASSWORD = "a-Long-passphrase-42"


@pytest.fixture(autouse=True)
def _mail_queued_until_commit(settings):
    # pytest-django sets EMAIL_BACKEND to locmem, which would deliver at once and bypass django-mailer's
    # queue. Put the queue back, so a mail reaches the outbox only once the change has committed (SPEC §4).
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"


def token_in(message) -> str:
    """The raw token of the accept link in an invitation mail (only its hash is stored)."""
    line = next(line for line in message.body.splitlines() if "/invitations/" in line)
    return line.strip().rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def invite(world, django_capture_on_commit_callbacks, mailoutbox):
    """Invite through the service, commit, and return the member and the token of the mail's link."""

    def _invite(email="david.dejong@example.com", *, team=None, actor=None, first_name="David", **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            member = member_invite(
                team=team or world.team,
                email=email,
                first_name=first_name,
                last_name=kwargs.pop("last_name", "de Jong"),
                actor=actor or world.primary.user,
                **kwargs,
            )
        invitation_mail = next(m for m in reversed(mailoutbox) if "/invitations/" in m.body)
        return member, token_in(invitation_mail)

    return _invite


@pytest.fixture
def resend(django_capture_on_commit_callbacks, mailoutbox):
    def _resend(member, actor):
        with django_capture_on_commit_callbacks(execute=True):
            invitation_resend(member=member, actor=actor)
        return token_in(mailoutbox[-1])

    return _resend


def fill_seats(world):
    """Assign all 3 seats of the world's subscription."""
    for member in (world.user, world.guest, world.secondary):
        AssignmentFactory(member=member, product=world.product)


def counts() -> tuple[int, int, int, int, int, int]:
    return (
        User.objects.count(),
        Member.objects.count(),
        Invitation.objects.count(),
        Assignment.objects.count(),
        ActivityEvent.objects.count(),
        Message.objects.count(),
    )


# --- Inviting ------------------------------------------------------------------------------------


def test_an_invited_member_is_invited_until_they_accept(world, invite):
    # R-U2
    member, token = invite()
    assert member.status == Member.Status.INVITED
    assert member.accepted_at is None
    assert member.role == Member.Role.USER
    assert member.invited_by == world.primary.user
    member = invitation_accept(raw_token=token, password=PASSWORD)
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE
    assert member.accepted_at is not None


def test_a_new_address_gets_an_account_with_the_names_and_no_usable_password(world, invite):
    # R-U4: the person chooses their own password when they accept.
    member, _token = invite(email=" David.deJong@Example.com ", first_name="  David ", last_name="de   Jong")
    user = member.user
    assert user.email == "David.deJong@example.com"  # kept as typed; Django lower-cases only the domain
    assert (user.first_name, user.last_name) == ("David", "de Jong")
    assert not user.has_usable_password()


def test_an_invited_member_has_no_products_unless_given(world, invite):
    # R-U3
    member, _token = invite()
    assert not Assignment.objects.filter(member=member).exists()


def test_products_given_at_invite_time_are_assigned_with_all_items(world, invite, mailoutbox):
    # R-U3, R-P2, R-P3
    member, _token = invite(products=[world.product])
    assignment = Assignment.objects.get(member=member)
    assert assignment.product == world.product
    assert set(assignment.items.all()) == set(world.items)
    assert [m.subject for m in mailoutbox] == ["You are invited to join Design", "DraftPro is ready for you"]


def test_an_invite_whose_product_has_no_free_seat_writes_nothing(world, django_capture_on_commit_callbacks):
    # R-U3, R-SE1: if one product cannot be assigned, nothing of the invitation is written.
    fill_seats(world)
    before = counts()
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError) as exc:
        member_invite(
            team=world.team,
            email="david.dejong@example.com",
            first_name="David",
            last_name="de Jong",
            products=[world.product],
            actor=world.primary.user,
        )
    assert exc.value.messages == [str(NO_FREE_SEAT % {"seats": 3, "product": "DraftPro"})]
    assert counts() == before
    assert not User.objects.with_email("david.dejong@example.com").exists()
    assert callbacks == []


def test_an_invite_fails_whole_when_its_second_product_has_no_subscription(world):
    # R-U3: the first product's assignment is rolled back with the rest.
    other = ProductFactory(name="RenderFarm")
    ProductItemFactory(product=other)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        member_invite(
            team=world.team,
            email="david.dejong@example.com",
            first_name="David",
            last_name="de Jong",
            products=[world.product, other],
            actor=world.primary.user,
        )
    assert exc.value.messages == [str(NO_SUBSCRIPTION % {"product": "RenderFarm"})]
    assert counts() == before


def test_inviting_records_an_activity_event(world, invite):
    member, _token = invite(is_guest=True)
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.MEMBER_INVITED)
    assert event.actor == world.primary.user
    assert event.team == world.team
    assert event.target_user == member.user
    assert event.after == {"email": "david.dejong@example.com", "guest": True}


@pytest.mark.parametrize(
    ("email", "first_name", "last_name", "errors"),
    [
        ("not-an-address", "David", "de Jong", {"email": [EMAIL_INVALID]}),
        ("", "David", "de Jong", {"email": [EMAIL_INVALID]}),
        ("david@example.com", "  ", "de Jong", {"first_name": [FIRST_NAME_REQUIRED]}),
        ("david@example.com", "David", "", {"last_name": [LAST_NAME_REQUIRED]}),
        (
            "x",
            "",
            "",
            {"email": [EMAIL_INVALID], "first_name": [FIRST_NAME_REQUIRED], "last_name": [LAST_NAME_REQUIRED]},
        ),
    ],
)
def test_an_invite_needs_an_address_and_both_names(world, email, first_name, last_name, errors):
    # R-U2
    before = counts()
    with pytest.raises(ValidationError) as exc:
        member_invite(
            team=world.team, email=email, first_name=first_name, last_name=last_name, actor=world.primary.user
        )
    assert exc.value.message_dict == {field: [str(m) for m in messages] for field, messages in errors.items()}
    assert counts() == before


@pytest.mark.parametrize("persona", ["primary", "secondary"])
def test_primary_and_secondary_admins_can_invite(world, invite, persona):
    member, _token = invite(actor=getattr(world, persona).user)
    assert member.team == world.team


@pytest.mark.parametrize("persona", ["user", "guest", "outsider"])
def test_users_guests_and_admins_of_other_teams_cannot_invite(world, persona):
    before = counts()
    with pytest.raises(PermissionDenied, match=re.escape(str(NOT_ALLOWED))):
        member_invite(
            team=world.team,
            email="david.dejong@example.com",
            first_name="David",
            last_name="de Jong",
            actor=getattr(world, persona).user,
        )
    assert counts() == before


def test_an_admin_who_has_not_accepted_yet_cannot_invite(world):
    # An invited admin has no rights until they accept.
    world.invited.role = Member.Role.SECONDARY_ADMIN
    world.invited.save(update_fields=["role"])
    with pytest.raises(PermissionDenied):
        member_invite(team=world.team, email="d@example.com", first_name="D", last_name="J", actor=world.invited.user)


def test_support_staff_can_invite_to_any_team(world, invite):
    member, _token = invite(team=world.outsider_team, actor=world.staff)
    assert member.team == world.outsider_team


# --- Mail after commit (SPEC §4) -------------------------------------------------------------------


def test_the_invitation_mail_is_sent_only_after_the_change_commits(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    # R-U4, SPEC §4
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        member_invite(
            team=world.team,
            email="david.dejong@example.com",
            first_name="David",
            last_name="de Jong",
            actor=world.primary.user,
        )
        assert Message.objects.count() == 1  # queued in the change's own transaction
    assert mailoutbox == []
    assert callbacks
    for callback in callbacks:
        callback()
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["david.dejong@example.com"]
    assert message.subject == "You are invited to join Design"
    assert "/invitations/" in message.body
    assert message.alternatives[0].mimetype == "text/html"
    assert Message.objects.count() == 0


def test_the_invitation_mail_explains_how_to_create_the_account(world, invite, mailoutbox):
    # R-U4
    invite()
    assert "create your account with a password of your own" in mailoutbox[0].body
    assert "works once" in mailoutbox[0].body


# --- The link works once (R-U4) ------------------------------------------------------------------


def test_the_link_works_once(world, invite):
    # R-U4
    _member, token = invite()
    invitation_accept(raw_token=token, password=PASSWORD)
    with pytest.raises(ValidationError) as exc:
        invitation_accept(raw_token=token, password="another-Passphrase-7")
    assert exc.value.messages == [str(INVITATION_USED)]
    with pytest.raises(ValidationError, match=re.escape(str(INVITATION_USED))):
        invitation_for_token(token)


def test_accepting_sets_the_chosen_password_and_records_an_event(world, invite):
    # R-U4
    member, token = invite()
    invitation_accept(raw_token=token, password=PASSWORD)
    member.user.refresh_from_db()
    assert member.user.check_password(PASSWORD)
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.INVITATION_ACCEPTED)
    assert event.actor == member.user
    assert (event.before, event.after) == ({"status": "invited"}, {"status": "active"})
    assert member.invitations.get().state == Invitation.State.ACCEPTED


def test_a_new_account_needs_a_password_to_accept(world, invite):
    # R-U4
    member, token = invite()
    with pytest.raises(ValidationError) as exc:
        invitation_accept(raw_token=token, password="")
    assert exc.value.message_dict == {"password": [str(PASSWORD_REQUIRED)]}
    member.refresh_from_db()
    assert member.status == Member.Status.INVITED
    assert invitation_for_token(token).member == member  # the link still works


def test_a_weak_password_is_refused_and_the_link_still_works(world, invite):
    member, token = invite()
    with pytest.raises(ValidationError):
        invitation_accept(raw_token=token, password="123")
    member.refresh_from_db()
    assert member.status == Member.Status.INVITED
    assert not member.user.has_usable_password()
    invitation_accept(raw_token=token, password=PASSWORD)


@pytest.mark.parametrize("raw", ["", "nonsense", "x" * 43])
def test_an_unknown_link_is_refused(world, raw):
    # R-U4
    with pytest.raises(ValidationError) as exc:
        invitation_accept(raw_token=raw, password=PASSWORD)
    assert exc.value.messages == [str(INVITATION_UNKNOWN)]


def test_only_the_hash_of_the_token_is_stored(world, invite):
    member, token = invite()
    invitation = member.invitations.get()
    assert invitation.token_hash == hash_token(token)
    assert token not in invitation.token_hash


def test_an_existing_account_must_be_signed_in_as_itself_to_accept(world, invite):
    # R-U4, R-U7: a forwarded mail cannot take someone else's seat.
    member, token = invite(email="user@example.com", team=world.other_team)
    assert member.user == world.user.user
    for signed_in in (None, world.secondary.user):
        with pytest.raises(ValidationError) as exc:
            invitation_accept(raw_token=token, password=PASSWORD, signed_in_user=signed_in)
        assert exc.value.messages == [str(WRONG_ACCOUNT % {"email": "user@example.com"})]
    member.refresh_from_db()
    assert member.status == Member.Status.INVITED
    invitation_accept(raw_token=token, password=PASSWORD, signed_in_user=world.user.user)
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE
    member.user.refresh_from_db()
    assert member.user.check_password("pw")  # the password given is not used on an existing account
    assert not member.user.check_password(PASSWORD)


def test_the_mail_to_an_existing_account_says_sign_in(world, invite, mailoutbox):
    invite(email="user@example.com", team=world.other_team)
    assert "Sign in with your e-mail address and password" in mailoutbox[-1].body


# --- Expiry (R-U5) -------------------------------------------------------------------------------


def test_an_invitation_expires_after_90_days_by_default(world, settings, invite):
    # R-U5
    assert settings.INVITATION_EXPIRY_DAYS == 90
    member, _token = invite()
    invitation = member.invitations.get()
    assert invitation.expires_at - invitation.created_at == timedelta(days=90)


def test_the_expiry_period_is_a_setting(world, settings, invite):
    # R-U5: the guide's By Product chapter says seven days.
    settings.INVITATION_EXPIRY_DAYS = 7
    member, _token = invite()
    invitation = member.invitations.get()
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)


def expire(member, by=timedelta(seconds=1)):
    Invitation.objects.filter(member=member).update(expires_at=timezone.now() - by)


def test_an_expired_link_is_refused_and_names_the_admin_who_invited(world, invite):
    # R-U5
    world.primary.user.first_name, world.primary.user.last_name = "Jan", "de Vries"
    world.primary.user.save()
    member, token = invite()
    expire(member)
    with pytest.raises(ValidationError) as exc:
        invitation_accept(raw_token=token, password=PASSWORD)
    assert exc.value.messages == [str(INVITATION_EXPIRED % {"admin": "Jan de Vries"})]
    assert member.invitations.get().state == Invitation.State.EXPIRED
    member.refresh_from_db()
    assert member.status == Member.Status.INVITED


def test_a_link_just_before_its_expiry_still_works(world, invite):
    # R-U5
    member, token = invite()
    Invitation.objects.filter(member=member).update(expires_at=timezone.now() + timedelta(minutes=1))
    invitation_accept(raw_token=token, password=PASSWORD)


def test_an_expired_invitation_can_be_resent(world, invite, resend):
    # R-U5
    member, old = invite()
    expire(member, by=timedelta(days=1))
    new = resend(member, world.secondary.user)
    assert invitation_accept(raw_token=new, password=PASSWORD).status == Member.Status.ACTIVE
    with pytest.raises(ValidationError, match=re.escape(str(INVITATION_USED))):
        invitation_for_token(new)
    # The old link says what happened to it, and never works again.
    with pytest.raises(ValidationError, match=re.escape(str(INVITATION_REVOKED))):
        invitation_for_token(old)


# --- Re-sending (R-U5) ---------------------------------------------------------------------------


def test_resending_gives_a_new_link_and_kills_the_old_one(world, invite, resend, mailoutbox):
    # R-U5
    member, old = invite()
    new = resend(member, world.primary.user)
    assert new != old
    assert mailoutbox[-1].subject == "Reminder: you are invited to join Design"
    assert mailoutbox[-1].to == ["david.dejong@example.com"]
    with pytest.raises(ValidationError) as exc:
        invitation_accept(raw_token=old, password=PASSWORD)
    assert exc.value.messages == [str(INVITATION_REVOKED)]
    invitation_accept(raw_token=new, password=PASSWORD)
    states = sorted(i.state for i in member.invitations.all())
    assert states == sorted([Invitation.State.ACCEPTED, Invitation.State.REVOKED])


def test_resending_records_an_event_with_the_new_expiry(world, invite, resend):
    # R-U5
    member, _old = invite()
    resend(member, world.secondary.user)
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.INVITATION_RESENT)
    newest = member.invitations.order_by("-pk").first()
    assert event.actor == world.secondary.user
    assert event.after == {"expires_at": newest.expires_at.isoformat()}


def test_an_accepted_invitation_cannot_be_resent(world):
    # R-U5
    with pytest.raises(ValidationError) as exc:
        invitation_resend(member=world.user, actor=world.primary.user)
    assert exc.value.messages == [str(NOT_INVITED % {"name": world.user.user.get_full_name()})]


def test_an_outsider_cannot_resend(world):
    with pytest.raises(PermissionDenied):
        invitation_resend(member=world.invited, actor=world.outsider.user)


# --- One account per address (R-U7, R-T5) --------------------------------------------------------


def test_an_address_in_another_case_uses_the_existing_account(world, invite):
    # R-U7, R-T5
    users = User.objects.count()
    names = (world.user.user.first_name, world.user.user.last_name)
    member, _token = invite(email="  USER@Example.COM ", team=world.other_team, first_name="Someone", last_name="Else")
    assert member.user == world.user.user
    assert User.objects.count() == users
    member.user.refresh_from_db()
    assert (member.user.first_name, member.user.last_name) == names  # the invite does not rename the person
    # R-T5: the person keeps their other team.
    assert set(Member.objects.filter(user=world.user.user).values_list("team", flat=True)) == {
        world.team.pk,
        world.other_team.pk,
    }


def test_inviting_a_new_address_to_two_teams_makes_one_account(world, invite):
    # R-U7
    first, _ = invite(email="david.dejong@example.com")
    second, _ = invite(email="David.DeJong@EXAMPLE.com", team=world.other_team)
    assert first.user == second.user
    assert User.objects.with_email("DAVID.DEJONG@example.com").count() == 1


def test_user_get_or_create_finds_the_account_in_any_case(world):
    # R-U7
    user, created = user_get_or_create(email="Primary@EXAMPLE.com")
    assert (user, created) == (world.primary.user, False)
    user, created = user_get_or_create(email="fresh@example.com", first_name="F", last_name="R")
    assert created
    assert user_get_or_create(email="FRESH@example.com") == (user, False)


def test_a_member_cannot_be_invited_again(world):
    # R-U7
    before = counts()
    with pytest.raises(ValidationError) as exc:
        member_invite(
            team=world.team, email="User@Example.com", first_name="A", last_name="B", actor=world.primary.user
        )
    assert exc.value.message_dict == {"email": [str(ALREADY_MEMBER % {"email": "user@example.com"})]}
    assert counts() == before


def test_an_invited_member_cannot_be_invited_again_only_resent(world):
    # R-U5: re-sending is the way to give an invited person a new link.
    with pytest.raises(ValidationError) as exc:
        member_invite(team=world.team, email="new@example.com", first_name="A", last_name="B", actor=world.primary.user)
    assert exc.value.message_dict == {"email": [str(ALREADY_MEMBER % {"email": "new@example.com"})]}
