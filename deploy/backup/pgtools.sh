# Sourced by backup.sh and restore.sh: pick PostgreSQL client tools that can talk to the
# server of $DATABASE_URL (pg_dump refuses servers newer than itself), and the Python that
# runs manage.py.
#
# PG_BIN=/path/to/bin forces a directory. Otherwise the candidates are pg_dump on PATH,
# Debian's /usr/lib/postgresql/*/bin and the one shipped with pgserver (the embedded
# server of development), and the oldest whose major version is at least the server's wins.

: "${PYTHON:=python}"
LIAISON_ROOT="${LIAISON_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

manage() {
  (cd "$LIAISON_ROOT" && "$PYTHON" manage.py "$@")
}

server_major() {
  "$PYTHON" - <<'PY'
import os, psycopg
with psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=10) as conn:
    print(conn.info.server_version // 10000)
PY
}

pg_bin_dir() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local want best="" best_major=999 candidate major embedded
  want=$(server_major)
  embedded=$("$PYTHON" -c 'import os, pgserver; print(os.path.join(os.path.dirname(pgserver.__file__), "pginstall", "bin"))' 2>/dev/null || true)
  for candidate in "$(dirname "$(command -v pg_dump 2>/dev/null || echo /nonexistent/x)")" \
                   /usr/lib/postgresql/*/bin "$embedded"; do
    [ -x "$candidate/pg_dump" ] || continue
    major=$("$candidate/pg_dump" --version | grep -oE '[0-9]+' | head -1)
    if [ "$major" -ge "$want" ] && [ "$major" -lt "$best_major" ]; then
      best="$candidate"; best_major="$major"
    fi
  done
  if [ -z "$best" ]; then
    echo "no pg_dump of version >= $want found; set PG_BIN" >&2
    return 1
  fi
  echo "$best"
}
