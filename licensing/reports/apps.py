from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Reporting › Seat Usage (R-R1..R-R3). No models of its own: it reads seat usage, seats and
    assignments of licensing.subscriptions."""

    name = "licensing.reports"
    label = "reports"
    verbose_name = _("Reports")
