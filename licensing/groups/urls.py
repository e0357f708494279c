"""User management › By Group, under /teams/<team_id>/groups/ (portal/urls.py includes this)."""

from django.urls import path

from . import member_views, product_views, views

app_name = "groups"

urlpatterns = [
    path("", views.group_list, name="group-list"),
    path("create/", views.group_create, name="group-create"),
    path("<int:group_id>/", views.group_detail, name="group-detail"),
    path("<int:group_id>/rename/", views.group_rename, name="group-rename"),
    path("<int:group_id>/delete/", views.group_delete, name="group-delete"),
    path("<int:group_id>/members/add/", member_views.group_members_add, name="group-members-add"),
    path(
        "<int:group_id>/members/add/candidates/",
        member_views.group_members_candidates,
        name="group-members-candidates",
    ),
    path("<int:group_id>/members/remove/", member_views.group_members_remove, name="group-members-remove"),
    path("<int:group_id>/members/import/", member_views.group_members_import, name="group-members-import"),
    path(
        "<int:group_id>/members/import/confirm/",
        member_views.group_members_import_confirm,
        name="group-members-import-confirm",
    ),
    path("<int:group_id>/products/assign/", product_views.group_product_assign, name="group-product-assign"),
    path(
        "<int:group_id>/products/<int:product_id>/items/",
        product_views.group_product_change,
        name="group-product-change",
    ),
    path(
        "<int:group_id>/products/<int:product_id>/unassign/",
        product_views.group_product_unassign,
        name="group-product-unassign",
    ),
]
