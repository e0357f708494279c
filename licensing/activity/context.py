"""Where the current change comes from (portal, Django admin, API) and the client's address.

The middleware sets both per request; services read them when they write an ActivityEvent, so
that no service needs the request. Outside a request (commands, tests) they default to "system".
"""

from contextvars import ContextVar

current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)
current_via: ContextVar[str] = ContextVar("current_via", default="system")
