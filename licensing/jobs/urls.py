"""The pages of a team's jobs, under /teams/<team_id>/jobs/ (portal/urls.py includes this)."""

from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("<uuid:job_id>/", views.job_page, name="job"),
    path("<uuid:job_id>/download/", views.job_download, name="download"),
]
