"""Configuration classes, all read from environment variables (12-factor)."""
from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("DELPHI_INSTANCE_DIR", BASE_DIR / "instance"))


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str) -> list[str] | None:
    value = os.environ.get(name)
    if not value:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


# Keys anyone can read in this repository: only explicit development (make run, on loopback) and the tests may
# sign sessions with them (delphi.security.check_startup).
PUBLIC_SECRET_KEYS = frozenset({"", "dev-only-not-secret", "test-secret"})


def database_url(url: str) -> str:
    """Normalise a database URL to the driver we ship (psycopg 3)."""
    # psycopg 3 is the driver we ship; accept the common short forms.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    """Defaults shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'delphi.sqlite'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    INSTANCE_PATH = str(INSTANCE_DIR)

    # An expert may keep one round page open for hours: CSRF tokens do not expire with time.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_ENABLED = True

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False

    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 12 * 1024 * 1024))

    # Mail: "file" writes each message to instance/outbox/ (development, tests); "smtp" sends it.
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "file")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Delphi platform <no-reply@delphi.local>")
    MAIL_OUTBOX_DIR = os.environ.get("MAIL_OUTBOX_DIR", str(INSTANCE_DIR / "outbox"))

    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", 30))

    # The outbox (services/accounts/outbox.py) and the job system (delphi/jobs/): "inline" runs jobs in the process
    # right after the commit that queued them (development, tests); "rq" queues them in redis for `flask delphi
    # worker`, which also runs the scheduler.
    JOBS_MODE = os.environ.get("JOBS_MODE", "inline")
    JOBS_REDIS_URL = os.environ.get("JOBS_REDIS_URL") or (
        os.environ.get("RATELIMIT_STORAGE_URI", "") if os.environ.get("RATELIMIT_STORAGE_URI", "").startswith(
            ("redis://", "rediss://")) else None)
    JOBS_REDIS_TIMEOUT = float(os.environ.get("JOBS_REDIS_TIMEOUT", 0.5))  # a request never waits longer on redis
    JOBS_TIMEOUT_SECONDS = int(os.environ.get("JOBS_TIMEOUT_SECONDS", 900))
    JOBS_SCHEDULER_THREAD = False  # make run: True (DevelopmentConfig)
    JOBS_TICK_SECONDS = float(os.environ.get("JOBS_TICK_SECONDS", 15))
    JOBS_MAIL_SWEEP_SECONDS = int(os.environ.get("JOBS_MAIL_SWEEP_SECONDS", 30))
    JOBS_CLOSE_ROUNDS_SECONDS = int(os.environ.get("JOBS_CLOSE_ROUNDS_SECONDS", 30))
    JOBS_REMINDERS_SECONDS = int(os.environ.get("JOBS_REMINDERS_SECONDS", 15 * 60))
    JOBS_BENCHMARKS_SECONDS = int(os.environ.get("JOBS_BENCHMARKS_SECONDS", 24 * 3600))
    JOBS_PUBLISH_BENCHMARKS = _bool("JOBS_PUBLISH_BENCHMARKS", True)
    JOBS_EXPIRE_TOKENS_SECONDS = int(os.environ.get("JOBS_EXPIRE_TOKENS_SECONDS", 3600))
    JOBS_OUTPUTS_SWEEP_SECONDS = int(os.environ.get("JOBS_OUTPUTS_SWEEP_SECONDS", 60))
    OUTBOX_BATCH = int(os.environ.get("OUTBOX_BATCH", 100))  # messages per SMTP session
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", 8))
    OUTBOX_BACKOFF_SECONDS = float(os.environ.get("OUTBOX_BACKOFF_SECONDS", 60))  # 1, 2, 4 … minutes
    OUTBOX_BACKOFF_MAX_SECONDS = float(os.environ.get("OUTBOX_BACKOFF_MAX_SECONDS", 6 * 3600))
    OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", 300))  # a dead worker's claim expires
    OUTBOX_KEEP_DAYS = int(os.environ.get("OUTBOX_KEEP_DAYS", 365))
    TOKENS_KEEP_DAYS = int(os.environ.get("TOKENS_KEEP_DAYS", 30))

    # Absolute links in e-mails (a mail has no request to take the host from).
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    INVITATION_TTL_HOURS = int(os.environ.get("INVITATION_TTL_HOURS", 24 * 14))
    RESET_TTL_HOURS = int(os.environ.get("RESET_TTL_HOURS", 2))
    PASSWORD_MIN_LENGTH = 12
    # Per account, from any address (stored in the database, so it holds across workers): after this many failed
    # logins the account is locked for LOGIN_LOCK_MINUTES and its owner gets an e-mail.
    LOGIN_LOCK_AFTER = int(os.environ.get("LOGIN_LOCK_AFTER", 10))
    LOGIN_LOCK_MINUTES = int(os.environ.get("LOGIN_LOCK_MINUTES", 15))
    # The reset request answers no sooner than this, so a known address (token, commit, mail) takes as long as
    # an unknown one.
    RESET_REQUEST_MIN_SECONDS = float(os.environ.get("RESET_REQUEST_MIN_SECONDS", 0.25))
    PASSWORD_HASH_METHOD = "scrypt"  # werkzeug's scrypt (n=2**15, r=8, p=1)

    # Privacy (docs/SECURITY.md): the fewest other organisations a benchmark viewer's pool may have (never below
    # 3, whatever is set), and the smallest cell of people a public report or data package may describe.
    BENCHMARK_MIN_ORGANISATIONS = int(os.environ.get("BENCHMARK_MIN_ORGANISATIONS", 5))
    SMALL_CELL_THRESHOLD = int(os.environ.get("SMALL_CELL_THRESHOLD", 3))

    # Behind a reverse proxy, trust this many X-Forwarded-For/-Proto hops (rate limits per client, https links).
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", 0))
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # redis down: limit per process in memory until it is back, rather than fail the login and reset pages.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    TOKEN_RATE_LIMIT = os.environ.get("TOKEN_RATE_LIMIT", "20 per minute")

    # Logs (delphi/observability.py): "json" lines for a collector, "text" for a terminal. The line per request
    # is on in production; `flask run` prints its own.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    REQUEST_LOG = _bool("REQUEST_LOG", False)


class DevelopmentConfig(Config):
    DEBUG = False
    JOBS_SCHEDULER_THREAD = _bool("JOBS_SCHEDULER_THREAD", True)  # deadlines and reminders with make run alone


class TestConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("TEST_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'test.sqlite'}")
    )
    MAIL_BACKEND = "file"
    MAIL_OUTBOX_DIR = str(INSTANCE_DIR / "test-outbox")  # tests point each session at its own folder
    SECRET_KEY = "test-secret"
    # Cheap hashes keep the suite fast; production uses werkzeug's scrypt default.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"
    RESET_REQUEST_MIN_SECONDS = 0.0  # tests of the floor set it themselves


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    REQUEST_LOG = _bool("REQUEST_LOG", True)
    JOBS_MODE = os.environ.get("JOBS_MODE", "rq")  # mail and scheduled work by `make worker`
    # Host names the app answers (others get 400); None: the host of BASE_URL (delphi.security.check_startup).
    TRUSTED_HOSTS = _list("TRUSTED_HOSTS")

    @classmethod
    def check(cls) -> None:
        """Refuse to start without a secret or a database in the environment (delphi.security.check_startup
        refuses the rest: a public key, mail written to files)."""
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(f"Production needs {', '.join(missing)} set in the environment.")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestConfig,
    "production": ProductionConfig,
}
