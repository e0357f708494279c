"""The group "Support staff" (issue 19): what a support desk member needs, given by a superuser by
putting a staff account in it. Support's powers in the portal come from "Act as support staff in
every team" (teams.permissions.is_support), the admin's pages from the model permissions:

- act on every team as its admins do (SPEC §2): customers and teams (see, add, change; teams are
  never deleted), members (also delete, by the rules R-D1, R-D2), accounts of customers' people (see,
  add, change: e-mail, name, language, a new password; staff and superuser accounts stay read-only to
  them, see accounts.admin), invitations (see; re-sent through the members), desktop devices (see,
  sign out);
- contracts (see, change the contract manager R-SA4), subscriptions (see, record a purchase, change:
  seats, renewals, moves R-T11), assignments (all four), seat usage and the activity log (see);
- mail: the queue (see, retry), the log and the do-not-send list (see); never the mails' bodies.

Not in it: the catalogue of products and items (the vendor's order system), deleting accounts, and
groups and permissions, which only superusers grant. A superuser may change the group afterwards;
running this again (it runs once) adds what is missing and removes nothing.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Support staff"
PERMISSIONS = {
    "teams": ["act_as_support", *(f"{right}_{model}" for model in ("customer", "team") for right in ("view", "add", "change"))]
    + ["view_member", "add_member", "change_member", "delete_member"],
    "accounts": ["view_user", "add_user", "change_user", "view_invitation", "view_apitoken", "change_apitoken"],
    "subscriptions": [
        "view_contract",
        "change_contract",
        "view_subscription",
        "add_subscription",
        "change_subscription",
        "view_assignment",
        "add_assignment",
        "change_assignment",
        "delete_assignment",
        "view_product",
        "view_productitem",
        "view_seatusage",
    ],
    "activity": ["view_activityevent"],
    "mailer": ["view_message", "change_message", "view_messagelog", "view_dontsendentry"],
}


def support_staff_group_create(apps, schema_editor):
    # Permissions are made after the last migration (post_migrate); on a new database they do not
    # exist yet here, so make them now (create_permissions skips those that exist).
    for app_label in PERMISSIONS:
        create_permissions(global_apps.get_app_config(app_label), verbosity=0, using=schema_editor.connection.alias, apps=apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    for app_label, codenames in PERMISSIONS.items():
        found = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        assert found.count() == len(codenames), f"{app_label}: {sorted(set(codenames) - set(found.values_list('codename', flat=True)))}"
        group.permissions.add(*found)


class Migration(migrations.Migration):
    dependencies = [
        ("teams", "0004_act_as_support"),
        ("accounts", "0003_api_tokens"),
        ("subscriptions", "0004_seat_usage_month"),
        ("activity", "0003_alter_activityevent_action"),
        ("mailer", "0007_alter_messagelog_message_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(support_staff_group_create, migrations.RunPython.noop),
    ]
