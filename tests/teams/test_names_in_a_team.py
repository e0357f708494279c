"""The name a team sees of its member (issue 19): the name that team typed when it invited them, until
they accept that team's invitation; then the person's own.

The probe: customer A's admin invited cfo@bigcorp.example first, with a name of their choosing, and
customer B's admin, who invited the same address later, saw that name. Here A is the world's Design
and B the outsider's team: B must never see what A typed, on any page, export or mail."""

import csv
import io
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from licensing.accounts.invite_many import member_invite_many
from licensing.accounts.models import User
from licensing.accounts.services import invitation_accept, member_invite
from licensing.subscriptions.models import SeatUsage
from licensing.teams.models import Member
from tests.accounts.test_invitations import token_in
from tests.factories import SubscriptionFactory

ADDRESS = "cfo@bigcorp.example"
A_TYPED = ("Chief", "Fool")  # what customer A's admin typed, first
B_TYPED = ("Carla", "Visser")  # what customer B's admin typed, later


@pytest.fixture
def invited_twice(world, django_capture_on_commit_callbacks, mailoutbox):
    """A invites ADDRESS as "Chief Fool"; then B invites it as "Carla Visser", with a seat of DraftPro
    that the person has used today. Returns B's member."""
    SubscriptionFactory(team=world.outsider_team, product=world.product, seats=3, owner=world.outsider.user)
    with django_capture_on_commit_callbacks(execute=True):
        member_invite(
            team=world.team, email=ADDRESS, first_name=A_TYPED[0], last_name=A_TYPED[1], actor=world.primary.user
        )
        b_member = member_invite(
            team=world.outsider_team,
            email=ADDRESS,
            first_name=B_TYPED[0],
            last_name=B_TYPED[1],
            products=[world.product],
            actor=world.outsider.user,
        )
    SeatUsage.objects.create(
        user=b_member.user, product=world.product, team=world.outsider_team, day=timezone.localdate()
    )
    return b_member


def _b_pages(world, member) -> dict[str, str]:
    team = world.outsider_team.pk
    today = timezone.localdate().isoformat()
    report = f"range=custom&start={today}&end={today}"
    return {
        "By User": reverse("teams:member-list", kwargs={"team_id": team}),
        "the user's page": reverse("teams:member-detail", kwargs={"team_id": team, "member_id": member.pk}),
        "the product's page": reverse(
            "subscriptions:product-detail", kwargs={"team_id": team, "product_id": world.product.pk}
        ),
        "Seat Usage By User": reverse("reports:seat-usage", kwargs={"team_id": team}) + f"?tab=users&{report}",
        "Activity log": reverse("activity:event-list", kwargs={"team_id": team}),
        "Activity log of the person": reverse("activity:event-list", kwargs={"team_id": team})
        + f"?user={member.user_id}",
    }


def _b_searches(world) -> dict[str, str]:
    team = world.outsider_team.pk
    return {
        "Activity log": reverse("activity:event-list", kwargs={"team_id": team}) + "?q=Fool",
        "By User": reverse("teams:member-list", kwargs={"team_id": team}) + "?q=Fool",
        "Product's page": reverse(
            "subscriptions:product-detail", kwargs={"team_id": team, "product_id": world.product.pk}
        )
        + "?q=Chief",
        "Assign users suggestions": reverse(
            "subscriptions:product-assign-suggestions", kwargs={"team_id": team, "product_id": world.product.pk}
        )
        + "?query=Chief",
        "Seat Usage By User": reverse("reports:seat-usage", kwargs={"team_id": team})
        + f"?tab=users&range=custom&start={timezone.localdate()}&end={timezone.localdate()}&q=Fool",
    }


def _content(response) -> str:
    if hasattr(response, "streaming_content"):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode()


def test_another_customers_admin_never_sees_the_name_the_first_inviter_typed(client, world, invited_twice):
    client.force_login(world.outsider.user)
    for page, url in _b_pages(world, invited_twice).items():
        content = _content(client.get(url))
        assert A_TYPED[0] not in content, page
        assert A_TYPED[1] not in content, page
    # Nor do B's searches find the person by what A typed.
    for page, url in _b_searches(world).items():
        response = client.get(url)
        table = response.context.get("table")
        if table is not None:
            assert list(table.page.object_list) == [], page
        else:
            assert ADDRESS not in _content(response), page
        # ... but by what B typed.
        found = client.get(url.replace("Fool", "Visser").replace("Chief", "Carla"))
        if table is not None:
            assert len(found.context["table"].page.object_list) >= 1, page
        else:
            assert ADDRESS in _content(found), page
    for page in ("By User", "the user's page", "the product's page", "Seat Usage By User", "Activity log"):
        assert "Carla Visser" in _content(client.get(_b_pages(world, invited_twice)[page])), page


