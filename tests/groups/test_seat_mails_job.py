"""The mails of the seats a group gives are rendered by a job after the change (licensing/groups/tasks.py),
not inside it: the change queues task rows in its own transaction, the worker renders the mails (R-GR2,
R-GR8: naming the group) and queues them for `mail_deliver`."""

from django_tasks_db.models import DBTaskResult
from mailer.models import Message

from licensing.groups import tasks
from licensing.groups.services import group_create, group_members_add, group_product_assign
from licensing.teams.services import member_delete
from portal.mail import BULK_PRIORITY, URGENT_PRIORITY
from tests.factories import MemberFactory


def test_a_group_s_seats_are_mailed_by_jobs_after_the_change_naming_the_group(world, run_jobs, settings, mailoutbox):
    # R-GR2, R-GR8
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"
    admin = world.primary.user
    group = group_create(team=world.team, name="Site crew", actor=admin)
    group_product_assign(group=group, product=world.product, actor=admin)
    group_members_add(group=group, members=[world.user, world.guest], actor=admin)
    # The change rendered nothing: one job holds the two members, in the order they were seated.
    assert not Message.objects.exists()
    (task,) = DBTaskResult.objects.all()
    assert (task.task_path, task.priority) == ("licensing.groups.tasks.group_seat_mails", URGENT_PRIORITY)
    assert task.args_kwargs["args"][5] == [world.user.pk, world.guest.pk]
    assert run_jobs() == 2  # the rendering job, then the mail_deliver job it queued
    assert sorted(m.to[0] for m in mailoutbox) == ["guest@example.com", "user@example.com"]
    assert all("Site crew" in m.body and world.product.name in m.body for m in mailoutbox)
    assert not Message.objects.exists()


def test_a_member_deleted_before_the_job_runs_gets_no_mail(world, run_jobs, settings, mailoutbox):
    # R-GR7 with R-D1: whoever left the team before the worker came is not told of a seat they lost.
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"
    admin = world.primary.user
    group = group_create(team=world.team, name="Site crew", actor=admin)
    group_product_assign(group=group, product=world.product, actor=admin)
    group_members_add(group=group, members=[world.user, world.guest], actor=admin)
    member_delete(member=world.guest, actor=admin)
    run_jobs()
    assert [m.to[0] for m in mailoutbox] == ["user@example.com"]


def test_a_large_group_is_mailed_in_bulk_jobs_of_at_most_members_per_job(
    world, run_jobs, settings, mailoutbox, monkeypatch
):
    # R-GR2: every member seated is mailed once, by jobs of MEMBERS_PER_JOB members, after single changes.
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"
    monkeypatch.setattr(tasks, "MEMBERS_PER_JOB", 25)
    admin = world.primary.user
    world.subscription.seats = 200
    world.subscription.save()
    members = MemberFactory.create_batch(60, team=world.team)
    group = group_create(team=world.team, name="Everyone", actor=admin)
    group_product_assign(group=group, product=world.product, actor=admin)
    group_members_add(group=group, members=members, actor=admin)
    jobs = DBTaskResult.objects.filter(task_path="licensing.groups.tasks.group_seat_mails").order_by("enqueued_at")
    assert [len(job.args_kwargs["args"][5]) for job in jobs] == [25, 25, 10]
    assert {job.priority for job in jobs} == {BULK_PRIORITY}
    run_jobs()
    assert sorted(m.to[0] for m in mailoutbox) == sorted(m.user.email for m in members)
