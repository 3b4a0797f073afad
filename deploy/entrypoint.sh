#!/usr/bin/env bash
# The image's roles: web | worker [QUEUES] | beat | migrate | backup [DIR] | restore DIR |
# manage ARGS... | any other command as given. Settings come from the environment
# (docs/operations.md lists every variable).
set -euo pipefail
cd /app
mkdir -p /tmp/liaison "${PROMETHEUS_MULTIPROC_DIR:-/tmp/prometheus}"

role="${1:-web}"
shift || true
case "$role" in
  web)
    exec gunicorn -c deploy/gunicorn.conf.py portal.wsgi "$@"
    ;;
  worker)
    # QUEUES: comma-separated (default: the default queue "celery"). With
    # LIAISON_TASK_QUEUES=split, run one worker set per queue: celery, render, cybertip.
    queues="${1:-${CELERY_QUEUES:-celery}}"
    shift || true
    exec celery -A portal worker --loglevel="${LOG_LEVEL:-INFO}" -Q "$queues" \
      --concurrency="${CELERY_CONCURRENCY:-$(nproc)}" -n "${queues%%,*}@%h" \
      --without-gossip --without-mingle "$@"
    ;;
  beat)
    # Only under the advisory lock: a second beat waits (portal/singleton.py).
    exec python -m portal.singleton --name beat -- \
      celery -A portal beat --loglevel="${LOG_LEVEL:-INFO}" --pidfile= "$@"
    ;;
  migrate)
    # The release step: once per release, before the new web pods take traffic.
    python manage.py migrate --noinput
    exec python manage.py check --deploy --fail-level WARNING
    ;;
  backup)
    # A login that reads every table (the schema owner), not the runtime role.
    export DATABASE_URL="${DATABASE_BACKUP_URL:-$DATABASE_URL}"
    exec deploy/backup/backup.sh "${1:-/backups}"
    ;;
  restore)
    export DATABASE_URL="${DATABASE_BACKUP_URL:-$DATABASE_URL}"
    exec deploy/backup/restore.sh "$@"
    ;;
  manage)
    exec python manage.py "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
