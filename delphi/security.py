"""Safe redirects, token hashing, the login cookie's identity and the security headers every response carries."""
from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, session


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
        return response
