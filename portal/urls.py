from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from licensing.accounts.api import api
from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("my/products/", views.my_products, name="my-products"),
    path("teams/<int:team_id>/", views.team_home, name="team-home"),
    path("teams/<int:team_id>/", include("licensing.subscriptions.urls")),
    path("teams/<int:team_id>/users/", include("licensing.teams.urls")),
    path("teams/<int:team_id>/settings/", include("licensing.teams.settings_urls")),
    path("teams/<int:team_id>/activity/", include("licensing.activity.urls")),
    path("teams/<int:team_id>/reports/", include("licensing.reports.urls")),
    path("", include("licensing.accounts.urls")),  # /teams/<id>/invite/..., /invitations/<token>/
    # Signing in and out, passwords: django.contrib.auth's views with our templates.
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    # Not Django's default template names: the Django admin renders those for its own password change.
    path(
        "accounts/password/change/",
        views.PasswordChangeView.as_view(),  # signs the desktop devices out (user_password_changed)
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_changed.html"),
        name="password_change_done",
    ),
    path("accounts/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),  # signs the desktop devices out too
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),  # the desktop software: sign-in licensing (R-S1..R-S3)
]

handler403 = views.permission_denied
handler404 = views.page_not_found
handler500 = views.server_error  # a database that cannot be reached answers 503 (portal.middleware)
