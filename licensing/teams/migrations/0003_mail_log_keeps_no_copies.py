"""The log of sent mails keeps no copy of them (issue 19): django-mailer copied every mail it sent into
its MessageLog, password-reset and invitation links included, and support staff who may view the log
read them. MAILER_EMAIL_LOG_MESSAGE_DATA = False stops new copies; this blanks the old ones, as the
log would have kept them had the setting always been there (subject and recipient go with the body:
they are inside the same pickle).

It lives in the teams app, whose migrations the security issue's support changes own, because
django-mailer's migrations are not ours to add to."""

from django.db import migrations


def mail_copies_delete(apps, schema_editor):
    MessageLog = apps.get_model("mailer", "MessageLog")
    MessageLog.objects.filter(message_data__isnull=False).update(message_data=None)


class Migration(migrations.Migration):
    dependencies = [
        ("teams", "0002_team_admins_need_second_factor"),
        ("mailer", "0007_alter_messagelog_message_data"),
    ]

    operations = [
        migrations.RunPython(mail_copies_delete, migrations.RunPython.noop, elidable=True),
    ]
