import cProfile
import datetime
import io
import pstats
import time

from django.utils import timezone

from licensing.activity.models import ActivityEvent
from tests.activity.test_activity_views import sign_in, url
from tests.factories import MemberFactory

Action = ActivityEvent.Action


def test_prof(client, world):
    people = [MemberFactory(team=world.team).user for _ in range(10)] + [world.primary.user, None]
    start = timezone.now() - datetime.timedelta(days=400)
    actions = list(Action.values)
    ActivityEvent.objects.bulk_create(
        [
            ActivityEvent(
                team=world.team, created_at=start + datetime.timedelta(minutes=5 * n), action=actions[n % len(actions)],
                actor=people[n % len(people)], target_user=people[(n * 7) % 10],
                product=world.product if n % 3 == 0 else None, target=f"Person {n % 997}",
                before={"items": ["draftpro-desktop"]}, after={"items": ["draftpro-desktop", "cloud-render"]},
                ip_address="192.0.2.1",
            )
            for n in range(5000)
        ]
    )
    sign_in(client, world, "primary")
    client.get(url(world))
    for name in ("activity:event-list", "activity:event-list", "activity:event-list", "activity:event-export"):
        t = time.perf_counter()
        r = client.get(url(world, name))
        if hasattr(r, "streaming_content"):
            b"".join(r.streaming_content)
        print(name, f"unprofiled {(time.perf_counter() - t) * 1000:.0f} ms")
    pr = cProfile.Profile()
    pr.enable()
    r = client.get(url(world, "activity:event-export"))
    b"".join(r.streaming_content)
    pr.disable()
    s = io.StringIO()
    pstats.Stats(pr, stream=s).sort_stats("tottime").print_stats(22)
    print(s.getvalue())
