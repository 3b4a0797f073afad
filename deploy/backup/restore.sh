#!/usr/bin/env bash
# Restore a Liaison backup made by backup.sh into an EMPTY database, then prove it whole.
#
#   DATABASE_URL=postgres://OWNER@.../liaison deploy/backup/restore.sh BACKUP_FOLDER
#
# DATABASE_URL is the schema owner's login (the restored objects belong to it); the
# `migrate` step then grants the runtime role (DATABASE_URL of the portal) its rights again,
# as after every migration (portal/dbroles.py).
# Create the database first (createdb, or the managed service's console); restoring over
# a database that has tables is refused, so a typo cannot overwrite production. Steps:
# checksums, pg_restore in one transaction, the storage files (never overwriting), then
# `verify_audit_log` (the access log's hash chain) and `storage_verify` (every file the
# database names is present and unaltered). Any failure stops with a non-zero status.
# Stop web, workers and beat first; start them after it succeeded (docs/operations.md).
set -euo pipefail
source "$(dirname "$0")/pgtools.sh"
: "${DATABASE_URL:?DATABASE_URL is required}"
src="${1:?usage: restore.sh BACKUP_FOLDER}"

echo "== checksums"
(cd "$src" && sha256sum --check --quiet SHA256SUMS)

tables=$("$PYTHON" - <<'PY'
import os, psycopg
with psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=10) as conn:
    print(conn.execute(
        "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
    ).fetchone()[0])
PY
)
if [ "$tables" != "0" ]; then
  echo "refusing to restore: the target database already has $tables tables" >&2
  exit 1
fi

bin=$(pg_bin_dir)
echo "== database ($("$bin/pg_restore" --version))"
"$bin/pg_restore" --no-owner --no-privileges --exit-on-error --single-transaction \
  --dbname="$DATABASE_URL" "$src/database.dump"

echo "== runtime role's rights"
manage migrate --noinput

echo "== storage"
manage storage_restore --from "$src/storage"

echo "== verify"
manage verify_audit_log
manage storage_verify
echo "restore complete and verified"
