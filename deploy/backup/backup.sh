#!/usr/bin/env bash
# Back up Liaison: the PostgreSQL database, then the evidence storage.
#
#   DATABASE_URL=postgres://OWNER@... deploy/backup/backup.sh [DEST]
#
# DATABASE_URL: a direct login (no transaction pooler) that can read every table: the
# schema owner's, or a role with pg_read_all_data.
# DEST (default: $BACKUP_DIR or ./backups) gets a folder liaison-<UTC time>/ with
#   database.dump      pg_dump custom format (compressed; pg_restore reads it)
#   storage/           every file of the default storage, and storage/MANIFEST.sha256
#   SHA256SUMS         checksums of the dump and the manifest
# The database goes first: a file is stored before the row naming it commits, so every
# file the dump refers to is already there when the storage is copied (portal/backup.py).
# The audit checkpoint key and SECRET_KEY are not in the backup (they must not be: keep
# them in the secret store); the checkpoint files are in LIAISON_AUDIT_CHECKPOINT_DIR.
# Needs the application's environment (settings) for the storage step: run it in the
# image (`docker compose run --rm backup`, the CronJob in deploy/k8s) or the venv.
set -euo pipefail
source "$(dirname "$0")/pgtools.sh"
: "${DATABASE_URL:?DATABASE_URL is required}"

dest_root="${1:-${BACKUP_DIR:-./backups}}"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
dest="$dest_root/liaison-$stamp"
umask 077  # the dump holds personal data: readable by the backup user only
mkdir -p "$dest"

bin=$(pg_bin_dir)
echo "== database ($("$bin/pg_dump" --version))"
"$bin/pg_dump" --format=custom --compress=6 --no-owner --no-privileges \
  --file="$dest/database.dump" --dbname="$DATABASE_URL"

echo "== storage"
manage storage_backup --to "$dest/storage"

(cd "$dest" && sha256sum database.dump storage/MANIFEST.sha256 > SHA256SUMS)
echo "backup complete: $dest"
