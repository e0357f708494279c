"""Subscriptions screens of a team, under /teams/<team_id>/ (portal/urls.py includes this)."""

from django.urls import path

from . import contract_views, product_views, views

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
    # "Undo" in the message after an unassign (issue 22): the seats of a signed token back.
    path("undo/unassign/", views.assignments_restore, name="assignments-restore"),
    # Billing & Orders › Contracts (R-T12).
    path("contracts/", contract_views.contract_list, name="contract-list"),
    path("contracts/<int:contract_id>/", contract_views.contract_detail, name="contract-detail"),
    # User management › By Product (R-BP1, R-BP2).
    path("products/", product_views.product_list, name="product-list"),
    path("products/export.csv", product_views.product_export, name="product-export"),
    path("products/<int:product_id>/", product_views.product_detail, name="product-detail"),
    path("products/<int:product_id>/assign/", product_views.product_assign_users, name="product-assign-users"),
    path(
        "products/<int:product_id>/assign/suggestions/",
        product_views.product_assign_suggestions,
        name="product-assign-suggestions",
    ),
    path(
        "products/<int:product_id>/users/<int:member_id>/unassign/",
        product_views.product_assignment_unassign,
        name="product-assignment-unassign",
    ),
    path(
        "products/<int:product_id>/users/<int:member_id>/items/",
        product_views.product_assignment_change,
        name="product-assignment-change",
    ),
]
