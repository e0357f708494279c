"""`member_invite_many`, the bulk path of Import (R-U6): for every row what `member_invite` does for one
(R-U2, R-U3, R-U4, R-U7, R-SE1, R-P3), in a number of queries that does not grow with the rows; and
`mail_send_many`, whose mails rendered once per language are the mails rendered one by one."""

import re
import threading
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from mailer.models import Message

from licensing.accounts import invite_many as invite_many_module
from licensing.accounts.invite_many import member_invite_many
from licensing.accounts.models import User
from licensing.accounts.services import (
    ALREADY_MEMBER,
    EMAIL_INVALID,
    FIRST_NAME_REQUIRED,
    invitation_accept,
    invitation_for_token,
)
from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import NO_FREE_SEAT, NO_SUBSCRIPTION
from licensing.teams.models import Member
from portal.mail import mail_send, mail_send_many
from tests import concurrency
from tests.conftest import on_postgresql
from tests.factories import MemberFactory, ProductFactory, UserFactory

PASSWORD = "a-Long-passphrase-42"


@dataclass
class Row:
    first_name: str
    last_name: str
    email: str
    products: list = field(default_factory=list)


def token_of(message) -> str:
    return re.search(r"/invitations/([^/\s]+)/", message.body).group(1)


@pytest.fixture
def invite_many(world, django_capture_on_commit_callbacks):
    def _invite(rows, *, actor=None, team=None):
        with django_capture_on_commit_callbacks(execute=True):
            return member_invite_many(team=team or world.team, rows=rows, actor=actor or world.primary.user)

    return _invite


def test_every_row_is_invited_as_member_invite_would(world, invite_many, mailoutbox):
    # R-U2, R-U4: status Invited, a link that works, the activity rows of member_invite
    result = invite_many([Row("Jan", "de Vries", "jan@example.nl"), Row("Fleur", "Bakker", "Fleur@Example.NL")])
    assert [m.user.email for m in result.created] == ["jan@example.nl", "Fleur@example.nl"]
    assert result.errors == [[], []]
    for member in result.created:
        member.refresh_from_db()
        assert (member.status, member.invited_by, member.user.has_usable_password()) == (
            Member.Status.INVITED,
            world.primary.user,
            False,
        )
    assert sorted(m.to[0] for m in mailoutbox) == ["Fleur@example.nl", "jan@example.nl"]
    jan = next(m for m in mailoutbox if m.to == ["jan@example.nl"])
    assert jan.subject == "You are invited to join Design"
    assert "Hello Jan," in jan.body
    invitation = invitation_for_token(token_of(jan))
    assert invitation.member.user.email == "jan@example.nl"
    assert invitation.sent_by == world.primary.user
    member = invitation_accept(raw_token=token_of(jan), password=PASSWORD)
    assert member.status == Member.Status.ACTIVE
    events = ActivityEvent.objects.filter(action=ActivityEvent.Action.MEMBER_INVITED, team=world.team)
    assert sorted(e.after["email"] for e in events) == ["Fleur@example.nl", "jan@example.nl"]
    assert {e.actor for e in events} == {world.primary.user}


def test_products_are_assigned_with_all_their_items_and_mailed(world, invite_many, mailoutbox):
    # R-U3, R-P2, R-P3
    result = invite_many([Row("Jan", "de Vries", "jan@example.nl", [world.product])])
    assignment = Assignment.objects.get(member=result.created[0], product=world.product)
    assert set(assignment.items.all()) == set(world.items)
    assert assignment.assigned_by == world.primary.user
    assert sorted(m.subject for m in mailoutbox) == ["DraftPro is ready for you", "You are invited to join Design"]
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.PRODUCT_ASSIGNED, target_user=assignment.member.user)
    assert event.after == {"items": ["cloud-render", "draftpro-desktop"]}


def test_an_address_with_an_account_uses_it_and_a_member_is_refused(world, invite_many):
    # R-U7: any case, one account
    other = MemberFactory(team=world.other_team, user__email="Pieter@Example.com")
    users = User.objects.count()
    result = invite_many(
        [
            Row("Pieter", "Post", "pieter@example.COM"),
            Row("Uma", "User", "USER@example.com"),
            Row("Jan", "de Vries", "jan@example.nl"),
            Row("Jan", "Vries", "JAN@example.nl"),
        ]
    )
    assert result.members[0].user == other.user
    assert result.members[1] is None
    assert result.errors[1] == [ALREADY_MEMBER % {"email": "user@example.com"}]
    assert result.members[3] is None
    assert result.errors[3] == [ALREADY_MEMBER % {"email": "jan@example.nl"}]
    assert User.objects.count() == users + 1


