"""Two database roles: the schema owner that migrates, the runtime role that serves.

Why (docs/security.md, finding 1; NIST 800-53 AU-9): in PostgreSQL the owner of a table may
``ALTER TABLE ... DISABLE TRIGGER``, which switches off the access log's append-only guard,
after which rows can be edited and the chain re-hashed. So the role the running portal uses
must not own the log. ``migrate`` logs in as the owner (``DATABASE_MIGRATE_URL``; on the
embedded default the role ``liaison_owner``) and, when done, grants the runtime role what it
needs and no more: data rights on every table, but on the access log only SELECT, INSERT and
UPDATE of the three seal columns (the guard trigger allows a seal only from empty to set),
and on the chain anchors only SELECT and INSERT.

The runtime role is ``LIAISON_DB_RUNTIME_ROLE`` if set, else the login of ``DATABASE_URL``
when it differs from the migrating login, else ``liaison_app`` (created ``NOLOGIN`` when the
migrating role may create roles, as a superuser in a test run can). So a single superuser URL
(tests, CI) still migrates and runs, and the attack tests act as the real runtime role.

``database_roles_problems`` is the deploy check (``manage.py check --deploy --database
default``): it fails when the role the portal runs as owns the log, could become its owner,
is a superuser, or holds UPDATE, DELETE or TRUNCATE on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg import sql

DEFAULT_RUNTIME_ROLE = "liaison_app"
# Tables the runtime role may only read and append to (the seal columns excepted).
APPEND_ONLY_TABLES = ("audit_accessevent", "audit_chainanchor")
SEAL_COLUMNS = ("seq", "prev_hash", "hash")
_LOGIN_KEYS = ("USER", "PASSWORD", "HOST", "PORT")


def migrate_login_overrides() -> dict[str, Any]:
    """The connection settings ``migrate`` uses instead of the runtime ones (may be empty)."""
    return dict(getattr(settings, "LIAISON_DB_MIGRATE", {}) or {})


def runtime_role(alias: str = DEFAULT_DB_ALIAS) -> str:
    """The role the migrating role grants the runtime rights to (see the module docstring)."""
    configured = getattr(settings, "LIAISON_DB_RUNTIME_ROLE", "")
    if configured:
        return str(configured)
    login = connections[alias].settings_dict.get("USER") or ""
    migrating = migrate_login_overrides().get("USER") or login
    if login and login != migrating:
        return str(login)
    return DEFAULT_RUNTIME_ROLE


@contextmanager
def migrate_login(alias: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Connect as the schema owner inside the block, as the runtime login after it.

    The connection is closed on the way in and out, so no statement of one role runs on the
    other's session. Not for use inside a transaction.
    """
    overrides = migrate_login_overrides()
    conn = connections[alias]
    if alias != DEFAULT_DB_ALIAS or not overrides:
        yield
        return
    saved = {key: conn.settings_dict.get(key) for key in overrides}
    conn.close()
    conn.settings_dict.update(overrides)
    try:
        yield
    finally:
        conn.close()
        conn.settings_dict.update(saved)


def database_privileges_apply(*, alias: str = DEFAULT_DB_ALIAS, role: str | None = None) -> str:
    """As the schema owner: make sure the runtime role exists and holds exactly its rights.

    Run after every migration (new tables get their grants). Idempotent. Returns the role.
    """
    role = role or runtime_role(alias)
    ident = sql.Identifier(role)
    conn = connections[alias]
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            # Concurrent test runs on one server may race here; the role is cluster-wide.
            cursor.execute(
                sql.SQL(
                    "DO $$ BEGIN CREATE ROLE {} NOLOGIN; "
                    "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
                )
                .format(ident)
                .as_string(cursor.connection)
            )
        cursor.execute("SELECT current_user")
        (owner,) = cursor.fetchone()
        if owner == role:
            return role  # one login for both: nothing to grant (the deploy check says so)
        statements = [
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident),
            sql.SQL(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}"
            ).format(ident),
            sql.SQL("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {}").format(
                ident
            ),
        ]
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relkind = 'r' "
            "AND relnamespace = 'public'::regnamespace",
            [list(APPEND_ONLY_TABLES)],
        )
        present = {name for (name,) in cursor.fetchall()}
        for table in APPEND_ONLY_TABLES:
            if table not in present:
                continue
            statements.append(
                sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
                    sql.Identifier(table), ident
                )
            )
        if "audit_accessevent" in present:
            statements.append(
                sql.SQL("GRANT UPDATE ({}) ON audit_accessevent TO {}").format(
                    sql.SQL(", ").join(sql.Identifier(c) for c in SEAL_COLUMNS), ident
                )
            )
        for statement in statements:
            cursor.execute(statement.as_string(cursor.connection))
    return role


def database_roles_problems(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    """Why the role the portal runs as could rewrite the access log (empty: it cannot)."""
    conn = connections[alias]
    with conn.cursor() as cursor:
        cursor.execute("SELECT to_regclass('public.audit_accessevent') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return ["the access log table does not exist yet: run manage.py migrate"]
        cursor.execute(
            """
            SELECT u.who, pg_get_userbyid(c.relowner),
                   pg_has_role(u.who, c.relowner, 'MEMBER'),
                   r.rolsuper,
                   has_table_privilege(u.who, c.oid, 'UPDATE'),
                   has_table_privilege(u.who, c.oid, 'DELETE'),
                   has_table_privilege(u.who, c.oid, 'TRUNCATE')
            FROM (VALUES (session_user::text), (current_user::text)) u(who)
            JOIN pg_roles r ON r.rolname = u.who
            CROSS JOIN pg_class c
            WHERE c.oid = 'public.audit_accessevent'::regclass
            """
        )
        rows = cursor.fetchall()
    problems: list[str] = []
    for who, owner, member, superuser, update, delete, truncate in rows:
        if superuser:
            problems.append(f"the portal connects as {who}, a superuser")
        elif member:
            problems.append(
                f"the portal's role {who} owns the access log or may become its owner "
                f"({owner}): it could switch the log's guard off"
            )
        else:
            rights = [n for n, held in (("UPDATE", update), ("DELETE", delete)) if held]
            rights += ["TRUNCATE"] if truncate else []
            if rights:
                problems.append(
                    f"the portal's role {who} holds {', '.join(rights)} on the access log"
                )
    return sorted(set(problems))
