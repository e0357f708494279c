"""The portal's URLs and `/bench/minimal/`: a Django view that does nothing, the yardstick of the
licence check's rate under the same gunicorn (bench/run.py, item 3)."""

from django.http import HttpResponse
from django.urls import path

from portal.urls import handler403, handler404, handler500
from portal.urls import urlpatterns as portal_urlpatterns

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]


def minimal(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/minimal/", minimal, name="bench-minimal"), *portal_urlpatterns]
