"""The order API (issue 21, R-API1, R-API2): what the vendor's order system does through
/api/v1/, in the same NinjaAPI and OpenAPI document as the desktop software's licence API.
Routers in `orders_api` and `catalogue_api`; mounted by `integrations_mount` (portal/urls.py)."""

from ninja import NinjaAPI

from . import problems


def integrations_mount(api: NinjaAPI) -> None:
    """Problem details for the integration APIs' errors, and their routers, on the shared API."""
    from .catalogue_api import router as catalogue_router
    from .orders_api import router as orders_router

    problems.install(api)
    api.add_router("", orders_router)
    api.add_router("", catalogue_router)
