"""Reporting › Activity log, under /teams/<team_id>/activity/ (portal/urls.py includes this)."""

from django.urls import path

from . import views

app_name = "activity"

urlpatterns = [
    path("", views.event_list, name="event-list"),
    path("export.csv", views.event_export, name="event-export"),
]
