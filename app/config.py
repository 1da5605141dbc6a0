"""Settings read from the environment; defaults suit a single machine running SQLite."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = BASE_DIR / "instance"


def persistent_dev_secret(folder: Path = INSTANCE_DIR) -> str:
    """A random key kept in instance/ so sessions survive a restart when SECRET_KEY is unset.

    gunicorn's workers may all start before any key exists: each writes its own candidate to a
    file of its own, then links it to `secret_key`, which only one of them can do. Every worker
    reads the one that won, and never a file half written.
    """
    folder.mkdir(exist_ok=True)
    key_file = folder / "secret_key"
    if not key_file.exists():
        candidate = folder / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
        try:
            descriptor = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as out:
                out.write(secrets.token_hex(32))
            os.link(candidate, key_file)
        except FileExistsError:
            pass
        finally:
            candidate.unlink(missing_ok=True)
    return key_file.read_text().strip()


def database_url(url: str) -> str:
    """SQLite by default; a PostgreSQL URL in any of its usual spellings uses the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url or f"sqlite:///{INSTANCE_DIR / 'assessments.db'}"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY") or persistent_dev_secret()
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL", ""))
    # A connection the database dropped while idle (a restart, a failover) is replaced, not used.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # On SQLite, how long a write waits for the database's one write lock before answering 503
    # busy; well within gunicorn's worker timeout (gunicorn.conf.py).
    SQLITE_BUSY_TIMEOUT = float(os.environ.get("SQLITE_BUSY_TIMEOUT", "30"))
    # /healthz fails when the upload or database disk has less free space than this.
    HEALTH_MIN_FREE_MB = int(os.environ.get("HEALTH_MIN_FREE_MB", "100"))
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(BASE_DIR / "uploads"))
    RUBRIC_DIR = os.environ.get("RUBRIC_DIR", str(BASE_DIR / "rubric" / "forms"))
    ACTIVE_RUBRIC_ID = os.environ.get("ACTIVE_RUBRIC_ID", "station-quality")
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "25")) * 1024 * 1024
    MAX_PHOTO_MB = int(os.environ.get("MAX_PHOTO_MB", "20"))
    PHOTO_MAX_PIXELS = int(os.environ.get("PHOTO_MAX_PIXELS", "64000000"))
    PHOTO_MAX_EDGE = int(os.environ.get("PHOTO_MAX_EDGE", "1600"))
    STATIC_BUILD_DIR = os.environ.get("STATIC_BUILD_DIR", str(INSTANCE_DIR / "static-build"))
    KEEP_PHOTO_GPS = os.environ.get("KEEP_PHOTO_GPS", "").lower() in ("1", "true", "yes", "on")
    # A finalized report's PDF is drawn in the background as soon as a change to it is committed;
    # a download that finds it still being drawn waits this many seconds (less than the service
    # worker's 8 s for a page), then gets a page that asks again by itself.
    REPORT_PDF_AHEAD = os.environ.get("REPORT_PDF_AHEAD", "1").lower() in ("1", "true", "yes", "on")
    REPORT_PDF_WAIT = float(os.environ.get("REPORT_PDF_WAIT", "5"))
    # The authority's PAdES signature on finalized reports (app/services/reports/signing.py): a
    # PKCS#12 file and its password (unset: the `.password` file beside it), read at each drawing;
    # no file, no signature. An RFC 3161 time-stamp server is asked where its URL is set.
    SIGNING_P12 = os.environ.get("SIGNING_P12", str(INSTANCE_DIR / "signing.p12"))
    SIGNING_PASSWORD = os.environ.get("SIGNING_PASSWORD", "")
    SIGNING_TSA_URL = os.environ.get("SIGNING_TSA_URL", "")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # The cookie rolls forward with each request; the server ends a session idle this long,
    # and any session this old, whatever the cookie says.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_IDLE_LIFETIME = timedelta(hours=12)
    SESSION_MAX_LIFETIME = timedelta(days=7)
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = False

    # Pages, fragments and JSON go out compressed; static files are compressed ahead of time (assets.py).
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_BR_LEVEL = 5

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")
    LANGUAGES = ("zh_CN", "en")

    # E-mail about rectifications goes out only where SMTP_HOST is set.
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "").lower() in ("1", "true", "yes", "on")
    SMTP_FROM = os.environ.get("SMTP_FROM", "")
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "10"))
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "")

    # How many proxies in front set X-Forwarded-For: 0 (the default) believes none, so a client
    # reaching the app directly cannot choose its address; behind the HTTPS proxy set 1.
    PROXY_FIX_X_FOR = int(os.environ.get("PROXY_FIX_X_FOR", "0"))

    LOGIN_ATTEMPTS_PER_USERNAME = 5
    LOGIN_ATTEMPTS_PER_CLIENT = 30
    LOGIN_WINDOW = timedelta(minutes=15)
