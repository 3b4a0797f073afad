"""gunicorn settings for production (``gunicorn -c deploy/gunicorn.conf.py portal.wsgi``).

Threaded workers (gthread): every request commits at least one access-log row and waits for
PostgreSQL to flush it to disk; while one thread waits, the others use the CPU, and the
commits of several threads share one flush. They also keep connections open between
requests (nginx's upstream ``keepalive``), which sync workers cannot. Django and the portal
keep per-request state in context variables and per-thread database connections, so
threads share nothing mutable. Measured in bench/README.md (API section).
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))  # per worker
# Longer than nginx's upstream keepalive_timeout (60 s by default), so nginx, not gunicorn,
# closes idle connections and never sends a request down one gunicorn just closed.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "75"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
# Recycle workers now and then (a slow leak cannot grow for ever). At a few hundred
# requests a second, 2,000 restarted a worker every few seconds; 50,000 is every few
# minutes at full load. The jitter keeps workers from restarting together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
accesslog = "-"
# No query strings in the access log: search terms may be personal data.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss rid=%({x-request-id}o)s'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
