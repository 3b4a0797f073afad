"""``manage.py migrate`` as the schema owner, then the runtime role's grants (portal.dbroles).

Django's own command does the migrating; this one only chooses the login it does it under
(``DATABASE_MIGRATE_URL``, or the embedded default's owner role) and, once the schema is up
to date, grants the runtime role its rights again, so a table a migration added is usable
and the access log stays append-only for the role the portal runs as. The test runner's
``call_command("migrate")`` comes here too.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrateCommand

from portal.dbroles import database_privileges_apply, migrate_login


class Command(DjangoMigrateCommand):
    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["database"]
        with migrate_login(alias):
            super().handle(*args, **options)
            if not options.get("plan") and not options.get("check_unapplied"):
                role = database_privileges_apply(alias=alias)
                if options["verbosity"] >= 1:
                    self.stdout.write(f"Runtime role {role}: privileges granted.")