def test_seats_go_to_the_rows_in_order_and_a_row_without_one_is_not_written_at_all(world, invite_many):
    # R-SE1: 3 seats; the fourth row with the product is refused whole, the others still invited
    elsewhere = ProductFactory(name="Elsewhere")
    rows = [Row(f"P{i}", "Bos", f"p{i}@example.nl", [world.product]) for i in range(4)]
    rows.append(Row("Kees", "Smit", "kees@example.nl", [elsewhere]))
    rows.append(Row("Anna", "Berg", "anna@example.nl"))
    result = invite_many(rows)
    assert [m is not None for m in result.members] == [True, True, True, False, False, True]
    assert result.errors[3] == [NO_FREE_SEAT % {"seats": 3, "product": "DraftPro"}]
    assert result.errors[4] == [NO_SUBSCRIPTION % {"product": "Elsewhere"}]
    assert not User.objects.with_email("p3@example.nl").exists()
    assert not User.objects.with_email("kees@example.nl").exists()
    assert Assignment.objects.filter(member__team=world.team, product=world.product).count() == 3


def test_an_invalid_row_is_refused_in_the_words_of_one_invitation(world, invite_many):
    result = invite_many([Row("", "Bos", "nope"), Row("Jan", "de Vries", "jan@example.nl")])
    assert result.members[0] is None
    assert sorted(result.errors[0]) == sorted([str(FIRST_NAME_REQUIRED), str(EMAIL_INVALID)])
    assert result.members[1] is not None


def test_only_an_admin_invites_many(world):
    with pytest.raises(PermissionDenied):
        member_invite_many(team=world.team, rows=[Row("Jan", "de Vries", "jan@example.nl")], actor=world.user.user)
    assert not User.objects.with_email("jan@example.nl").exists()


def test_the_queries_do_not_grow_with_the_rows(world):
    counts = []
    for start, count in ((0, 4), (100, 80)):
        rows = [
            Row("P", f"N{i}", f"p{i}@example.nl", [world.product] if i == start else [])
            for i in range(start, start + count)
        ]
        with CaptureQueriesContext(connection) as queries:
            result = member_invite_many(team=world.team, rows=rows, actor=world.primary.user)
        assert len(result.created) == count
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_rows_beyond_one_chunk_are_each_invited_once_with_their_own_link(world, invite_many, monkeypatch, mailoutbox):
    # The rows are written a chunk at a time; chunks of 2 here, so 5 rows take three, and a lookup
    # of accounts takes several queries.
    monkeypatch.setattr(invite_many_module, "_CHUNK_SIZE", 2)
    monkeypatch.setattr(invite_many_module, "_EMAIL_CHUNK", 2)
    elsewhere = MemberFactory(team=world.other_team, user__email="pieter@example.com")
    rows = [Row(f"P{i}", "Bos", f"p{i}@example.nl", [world.product] if i in (0, 3) else []) for i in range(4)]
    rows.insert(2, Row("Pieter", "Post", "Pieter@Example.com"))
    result = invite_many(rows)
    assert [m.user.email for m in result.created] == [
        "p0@example.nl",
        "p1@example.nl",
        "pieter@example.com",
        "p2@example.nl",
        "p3@example.nl",
    ]
    assert result.created[2].user == elsewhere.user
    invitations = [list(m.invitations.all()) for m in result.created]
    assert [len(found) for found in invitations] == [1] * 5
    invitation_mails = [m for m in mailoutbox if m.subject == "You are invited to join Design"]
    tokens = {m.to[0]: token_of(m) for m in invitation_mails}
    assert len(set(tokens.values())) == 5
    for member in result.created:  # each link is its member's
        assert invitation_for_token(tokens[member.user.email]).member == member
    assert sorted(m.to[0] for m in mailoutbox if m.subject == "DraftPro is ready for you") == [
        "p0@example.nl",
        "p3@example.nl",
    ]
    events = ActivityEvent.objects.filter(team=world.team, target_user__in=[m.user for m in result.created])
    assert sorted(events.values_list("action", flat=True)) == sorted(
        [ActivityEvent.Action.MEMBER_INVITED] * 5 + [ActivityEvent.Action.PRODUCT_ASSIGNED] * 2
    )
    assert Assignment.objects.filter(member__in=result.created).count() == 2


def test_a_large_batch_sends_all_its_mails_in_bulk_jobs_even_when_its_last_chunk_is_small(
    world, monkeypatch, settings, run_jobs, mailoutbox
):
    # 60 mails in chunks of 50: the last chunk's 10 are bulk too, sent by jobs after the mails of single
    # changes, never inside the request (portal.mail).
    from django_tasks_db.models import DBTaskResult

    from portal.mail import BULK_PRIORITY

    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"
    monkeypatch.setattr(invite_many_module, "_CHUNK_SIZE", 50)
    rows = [Row("P", f"N{i}", f"p{i}@example.nl") for i in range(60)]
    member_invite_many(team=world.team, rows=rows, actor=world.primary.user)
    assert Message.objects.count() == 60
    assert mailoutbox == []
    jobs = DBTaskResult.objects.all()
    assert {job.priority for job in jobs} == {BULK_PRIORITY}
    assert sorted(pk for job in jobs for pk in job.args_kwargs["args"][0]) == sorted(
        Message.objects.values_list("pk", flat=True)
    )
    run_jobs()
    assert len(mailoutbox) == 60
    assert Message.objects.count() == 0


