"""The groups' background job: the mails of the seats a group gives, rendered after the change.

A group of 10,000 members given a product seats 10,000 people at once. Rendering and queueing their
10,000 mails ("you have been given Product X through group Y") inside the change took about a third of
its time (bench/groups.py), while the admin waited for the page. So `seats_give` enqueues this job in
its transaction instead (the task row commits with the seats or not at all, portal/jobs.py), one per
MEMBERS_PER_JOB members seated, and the worker renders the mails (once per language, `mail_send_many`)
and queues them for `mail_deliver`, which sends them.

Safe to run twice (portal/jobs.py): each run queues its mails in one transaction, so a worker killed
before the commit leaves nothing behind; only a worker that dies between that commit and marking the
task done makes a rerun queue those (at most MEMBERS_PER_JOB) mails a second time.
"""

from django.contrib.auth import get_user_model
from django.db import transaction

from licensing.subscriptions.models import Product, ProductItem
from licensing.teams.models import Member, Team
from portal.jobs import enqueue, job
from portal.mail import BULK_PRIORITY, SMALL_BATCH, URGENT_PRIORITY, mail_send_many

# The members one job mails at most: a group of 10,000 seated is 10 jobs, each retried on its own.
MEMBERS_PER_JOB = 1000
# Ids per IN (…) while reading the members: below SQLite's limit of variables in one statement.
_READ_CHUNK = 500


def seat_mails_enqueue(*, group_name: str, team: Team, product: Product, items, actor, member_ids: list[int]) -> None:
    """Enqueue, in the caller's transaction, the jobs that mail each member of `member_ids` that
    `group_name` gave them `product` with `items`. More than SMALL_BATCH members are bulk: their mails
    go after those of single changes (portal/mail.py)."""
    if not member_ids:
        return
    bulk = len(member_ids) > SMALL_BATCH
    task = group_seat_mails.using(priority=BULK_PRIORITY if bulk else URGENT_PRIORITY)
    item_ids = [item.pk for item in items]
    for start in range(0, len(member_ids), MEMBERS_PER_JOB):
        enqueue(
            task,
            group_name,
            team.pk,
            product.pk,
            item_ids,
            actor.pk if actor is not None and actor.is_authenticated else None,
            member_ids[start : start + MEMBERS_PER_JOB],
            bulk,
        )


@job(priority=BULK_PRIORITY)
def group_seat_mails(
    group_name: str, team_id: int, product_id: int, item_ids: list[int], actor_id, member_ids: list[int], bulk: bool
) -> None:
    """The job of `seat_mails_enqueue`: mail the members of `member_ids` still in the team. A member
    deleted meanwhile gets no mail; the team or product gone, nobody does."""
    team = Team.objects.filter(pk=team_id).first()
    product = Product.objects.filter(pk=product_id).first()
    if team is None or product is None:
        return
    items = sorted(ProductItem.objects.filter(pk__in=item_ids), key=lambda item: (item.kind, item.name))
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id is not None else None
    found = {}
    for start in range(0, len(member_ids), _READ_CHUNK):
        part = member_ids[start : start + _READ_CHUNK]
        found.update((m.pk, m) for m in Member.objects.filter(team=team, pk__in=part).select_related("user"))
    members = [found[pk] for pk in member_ids if pk in found]  # in the order they were seated
    with transaction.atomic():
        mail_send_many(
            template="product_assigned",
            context={"team": team, "product": product, "items": items, "actor": actor, "group": group_name},
            recipients=[(m.user, {"greeting_name": m.first_name}) for m in members],
            bulk=bulk,
        )
