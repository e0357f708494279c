"""The worker's part of webhooks: a job per endpoint that sends its due deliveries in order
(licensing.webhooks.dispatch), run by `manage.py db_worker` beside gunicorn (portal.jobs)."""

from licensing.webhooks import dispatch
from portal.jobs import enqueue, job


@job()
def endpoint_deliver(endpoint_id: int) -> None:
    """Send the endpoint's due deliveries in order; come back when the next retry is due (with a
    backend that cannot wait, the periodic `webhooks_sweep` comes back instead)."""
    come_back = dispatch.endpoint_dispatch(endpoint_id)
    if come_back is not None and endpoint_deliver.get_backend().supports_defer:
        endpoint_deliver.using(run_after=come_back).enqueue(endpoint_id)


def deliveries_start(endpoint_ids) -> None:
    """Have the worker send these endpoints' deliveries once the current transaction commits (the
    task's row is written in it, with the database backend: a rollback takes it away)."""
    for endpoint_id in sorted(set(endpoint_ids)):
        enqueue(endpoint_deliver, endpoint_id)
