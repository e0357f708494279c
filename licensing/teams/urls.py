"""User management › By User, under /teams/<team_id>/users/ (portal/urls.py includes this)."""

from django.urls import path

from . import views

app_name = "teams"

urlpatterns = [
    path("", views.member_list, name="member-list"),
    path("bulk/", views.member_bulk, name="member-bulk"),
    path("export.csv", views.member_export, name="member-export"),
    # "Undo" in the message after a delete (issue 22): the members of a signed token back.
    path("undo/delete/", views.members_restore, name="members-restore"),
    path("<int:member_id>/", views.member_detail, name="member-detail"),
    path("<int:member_id>/role/", views.member_role, name="member-role"),
    path("<int:member_id>/delete/", views.member_delete, name="member-delete"),
]
