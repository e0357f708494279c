"""The admin of assignments: the seats members hold."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from licensing.subscriptions.forms_admin import AssignmentCreateForm, AssignmentItemsForm
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import assignment_create, assignment_delete, assignment_update
from licensing.teams.admin.base import ServiceAdmin, TeamFilter, admin_url, person


class AssignmentTeamFilter(TeamFilter):
    team_field = "member__team"


@admin.register(Assignment)
class AssignmentAdmin(ServiceAdmin):
    """Seats held. Created with `assignment_create` (within the team's seats, R-SE1), items changed
    with `assignment_update`, deleted with `assignment_delete`."""

    form = AssignmentItemsForm
    list_display = ("member_name", "email", "team_name", "product", "item_names", "assigned_at", "assigned_by")
    list_select_related = ("member__user", "member__team", "product", "assigned_by")
    list_filter = (AssignmentTeamFilter, "product", ("assigned_at", admin.DateFieldListFilter))
    search_fields = (
        "member__user__email",
        "member__user__first_name",
        "member__user__last_name",
        "member__team__name",
        "product__name",
    )
    # One row per seat held, tens of thousands: no second COUNT(*) for "N total", and no
    # date_hierarchy, whose list of months reads every row; the date is a list filter instead.
    show_full_result_count = False
    fields = ("member", "product", "items", "assigned_at", "assigned_by")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("items")

    def get_readonly_fields(self, request, obj=None):
        readonly = ["member", "product", "assigned_at", "assigned_by"]
        if obj is not None and not obj.product.items.exists():
            readonly.append("items")
        return readonly

    @admin.display(description=_("member"), ordering="member__user__last_name")
    def member_name(self, obj) -> str:
        return person(obj.member.user)

    @admin.display(description=_("e-mail address"), ordering="member__user__email")
    def email(self, obj) -> str:
        return obj.member.user.email

    # Not named `team`: the changelist would show Assignment.team, the field, unselected (a query a row).
    @admin.display(description=_("team"), ordering="member__team__name")
    def team_name(self, obj) -> str:
        return obj.member.team.name

    @admin.display(description=_("items"))
    def item_names(self, obj) -> str:
        return ", ".join(item.name for item in obj.items.all()) or "-"

    def add_view(self, request, form_url="", extra_context=None):
        self.require(self.has_add_permission(request))
        form = AssignmentCreateForm(
            request.POST if request.method == "POST" else None,
            initial=request.GET.dict(),
            admin_site=self.admin_site,
        )

        def assign(data):
            assignment = assignment_create(
                member=data["member"], product=data["product"], items=data["items"] or None, actor=request.user
            )
            self.log_addition(request, assignment, [{"added": {}}])
            return _("%(product)s assigned to %(name)s.") % {
                "product": assignment.product,
                "name": person(assignment.member.user),
            }, admin_url(assignment)

        return self.service_view(
            request,
            form=form,
            title=_("Assign a product"),
            action=assign,
            cancel_url=reverse("admin:subscriptions_assignment_changelist"),
            submit_label=_("Assign"),
            intro=_("The member gets a seat of the product in their team, if one is free (R-SE1), and a mail (R-P3)."),
        )

    def save_model(self, request, obj, form, change):
        if "items" in form.cleaned_data:
            assignment_update(assignment=obj, items=form.cleaned_data["items"], actor=request.user)

    def save_related(self, request, form, formsets, change):
        pass  # the items were set by assignment_update, with its audit row

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:  # a seat only groups give (R-GR4): taken away through the groups
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_model(self, request, obj):
        try:
            assignment_delete(assignment=obj, actor=request.user)
        except ValidationError as error:
            if error.code != "already_unassigned":
                raise
            # Someone unassigned it first: what support asked for is done; say so.
            self.message_user(request, " ".join(error.messages), messages.INFO)

    def delete_queryset(self, request, queryset):
        for assignment in queryset:
            try:
                assignment_delete(assignment=assignment, actor=request.user)
            except ValidationError as error:
                # Someone unassigned it first (done, as asked), or only groups give it (R-GR4): say so.
                level = messages.INFO if error.code == "already_unassigned" else messages.ERROR
                self.message_user(request, " ".join(error.messages), level)
