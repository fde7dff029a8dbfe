"""Domain exceptions and the HTML/JSON error pages they map to."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """A rule of the domain refused the action; the message is shown to the person as is."""

    status_code = 409

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotAllowed(DomainError):
    status_code = 403


class InvalidInput(DomainError):
    status_code = 400


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _render(status: int, title: str, message: str):
    if _wants_json():
        return jsonify({"error": title, "message": message, "status": status}), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return _render(400, "Form expired or invalid", "The form could not be verified (missing or invalid "
                       "CSRF token). Reload the page and try again; nothing was changed.")

    @app.errorhandler(429)
    def _too_many(error):
        return _render(429, "Too many attempts",
                       "You tried this too many times in a short while. Wait a minute and try again.")

    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        return _render(error.status_code, "Not possible", error.message)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        return _render(error.code or 500, error.name, error.description or "")

    if app.testing:
        return  # let tests see the traceback

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        from delphi.extensions import db

        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500, "Something went wrong",
                       "An unexpected error occurred; nothing was saved by this request. It has been logged.")
