"""The shell's own screens: the home page (My products, the teams one manages), a team's landing
page, the sign-in forms and the error pages."""

import functools
import sys
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template import loader
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import defaults

from licensing.accounts import throttle
from licensing.accounts.devices import user_password_changed
from licensing.accounts.models import User
from licensing.subscriptions.models import Assignment, Product, Subscription
from licensing.teams.models import Member, Team
from licensing.teams.permissions import can_manage_members, is_support
from portal import mail
from portal import navigation as nav
from portal.middleware import DATABASE_ERRORS, database_unavailable

# --- Loading a team -----------------------------------------------------------------------------


def team_for_admin(request, team_id: int) -> Team:
    """The team `team_id` for one of its admin screens (SPEC §2).

    Someone with no place in the team gets 404, as if it did not exist: nobody learns of another
    team through the portal. A member who is not an admin gets 403. Support staff see every team.
    """
    user = request.user
    visible = Team.objects.all() if is_support(user) else Team.objects.of_user(user)
    team = get_object_or_404(visible.select_related("customer"), pk=team_id)
    if not can_manage_members(user, team):
        raise PermissionDenied(_("Only the team's administrators can open this page."))
    return team


# --- Home and My products -----------------------------------------------------------------------


def my_assignments(user):
    """What `user` holds in each team where they are an active member, with product, items and team
    in two queries whatever the count."""
    return (
        Assignment.objects.filter(member__user=user, member__status=Member.Status.ACTIVE)
        .select_related("product", "member__team")
        .prefetch_related("items")
        .order_by("product__name", "member__team__name", "pk")
    )


def _count(queryset, team_field: str = "team", column: str = "pk", aggregate=Count):
    """A correlated subquery: `aggregate(column)` over `queryset` (rows of one team, grouped by
    `team_field`), 0 when there are no rows."""
    total = queryset.order_by().values(team_field).annotate(total=aggregate(column)).values("total")
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


def teams_with_overview(user):
    """The teams `user` administers, each with its member and seat counts and the user's role there."""
    team = OuterRef("pk")
    # A filter on the team's members (as administered_by does) and a count over them would share
    # one join and count only the user; subqueries keep the numbers honest.
    return (
        Team.objects.filter(pk__in=Team.objects.administered_by(user).values("pk"))
        .select_related("customer")
        .annotate(
            active_members=_count(Member.objects.filter(team=team, status=Member.Status.ACTIVE)),
            invited_members=_count(Member.objects.filter(team=team, status=Member.Status.INVITED)),
            seats_purchased=_count(Subscription.objects.active().filter(team=team), column="seats", aggregate=Sum),
            seats_assigned=_count(Assignment.objects.filter(member__team=team), "member__team"),
            my_role=Subquery(Member.objects.filter(team=team, user=user).values("role")[:1]),
        )
    )


@dataclass(frozen=True)
class TeamCard:
    team: Team
    role: str
    links: tuple[nav.NavLink, ...]


def team_cards(user) -> list[TeamCard]:
    cards = []
    # The teams where the user is the primary admin first: the shell starts in the first of them.
    teams = sorted(teams_with_overview(user), key=lambda team: team.my_role != Member.Role.PRIMARY_ADMIN)
    for team in teams:
        groups = nav.resolve(user, team=team, team_admin=True, personal=False)
        links = tuple(link for group in groups for link in group.links)
        cards.append(TeamCard(team, Member.Role(team.my_role).label, links))
    return cards


@login_required
def home(request):
    """A signed-in person's start: their products, and for admins a card per team they manage."""
    context = {"assignments": my_assignments(request.user), "team_cards": team_cards(request.user)}
    return render(request, "portal/home.html", context)


@login_required
def my_products(request):
    """What is assigned to the signed-in person, in every team, with the downloads (R-P3)."""
    return render(request, "portal/my_products.html", {"assignments": my_assignments(request.user)})


@login_required
def account(request):
    """The account menu as a page: what its button in the top bar opens without JavaScript."""
    return render(request, "portal/account.html")


# --- A team's landing page ----------------------------------------------------------------------


@login_required
def team_home(request, team_id: int):
    """A team at a glance for its admins: name, admins, members and the products with their seats."""
    team = team_for_admin(request, team_id)
    counts = team.members.aggregate(
        active=Count("pk", filter=Q(status=Member.Status.ACTIVE)),
        invited=Count("pk", filter=Q(status=Member.Status.INVITED)),
        guests=Count("pk", filter=Q(is_guest=True)),
    )
    admins = team.members.admins().select_related("user").order_by("role", "user__last_name", "user__first_name")
    products = Product.objects.of_team(team).with_seat_counts(team).order_by("name")
    groups = nav.resolve(request.user, team=team, team_admin=True, personal=False)
    links = tuple(link for group in groups for link in group.links if link.url != request.path)
    context = {"team": team, "counts": counts, "admins": admins, "products": products, "links": links}
    return render(request, "portal/team_home.html", context)


