"""Assignment.team, the copy of the member's team that the seat counts and the licence check count
in one index: it is the member's team however the assignment is made."""

from dataclasses import dataclass, field

from django.db.models import F

from licensing.accounts.invite_many import member_invite_many
from licensing.subscriptions.models import Assignment, teams_fill
from licensing.subscriptions.services import assignment_create
from tests.factories import AssignmentFactory, MemberFactory, ProductFactory, SubscriptionFactory


@dataclass
class Row:
    first_name: str
    last_name: str
    email: str
    products: list = field(default_factory=list)


def not_of_the_members_team():
    return Assignment.objects.exclude(team=F("member__team"))


def test_every_way_of_assigning_sets_the_members_team(world, django_capture_on_commit_callbacks):
    other = ProductFactory()
    SubscriptionFactory(team=world.other_team, product=other, seats=10)
    SubscriptionFactory(team=world.team, product=other, seats=10)
    in_engineering = MemberFactory(team=world.other_team)

    assignment_create(member=world.user, product=world.product, actor=world.primary.user)  # the service
    AssignmentFactory(member=in_engineering, product=other)  # save()
    Assignment.objects.create(member_id=MemberFactory(team=world.other_team).pk, product=other)  # the pk only
    Assignment.objects.bulk_create(  # a member at hand, the pk only
        [
            Assignment(member=MemberFactory(team=world.other_team), product=world.product),
            Assignment(member_id=world.guest.pk, product=other),
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):  # the import's
        member_invite_many(
            team=world.other_team, rows=[Row("Jan", "de Vries", "jan@example.nl", [other])], actor=world.primary.user
        )

    assert Assignment.objects.count() == 6
    assert set(Assignment.objects.values_list("team", flat=True)) == {world.team.pk, world.other_team.pk}
    assert not not_of_the_members_team().exists()


def test_a_team_given_is_kept_and_one_missing_is_looked_up_once_per_500(world, django_assert_num_queries):
    members = MemberFactory.create_batch(3, team=world.other_team)
    given = Assignment(member_id=world.user.pk, product=world.product, team_id=world.team.pk)
    missing = [Assignment(member_id=member.pk, product=world.product) for member in members]

    with django_assert_num_queries(1):
        teams_fill([given, *missing])

    assert given.team_id == world.team.pk
    assert [a.team_id for a in missing] == [world.other_team.pk] * 3


def test_deleting_a_member_deletes_their_assignments_and_leaves_the_others(world):
    AssignmentFactory(member=world.user, product=world.product)
    AssignmentFactory(member=world.guest, product=world.product)

    world.user.delete()

    assert list(Assignment.objects.values_list("member", flat=True)) == [world.guest.pk]
    assert not not_of_the_members_team().exists()
