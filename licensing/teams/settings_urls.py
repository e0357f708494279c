"""Team settings (the gear icon), under /teams/<team_id>/settings/ (portal/urls.py includes this):
the settings page, "Rename" (R-T4), "Create team" (R-T3) and the wizard "Move subscriptions to this
team" (R-T8..R-T11), whose views live with the subscriptions (licensing.subscriptions.move_views)."""

from django.urls import path

from licensing.subscriptions import move_views

from . import settings_views

app_name = "team_settings"

urlpatterns = [
    path("", settings_views.team_settings, name="team-settings"),
    path("rename/", settings_views.team_rename, name="team-rename"),
    path("create/", settings_views.team_create, name="team-create"),
    path("second-factor/", settings_views.team_second_factor, name="team-second-factor"),
    path("move/", move_views.subscription_move_start, name="subscription-move"),
    path("move/<int:subscription_id>/", move_views.subscription_move_review, name="subscription-move-review"),
    path("move/<int:subscription_id>/done/", move_views.subscription_move_done, name="subscription-move-done"),
]