# --- Signing in ---------------------------------------------------------------------------------


def admin_login(request, extra_context=None):
    """The Django admin's sign-in page (`admin.site.login`) is the portal's: the same throttle and
    second factor for support staff. Django's own form is never shown, so it checks no password."""
    redirect_to = url_has_allowed_host_and_scheme(request.GET.get("next", ""), allowed_hosts={request.get_host()})
    next_url = request.GET["next"] if redirect_to else reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(next_url, settings.LOGIN_URL)
    if not (request.user.is_active and request.user.is_staff):
        raise PermissionDenied(_("The support admin is for the vendor's support staff."))
    return HttpResponseRedirect(next_url)


class LogoutView(auth_views.LogoutView):
    """Signs out (POST only, Django 5) and says so on the sign-in page."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.success(request, _("You have been signed out."))
        return response


class QueuedPasswordResetForm(PasswordResetForm):
    """The password-reset mail, in the recipient's language, queued like every mail (SPEC §4; the
    queue is django-mailer's, see portal.mail) and sent once the answer has gone out (the view).

    An address without an account gets no mail, but the same work is done for it (the token and the
    mail are made, and thrown away), so that the answer does not take longer for an address that has
    an account than for one that has not."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("E-mail address")
        self.pending: list[EmailMultiAlternatives] = []  # the mail made here, for the view to queue and send

    def save(self, *args, **kwargs):
        email = self.cleaned_data["email"]
        if next(iter(self.get_users(email)), None) is None:
            stand_in = User(email=email, password="!")
            context = {
                "email": email,
                "domain": settings.SITE_URL,
                "uid": "-",
                "token": default_token_generator.make_token(stand_in),
                "protocol": "https",
                "user": stand_in,
            }
            self.send_mail(
                kwargs.get("subject_template_name"),
                kwargs.get("email_template_name"),
                context,
                kwargs.get("from_email"),
                email,
                html_email_template_name=kwargs.get("html_email_template_name"),
                deliver=False,
            )
        return super().save(*args, **kwargs)

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
        deliver=True,
    ):
        # The message PasswordResetForm.send_mail makes; kept for the view, which queues and sends it
        # once the answer is out (for an address without an account: made and thrown away).
        user = context["user"]
        context = {**context, "site_url": settings.SITE_URL, "recipient": user}
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
            body = loader.render_to_string(email_template_name, context)
            message = EmailMultiAlternatives(subject, body, from_email, [to_email])
            if html_email_template_name is not None:
                message.attach_alternative(loader.render_to_string(html_email_template_name, context), "text/html")
        if deliver:
            self.pending.append(message)


class PasswordResetView(auth_views.PasswordResetView):
    """ "Forgot your password?": through the throttle (licensing.accounts.throttle: so many per address
    and per e-mail address, whether or not it has an account); the mail is sent after the answer."""

    form_class = QueuedPasswordResetForm
    subject_template_name = "registration/password_reset_subject.txt"
    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"

    def form_valid(self, form):
        try:
            throttle.password_reset_requested(self.request, form.cleaned_data["email"])
        except throttle.Throttled as refused:
            form.add_error("email", refused.message)
            return self.form_invalid(form)
        response = super().form_valid(form)
        # Queued and sent once the answer is out (the server closes the response), so that the answer
        # takes no longer for an address with an account, whose mail is written to the queue and goes
        # out, than for one without (both: 12-17 ms). Sent on commit, as every mail (inside a test's
        # transaction: queued, never sent), and only this mail: an import's thousands waiting in the
        # queue are cron's (portal.mail).
        if form.pending:
            response._resource_closers.append(functools.partial(mail.mail_queue, form.pending, send_inline=True))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """ "Change password", with our template. The new password signs the desktop devices out
    (`user_password_changed`)."""

    template_name = "registration/password_change.html"

    def form_valid(self, form):
        # Not one transaction with the save: hashing the password is slow on purpose, and on SQLite
        # an open transaction holds the write lock.
        response = super().form_valid(form)
        user_password_changed(user=form.user, actor=self.request.user)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The reset link's "Set password". The new password signs the desktop devices out
    (`user_password_changed`); the person, proven by the link, is who did it."""

    def form_valid(self, form):
        response = super().form_valid(form)
        user_password_changed(user=form.user, actor=form.user)
        throttle.password_reset_done(self.request, form.user.email)  # the owner, proven by the link
        return response


# --- Error pages --------------------------------------------------------------------------------


def permission_denied(request, exception=None):
    return defaults.permission_denied(request, exception, template_name="portal/403.html")


def page_not_found(request, exception=None):
    return defaults.page_not_found(request, exception, template_name="portal/404.html")


def server_error(request):
    """The 500 page, unless the error is a database that cannot be reached, raised outside a view (in a
    middleware, where process_exception does not see it): that is the 503 page. Django calls this
    while handling the exception, so sys.exc_info() is the error."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return database_unavailable(request)
    return defaults.server_error(request)
