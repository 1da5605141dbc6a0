"""Gunicorn settings for production and for the multi-server tests: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be changed from the environment, so one file serves a laptop, a test and a server.
Threaded workers (gthread) keep the walk answering while a worker thread builds an export or
takes a slow upload: the slow request holds one thread, the other threads and workers go on.
Report PDFs are drawn by separate interpreters at a lower priority, never in a worker.
"""

import multiprocessing
import os


def default_workers(database_url: str) -> int:
    """SQLite, the default, has one write lock for the whole database: two workers of four threads
    keep a team's burst of changes queued in gunicorn's backlog, where each waits its turn, rather
    than twenty writers polling for the lock. A database server takes a worker per core and more."""
    if not database_url or database_url.startswith("sqlite"):
        return 2
    return min(2 * multiprocessing.cpu_count() + 1, 9)


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS") or default_workers(os.environ.get("DATABASE_URL", "")))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A phone on a bad link may take long to send a photo.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that a slow leak in a library never builds up.
max_requests = 2000
max_requests_jitter = 200
# The app writes one log line per request itself (with its request id and user); gunicorn's
# access log would say the same thing twice.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Trust X-Forwarded-* only from the reverse proxy in front.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
