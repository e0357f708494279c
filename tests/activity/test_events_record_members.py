"""`events_record_members`: the activity rows of many members in one INSERT ... SELECT (the group
changes of issue 20) are the rows `event_build` would have built one by one: the member's team, user and
name as the team sees it (invited names until they accept), the actor, origin and address of the request."""

from licensing.activity.context import current_ip, current_via
from licensing.activity.models import ActivityEvent
from licensing.activity.services import event_build, events_record_members
from licensing.teams.models import Member


def fields(event: ActivityEvent) -> tuple:
    return (
        event.actor_id,
        event.via,
        event.team_id,
        event.action,
        event.target_user_id,
        event.product_id,
        event.target,
        event.before,
        event.after,
        event.ip_address,
    )


def test_the_rows_are_those_event_build_builds(world):
    # R-GR8: a member invited under names of the team's choosing is named so until they accept.
    members = Member.objects.filter(pk__in=[world.user.pk, world.invited.pk, world.guest.pk]).select_related("user")
    actor = world.primary.user
    via_token, ip_token = current_via.set(ActivityEvent.Via.ADMIN), current_ip.set("192.0.2.7")
    try:
        count = events_record_members(
            members,
            action=ActivityEvent.Action.GROUP_MEMBER_ADDED,
            actor=actor,
            product=world.product,
            before=None,
            after={"group": "Engineering", "items": ["cloud-render"]},
        )
        expected = {
            member.pk: fields(
                event_build(
                    action=ActivityEvent.Action.GROUP_MEMBER_ADDED,
                    actor=actor,
                    team=member.team,
                    target_user=member.user,
                    product=world.product,
                    target=member.name,
                    before=None,
                    after={"group": "Engineering", "items": ["cloud-render"]},
                )
            )
            for member in members
        }
    finally:
        current_via.reset(via_token)
        current_ip.reset(ip_token)
    assert count == 3
    rows = ActivityEvent.objects.filter(action=ActivityEvent.Action.GROUP_MEMBER_ADDED)
    by_user = {row.target_user_id: fields(row) for row in rows}
    assert by_user == {member.user_id: expected[member.pk] for member in members}
    assert all(row.created_at is not None for row in rows)


def test_a_member_without_names_is_named_by_the_address(world):
    Member.objects.filter(pk=world.user.pk).update(invited_first_name="", invited_last_name="")
    world.user.user.first_name = world.user.user.last_name = ""
    world.user.user.save(update_fields=["first_name", "last_name"])
    events_record_members(Member.objects.filter(pk=world.user.pk), action=ActivityEvent.Action.GROUP_MEMBER_REMOVED)
    row = ActivityEvent.objects.get()
    assert row.target == "user@example.com"
    assert (row.actor_id, row.via, row.before, row.after) == (None, ActivityEvent.Via.SYSTEM, None, None)
