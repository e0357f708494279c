"""Subscriptions screens of a team, under /teams/<team_id>/ (portal/urls.py includes this)."""

from django.urls import path

from . import views

app_name = "subscriptions"

urlpatterns = [
    # By User › a user › Products (R-P2, R-P4): the actions of the products section of a user's page.
    path(
        "users/<int:member_id>/products/<int:product_id>/assign/",
        views.member_product_assign,
        name="member-product-assign",
    ),
    path(
        "users/<int:member_id>/products/<int:product_id>/items/",
        views.member_product_change,
        name="member-product-change",
    ),
    path(
        "users/<int:member_id>/products/<int:product_id>/unassign/",
        views.member_product_unassign,
        name="member-product-unassign",
    ),
]
