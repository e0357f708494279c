from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    """The jobs an admin starts and waits for (a large Seat Usage export, a large import): their
    progress, their result and their file. The job runner itself is portal.jobs."""

    name = "licensing.jobs"
    label = "jobs"
    verbose_name = _("Jobs")
