"""Safe redirects, token hashing, the login cookie's identity, the checks before the app starts, absolute URLs
from BASE_URL, and the security and cache headers every response carries."""
from __future__ import annotations

import hashlib
import ipaddress
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, request, session


def new_token() -> tuple[str, str]:
    """A fresh URL-safe secret and the SHA-256 we store instead of it."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def safe_next(target: str | None) -> str | None:
    """Return target only when it is a path on this site; otherwise None.

    `//evil.com` and `/\\evil.com` are protocol-relative to browsers, so a single leading slash
    followed by anything but another slash or backslash is required.
    """
    if not target or not isinstance(target, str):
        return None
    if any(ch in target for ch in "\r\n\t\x00"):
        return None
    if not target.startswith("/") or target.startswith("//") or target.startswith("/\\"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def parse_login_id(raw: object) -> tuple[int, int] | None:
    """(user id, session version) from User.get_id()'s "id:version", or None if it is not that."""
    try:
        user_id, version = str(raw).split(":", 1)
        return int(user_id), int(version)
    except ValueError:
        return None


def login_cookie_identity() -> tuple[int, int] | None:
    """(user id, session version) that the signed login cookie claims, without loading the account.

    For a hot path that verifies both in its own SQL (services.studies.autosave); everything else uses current_user.
    Flask-Login keeps User.get_id() in the session; a session restored from the remember-me cookie goes through
    Flask-Login's loader once and then has it too.
    """
    raw = session.get("_user_id")
    if raw is None:
        from flask_login import current_user

        if not current_user.is_authenticated:
            return None
        raw = current_user.get_id()
    return parse_login_id(raw)


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
)


def register_security_headers(app: Flask) -> None:
    headers = SECURITY_HEADERS
    if app.config.get("SESSION_COOKIE_SECURE"):
        headers += (("Strict-Transport-Security", "max-age=31536000"),)

    @app.after_request
    def _headers(response: Response) -> Response:
        """Every response, unless a view set its own (one pass over the names: this runs on every request)."""
        present = {name.lower() for name, _ in response.headers}
        for name, value in headers:
            if name.lower() not in present:
                response.headers.add(name, value)
        if "no-store" not in response.headers.get("Cache-Control", "") and _needs_no_store(response):
            response.headers["Cache-Control"] = NO_STORE
        return response


def check_startup(app: Flask, *, development: bool, production: bool) -> None:
    """Refuse to run with a signing key anyone can read, or production mail written to files.

    development: DELPHI_ENV=development (or the caller's choice) as `make run` sets it; with a public key it then
    answers loopback clients only. The tests (TESTING) have a key of their own."""
    from config import PUBLIC_SECRET_KEYS

    cfg = app.config
    public_key = (cfg.get("SECRET_KEY") or "") in PUBLIC_SECRET_KEYS
    hint = ("set SECRET_KEY to a long random value, e.g. $(python3 -c 'import secrets; print(secrets.token_hex(32))')"
            ", or DELPHI_ENV=development to develop on 127.0.0.1 (make run)")
    if public_key and (production or not (development or app.testing)):
        raise RuntimeError(f"SECRET_KEY is missing or the public development key: {hint}.")
    if production:
        if cfg.get("MAIL_BACKEND") == "file":
            raise RuntimeError("MAIL_BACKEND=file writes every message, reset and invitation links included, to "
                               "disk: production needs MAIL_BACKEND=smtp (MAIL_SERVER, MAIL_PORT, ...).")
        if cfg.get("JOBS_MODE") == "rq" and not cfg.get("JOBS_REDIS_URL"):
            # A missing setting is refused at once; redis being down later is not (mail waits in the outbox).
            raise RuntimeError("JOBS_MODE=rq needs redis: set JOBS_REDIS_URL (or a redis:// RATELIMIT_STORAGE_URI), "
                               "e.g. redis://127.0.0.1:6379/0, and run `make worker` beside the app.")
        if not cfg.get("TRUSTED_HOSTS"):
            cfg["TRUSTED_HOSTS"] = [urlsplit(cfg["BASE_URL"]).hostname]
        # Checked before Flask (and after ProxyFix, which create_app wraps around this): Flask's own check of
        # TRUSTED_HOSTS fails while routing, where even the error page cannot build a URL.
        app.wsgi_app = TrustedHosts(app.wsgi_app, cfg["TRUSTED_HOSTS"])
    if public_key and development and not app.testing:
        app.before_request(_loopback_only)


class TrustedHosts:
    """WSGI middleware: a plain 400 for a Host header (or X-Forwarded-Host, via ProxyFix) not in the list."""

    def __init__(self, wsgi_app, hosts: list[str]) -> None:
        self.wsgi_app, self.hosts = wsgi_app, list(hosts)

    def __call__(self, environ, start_response):
        from werkzeug.exceptions import SecurityError
        from werkzeug.wsgi import get_host

        try:
            get_host(environ, trusted_hosts=self.hosts)
        except SecurityError:
            response = Response("Bad request: this server does not answer for that host name.\n", status=400,
                                mimetype="text/plain")
            return response(environ, start_response)
        return self.wsgi_app(environ, start_response)


def _loopback_only() -> None:
    """With the public development key, a client on another machine could forge a session: refuse it."""
    try:
        loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        from flask_babel import gettext as _

        abort(403, _("This development server (public SECRET_KEY) answers only 127.0.0.1."))


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on BASE_URL (config), never on the Host header of the request."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                       url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


# Pages anyone may keep in a cache: the stable pages of released versions and the public API. Everything else,
# anything shown to a logged-in person and every download, is sent with no-store.
CACHEABLE_ENDPOINTS = frozenset({"static", "public.index", "public.framework_version",
                                 "public.study_report", "api.frameworks_index", "api.openapi",
                                 "api.framework_version"})
NO_STORE = "private, no-store"


def _needs_no_store(response: Response) -> bool:
    if "attachment" in response.headers.get("Content-Disposition", ""):
        return True
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        return True
    if request.endpoint == "static":
        return False
    # Logged in: the user Flask-Login loaded for this request, else the session's claim (no query here: this
    # also runs on the error page of a database that is down).
    user = g.get("_login_user")
    return user.is_authenticated if user is not None else "_user_id" in session
