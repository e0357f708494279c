"""Account menu › API tokens (issue 21 §3): one's own personal access tokens for the team-admin API.
The list, "Create token" (after signing in again: allauth's reauthentication, since a token acts
without the second factor), the secret shown once with a copy button, and "Revoke" with a
confirmation. Dialogs with htmx, pages without it. Each calls licensing.accounts.access_tokens."""

from allauth.account.decorators import reauthentication_required
from allauth.core.exceptions import ReauthenticationRequired
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from licensing.accounts import access_tokens
from licensing.accounts.models import AccessToken
from licensing.accounts.token_forms import AccessTokenForm
from licensing.teams.models import Team
from portal.dialogs import dialog_done, render_dialog


def _list_url() -> str:
    return reverse("accounts:access-token-list")


@login_required
def access_token_list(request):
    """The signed-in person's tokens, newest first, with the teams each acts on."""
    tokens = AccessToken.objects.filter(user=request.user).prefetch_related(
        Prefetch("teams", queryset=Team.objects.order_by("name", "pk"))
    )
    administers = Team.objects.administered_by(request.user).exists()
    return render(request, "accounts/access_token_list.html", {"tokens": tokens, "administers": administers})


def _needs_reauthentication(request) -> bool:
    try:
        reauthentication_required(lambda request: None)(request)
    except ReauthenticationRequired:
        return True
    return False


@login_required
def access_token_create(request):
    """ "Create token": name, teams, access, end day. Signing in again comes first (within allauth's
    ACCOUNT_REAUTHENTICATION_TIMEOUT): the secret works without the second factor, so it is made only
    by whoever just proved to be its owner. The answer shows the secret once."""
    if _needs_reauthentication(request):
        if getattr(request, "htmx", False):
            # The dialog cannot sign in again: the page of this dialog can, and comes back to it.
            return HttpResponse(status=204, headers={"HX-Redirect": reverse("accounts:access-token-create")})
        raise ReauthenticationRequired()
    form = AccessTokenForm(request.POST if request.method == "POST" else None, user=request.user)
    if form.is_valid():
        try:
            token, secret = access_tokens.access_token_create(
                user=request.user,
                name=form.cleaned_data["name"],
                teams=form.chosen_teams(),
                access=form.cleaned_data["access"],
                expires_on=form.cleaned_data["expires_on"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            context = {"token": token, "secret": secret}
            response = render_dialog(request, "accounts/access_token_created.html", context)
            response["Cache-Control"] = "no-store"  # the secret is in it
            return response
    return render_dialog(request, "accounts/access_token_create.html", {"form": form})


@login_required
def access_token_revoke(request, access_token_id: int):
    """ "Revoke" → "Revoke token": it stops working at once. Someone else's token is not found."""
    token = get_object_or_404(AccessToken.objects.filter(user=request.user), pk=access_token_id)
    errors = []
    if request.method == "POST":
        try:
            access_tokens.access_token_revoke(token=token, actor=request.user)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, _("The token “%(name)s” is revoked: it no longer works.") % {"name": token.name})
            return dialog_done(request, _list_url())
    return render_dialog(request, "accounts/access_token_revoke.html", {"token": token, "errors": errors})
