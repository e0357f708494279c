import time, datetime
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from licensing.activity.models import ActivityEvent
from tests.activity.test_activity_views import url, sign_in
from tests.factories import MemberFactory
Action = ActivityEvent.Action
def test_bench(client, world):
    people = [MemberFactory(team=world.team).user for _ in range(40)] + [world.primary.user, None]
    start = timezone.now() - datetime.timedelta(days=400)
    actions = list(Action.values)
    batch = []
    for n in range(100_000):
        batch.append(ActivityEvent(team=world.team, created_at=start + datetime.timedelta(minutes=5*n), action=actions[n % len(actions)],
            actor=people[n % len(people)], target_user=people[(n*7) % 40], product=world.product if n % 3 == 0 else None,
            target=f"Person {n % 997}", before={"items": ["draftpro-desktop"]}, after={"items": ["draftpro-desktop", "cloud-render"]}, ip_address="192.0.2.%d" % (n % 250)))
    ActivityEvent.objects.bulk_create(batch, batch_size=5000)
    # another team's events, to make the index matter
    ActivityEvent.objects.bulk_create([ActivityEvent(team=world.other_team, action="role_changed", target="x") for _ in range(50_000)], batch_size=5000)
    connection.cursor().execute("ANALYZE")
    sign_in(client, world, "primary"); client.get(url(world))
    for q in [{}, {"page": 1000}, {"sort": "when"}, {"q": "Person 12"}, {"action": "role_changed"}, {"user": world.primary.user.pk}, {"since": "2026-01-01", "until": "2026-02-01"}]:
        t = time.perf_counter()
        with CaptureQueriesContext(connection) as cq:
            r = client.get(url(world, **q))
        dt = time.perf_counter() - t
        slow = sorted(((float(x["time"]), x["sql"][:160]) for x in cq.captured_queries), reverse=True)[:3]
        print(f"list {q}: {dt*1000:.0f} ms, {len(cq)} queries; slowest {slow}")
    import tracemalloc
    for q in [{}, {"action": "role_changed"}]:
        t = time.perf_counter()
        r = client.get(url(world, "activity:event-export", **q))
        n = sum(len(c) for c in r.streaming_content)
        print(f"export {q} untraced: {time.perf_counter() - t:.1f} s, {n/1e6:.1f} MB")
    for q in [{}]:
        tracemalloc.start()
        t = time.perf_counter()
        r = client.get(url(world, "activity:event-export", **q))
        n = 0
        for chunk in r.streaming_content: n += len(chunk)
        dt = time.perf_counter() - t
        cur, peak = tracemalloc.get_traced_memory(); tracemalloc.stop()
        print(f"export {q}: {dt:.1f} s, {n/1e6:.1f} MB, peak python mem {peak/1e6:.1f} MB")
    cur = connection.cursor()
    from licensing.activity.filters import team_events
    qs = team_events(world.team).select_related("actor", "target_user", "product")[:50]
    sql, params = qs.query.sql_with_params()
    cur.execute("EXPLAIN QUERY PLAN " + sql, params); print(cur.fetchall())