def test_a_member_since_the_preview_is_told_apart_from_a_refused_row(world, invite_many):
    # import_confirm skips the first kind as "Already a member", the second with its reason.
    result = invite_many([Row("Uma", "User", "user@example.com"), Row("Jan", "de Vries", "jan@example.nl")] * 2)
    assert result.already_members == {0, 2}
    assert [m is not None for m in result.members] == [False, True, False, False]
    assert result.errors[3] == [ALREADY_MEMBER % {"email": "jan@example.nl"}]


@pytest.mark.skipif(not on_postgresql(), reason="SQLite's IMMEDIATE transactions take turns: no insert can race")
@pytest.mark.django_db(transaction=True)
def test_an_account_made_meanwhile_by_another_request_is_used(world):
    # R-U7: another request makes an account for one of the addresses after the accounts were read.
    # Its INSERT is not committed yet, so member_invite_many's waits on the unique Lower(email), and
    # fails once the other commits; it then inserts the others and takes that account.
    created, release = threading.Event(), threading.Event()

    def other_request():
        with transaction.atomic():
            User.objects.create_user("Fleur@example.nl", None, first_name="Fleur", last_name="Elders")
            created.set()
            release.wait(concurrency.JOIN_TIMEOUT)

    holder = concurrency.start(other_request)
    assert created.wait(concurrency.JOIN_TIMEOUT)
    rows = [Row("Jan", "de Vries", "jan@example.nl"), Row("Fleur", "Bakker", "fleur@example.nl")]
    invite = concurrency.start(lambda: member_invite_many(team=world.team, rows=rows, actor=world.primary.user))
    invite.wait_until_blocked()
    release.set()
    assert holder.result().ok
    outcome = invite.result()
    assert outcome.ok, outcome.error
    assert [m.user.email for m in outcome.value.created] == ["jan@example.nl", "Fleur@example.nl"]
    assert User.objects.filter(email__iendswith="@example.nl", first_name__in=["Jan", "Fleur"]).count() == 2
    assert Member.objects.get(team=world.team, user__email="Fleur@example.nl").user.last_name == "Elders"


# --- The mails of a batch -----------------------------------------------------------------------


@pytest.fixture
def recipients(db):
    return [
        UserFactory(first_name="Seán", last_name="O'Brien & <Zoë>", email="sean@example.ie"),
        UserFactory(first_name="Jan", last_name="de Vries", email="jan@example.nl", language="nl"),
        UserFactory(first_name="", last_name="", email="nameless@example.com"),  # rendered in full
        UserFactory(first_name="Fleur", last_name="Bakker", email="fleur@example.nl"),
    ]


def rendered(messages) -> list:
    return sorted((m.to, m.subject, m.body, [tuple(a) for a in m.alternatives]) for m in messages)


def test_mails_rendered_once_per_language_are_the_mails_rendered_one_by_one(world, recipients, mailoutbox):
    context = {"team": world.team, "actor": world.primary.user, "invitation": {"expires_at": world.team.created_at}}
    own = {user.pk: {"accept_path": f"/invitations/token-{user.pk}/"} for user in recipients}
    for has_account in (False, True):
        mailoutbox.clear()
        for user in recipients:
            mail_send(to=user, template="invitation", context={**context, **own[user.pk], "has_account": has_account})
        one_by_one = rendered(mailoutbox)
        mailoutbox.clear()
        mail_send_many(
            template="invitation",
            context={**context, "has_account": has_account},
            recipients=[(user, own[user.pk]) for user in recipients],
        )
        assert rendered(mailoutbox) == one_by_one
    assert "O&#x27;Brien &amp; &lt;Zoë&gt;" not in str(one_by_one)  # the names of the mail are first names
    assert any("Hello Seán," in body for _to, _subject, body, _html in one_by_one)


def test_a_template_that_changes_the_values_is_rendered_mail_by_mail(world, recipients, settings, tmp_path, mailoutbox):
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "shout_subject.txt").write_text("Hi {{ recipient.first_name|upper }}")
    (tmp_path / "mail" / "shout.txt").write_text("{{ recipient.first_name|truncatechars:3 }} {{ link|length }}")
    (tmp_path / "mail" / "shout.html").write_text("<p>{{ recipient.last_name|lower }} {{ link }}</p>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    for user in recipients:
        mail_send(to=user, template="shout", context={"link": f"/x/{user.pk}/"})
    one_by_one = rendered(mailoutbox)
    mailoutbox.clear()
    mail_send_many(template="shout", context={}, recipients=[(user, {"link": f"/x/{user.pk}/"}) for user in recipients])
    assert rendered(mailoutbox) == one_by_one
    assert any(subject == "Hi SEÁN" for _to, subject, _body, _html in one_by_one)
