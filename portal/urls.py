from allauth.account import views as allauth_views
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from licensing.accounts.api import api, not_found_router
from licensing.activity.api import router as activity_api
from licensing.groups.api import router as groups_api
from licensing.integrations.api import integrations_mount
from licensing.reports.api import router as seat_usage_api
from licensing.subscriptions.api import router as seats_api
from licensing.teams.api import router as team_admin_api
from portal import views

# The integration APIs (issue 21) in the same NinjaAPI and OpenAPI document as the licence API, and
# after them the JSON 404 of every other address under /api/v1/ (it matches any).
integrations_mount(api)
# The team-admin API (issue 21 §3): an admin's scripts, with a personal access token, under /teams/.
for router in (team_admin_api, seats_api, groups_api, seat_usage_api, activity_api):
    api.add_router("", router)
api.add_router("", not_found_router)

# The Django admin signs in through the portal's sign-in: the same throttle and second factor.
admin.site.login = views.admin_login

urlpatterns = [
    path("", views.home, name="home"),
    path("my/products/", views.my_products, name="my-products"),
    path("my/account/", views.account, name="account"),
    path("teams/<int:team_id>/", views.team_home, name="team-home"),
    path("teams/<int:team_id>/", include("licensing.subscriptions.urls")),
    path("teams/<int:team_id>/users/", include("licensing.teams.urls")),
    path("teams/<int:team_id>/groups/", include("licensing.groups.urls")),
    path("teams/<int:team_id>/settings/", include("licensing.teams.settings_urls")),
    path("teams/<int:team_id>/settings/webhooks/", include("licensing.webhooks.urls")),
    path("teams/<int:team_id>/activity/", include("licensing.activity.urls")),
    path("teams/<int:team_id>/reports/", include("licensing.reports.urls")),
    path("teams/<int:team_id>/jobs/", include("licensing.jobs.urls")),  # a large export's or import's page
    path("", include("licensing.accounts.urls")),  # /teams/<id>/invite/..., /invitations/<token>/
    # Signing in is django-allauth's (its rate limits, the second factor); the Django admin signs in
    # there too (secure_admin_login, licensing/accounts/admin.py). Of allauth's account pages only
    # these: accounts are made by invitation, and the e-mail address is the login (no address pages).
    path("accounts/login/", allauth_views.login, name="login"),
    path("accounts/login/", allauth_views.login, name="account_login"),
    path("accounts/logout/", views.LogoutView.as_view(), name="logout"),
    path("accounts/logout/", views.LogoutView.as_view(), name="account_logout"),
    path("accounts/reauthenticate/", allauth_views.reauthenticate, name="account_reauthenticate"),
    path("accounts/inactive/", allauth_views.account_inactive, name="account_inactive"),
    path("accounts/signup/", allauth_views.signup, name="account_signup"),  # closed: says so
    path("accounts/2fa/", include("allauth.mfa.urls")),  # the second factor: TOTP, passkeys, recovery codes
    # Passwords: django.contrib.auth's views with our templates (allauth's pages link to them by their names).
    # Not Django's default template names: the Django admin renders those for its own password change.
    path(
        "accounts/password/change/",
        views.PasswordChangeView.as_view(),  # signs the desktop devices out (user_password_changed)
        name="password_change",
    ),
    path("accounts/password/change/", views.PasswordChangeView.as_view(), name="account_change_password"),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_changed.html"),
        name="password_change_done",
    ),
    path("accounts/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/password/reset/", views.PasswordResetView.as_view(), name="account_reset_password"),
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
