"""Create the role groups and the default team a fresh install routes cases to."""

from django.db import migrations

ROLES = ["responder", "legal", "child_safety", "supervisor", "auditor", "admin", "officer"]


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Team = apps.get_model("accounts", "Team")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    if not Team.objects.filter(is_default=True).exists():
        Team.objects.get_or_create(
            slug="default", defaults={"name": "Legal response", "is_default": True}
        )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
