"""Team settings › Webhooks, under /teams/<team_id>/settings/webhooks/ (portal/urls.py includes this)."""

from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("", views.endpoint_list, name="endpoint-list"),
    path("add/", views.endpoint_add, name="endpoint-add"),
    path("<int:endpoint_id>/", views.endpoint_detail, name="endpoint-detail"),
    path("<int:endpoint_id>/edit/", views.endpoint_edit, name="endpoint-edit"),
    path("<int:endpoint_id>/rotate/", views.endpoint_rotate, name="endpoint-rotate"),
    path("<int:endpoint_id>/toggle/", views.endpoint_toggle, name="endpoint-toggle"),
    path("<int:endpoint_id>/delete/", views.endpoint_delete, name="endpoint-delete"),
    path("<int:endpoint_id>/deliveries/<int:delivery_id>/resend/", views.delivery_resend, name="delivery-resend"),
]
