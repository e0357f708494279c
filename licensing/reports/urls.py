"""Reporting › Seat Usage, under /teams/<team_id>/reports/ (portal/urls.py includes this)."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("seat-usage/", views.seat_usage, name="seat-usage"),
    path("seat-usage/products.csv", views.seat_usage_export_products, name="seat-usage-export-products"),
    path("seat-usage/users.csv", views.seat_usage_export_users, name="seat-usage-export-users"),
    path("seat-usage/unassign/", views.seat_usage_unassign, name="seat-usage-unassign"),
]
