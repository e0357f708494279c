"""Inviting and accepting (portal/urls.py includes this at the root): the team's "Invite users" dialog
under /teams/<team_id>/invite/, the public page the invitation mail links to, /invitations/<token>/, and
/device/, where a person signs the desktop software in through the browser."""

from django.urls import path

from . import device_views, token_views, views

app_name = "accounts"

urlpatterns = [
    path("teams/<int:team_id>/invite/", views.member_invite, name="member-invite"),
    path("teams/<int:team_id>/invite/multiple/", views.invite_multiple, name="invite-multiple"),
    path("teams/<int:team_id>/invite/import/", views.invite_import, name="invite-import"),
    path("teams/<int:team_id>/invite/import/confirm/", views.invite_import_confirm, name="invite-import-confirm"),
    path("teams/<int:team_id>/invite/import/example.csv", views.invite_import_example, name="invite-import-example"),
    path("teams/<int:team_id>/invite/<int:member_id>/resend/", views.invitation_resend, name="invitation-resend"),
    # The mails link here (licensing.accounts.services.invitation_send): keep the address.
    path("invitations/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("language/", views.language_set, name="language-set"),
    # Account menu › API tokens: one's own personal access tokens for the team-admin API (issue 21 §3).
    path("account/tokens/", token_views.access_token_list, name="access-token-list"),
    path("account/tokens/new/", token_views.access_token_create, name="access-token-create"),
    path("account/tokens/<int:access_token_id>/revoke/", token_views.access_token_revoke, name="access-token-revoke"),
    # The desktop software opens this page to be signed in through the browser (R-ID5): it tells the
    # software the address (licensing.accounts.api.device_authorization_create).
    path("device/", device_views.device_sign_in, name="device-sign-in"),
    path(
        "teams/<int:team_id>/users/<int:member_id>/devices/<int:token_id>/sign-out/",
        views.device_sign_out,
        name="device-sign-out",
    ),
]
