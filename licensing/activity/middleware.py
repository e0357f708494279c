from django.urls import reverse

from licensing.activity.context import current_ip, current_via


class ActivityContextMiddleware:
    """Tells the activity log where a request's changes come from and from which address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if path.startswith(reverse("admin:index")):
            via = "admin"
        elif path.startswith("/api/"):
            via = "api"
        else:
            via = "portal"
        ip_token = current_ip.set(request.META.get("REMOTE_ADDR") or None)
        via_token = current_via.set(via)
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(ip_token)
            current_via.reset(via_token)