def test_the_exports_hold_the_name_the_team_typed(client, world, invited_twice):
    client.force_login(world.outsider.user)
    today = timezone.localdate().isoformat()
    team = world.outsider_team.pk
    usage = (
        reverse("reports:seat-usage-export-users", kwargs={"team_id": team})
        + f"?range=custom&start={today}&end={today}"
    )
    rows = list(csv.DictReader(io.StringIO(_content(client.get(usage)))))
    assert [(row["first_name"], row["last_name"]) for row in rows if row["user_email"] == ADDRESS] == [B_TYPED]
    log = _content(client.get(reverse("activity:event-export", kwargs={"team_id": team})))
    assert "Carla Visser" in log
    assert "Fool" not in log


def test_the_invitation_mail_greets_the_person_by_the_name_that_team_typed(world, invited_twice, mailoutbox):
    invitations = [mail for mail in mailoutbox if "/invitations/" in mail.body]
    from_a, from_b = invitations[-2], invitations[-1]
    assert "Hello Chief," in from_a.body
    assert "Hello Carla," in from_b.body
    assert "Chief" not in from_b.body
    assert "Chief" not in from_b.alternatives[0][0]
    # So does the mail of the product B assigned at once (R-P3).
    (product_mail,) = [mail for mail in mailoutbox if world.product.name in mail.subject]
    assert "Hello Carla," in product_mail.body
    assert "Chief" not in product_mail.body


def test_an_import_keeps_the_names_its_team_typed_and_greets_by_them(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    member_invite(team=world.team, email=ADDRESS, first_name=A_TYPED[0], last_name=A_TYPED[1], actor=world.primary.user)
    row = SimpleNamespace(email=ADDRESS.upper(), first_name=B_TYPED[0], last_name=B_TYPED[1], products=[])
    with django_capture_on_commit_callbacks(execute=True):
        result = member_invite_many(team=world.outsider_team, rows=[row], actor=world.outsider.user)
    (member,) = result.created
    assert Member.objects.get(pk=member.pk).name == "Carla Visser"
    assert User.objects.filter(email__iexact=ADDRESS).count() == 1  # R-U7: the same account
    mail = next(mail for mail in reversed(mailoutbox) if "/invitations/" in mail.body)
    assert "Hello Carla," in mail.body
    assert "Chief" not in mail.body


def test_once_the_person_accepts_a_team_sees_their_own_name_and_the_other_still_its_own(
    world, invited_twice, mailoutbox
):
    # They accept B's invitation first, with a password of their own: the account is theirs now,
    # named as they accepted it (B's names); A, whose invitation is still open, sees what A typed.
    from_b = [mail for mail in mailoutbox if "/invitations/" in mail.body][-1]
    invitation_accept(raw_token=token_in(from_b), password="a long enough passphrase 42")
    user = User.objects.get(email__iexact=ADDRESS)
    assert (user.first_name, user.last_name) == B_TYPED
    in_b = Member.objects.select_related("user").get(team=world.outsider_team, user=user)
    in_a = Member.objects.select_related("user").get(team=world.team, user=user)
    assert in_b.name == "Carla Visser"
    assert in_a.name == "Chief Fool"
    # Once they rename themselves, the team they joined sees it; the other still sees what it typed.
    User.objects.filter(pk=user.pk).update(first_name="Carla", last_name="Visser-Jansen")
    in_b.refresh_from_db()
    in_a.refresh_from_db()
    assert in_b.name == "Carla Visser-Jansen"
    assert in_a.name == "Chief Fool"


def test_by_user_sorts_by_the_names_the_team_sees(client, world):
    # The account was named "Aaron Aardvark" by someone else; this team invited the person as "Zoë
    # Zwart": sorted by name, they come last in this team, where the order tells nothing of the account.
    member_invite(
        team=world.outsider_team, email=ADDRESS, first_name="Aaron", last_name="Aardvark", actor=world.outsider.user
    )
    member = member_invite(
        team=world.team, email=ADDRESS, first_name="Zoë", last_name="Zwart", actor=world.primary.user
    )
    client.force_login(world.primary.user)
    response = client.get(reverse("teams:member-list", kwargs={"team_id": world.team.pk}) + "?sort=-name")
    records = [row.record for row in response.context["table"].page.object_list]
    assert records[0].pk == member.pk
    assert "Aardvark" not in response.content.decode()
