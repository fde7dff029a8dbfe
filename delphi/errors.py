"""Domain exceptions and the HTML/JSON error pages they map to."""
from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DisconnectionError, IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

DATABASE_DOWN = "The database is not reachable; nothing was saved. Try again in a minute."


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
    return (request.path.startswith("/api/") or request.path.endswith("/autosave")
            or request.accept_mimetypes.best == "application/json")


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

    @app.errorhandler(IntegrityError)
    def _duplicate(error: IntegrityError):
        """A constraint caught what the forms did not (typically a double click racing itself): one row stays."""
        from delphi.extensions import db

        db.session.rollback()
        app.logger.warning("integrity error on %s %s: %s", request.method, request.path,
                           str(getattr(error, "orig", error)).splitlines()[0][:200])
        message = ("This was already saved, or it conflicts with something saved at the same moment (a double "
                   "click, or two people at once). Nothing more was changed; reload the page to see the current "
                   "state.")
        if _wants_json() or request.is_json:
            return jsonify({"ok": False, "error": message, "message": message, "status": 409}), 409
        return _render(409, "Already saved", message)

    @app.errorhandler(OperationalError)
    @app.errorhandler(DisconnectionError)
    @app.errorhandler(InterfaceError)
    def _database_down(error: Exception):
        return _database_unreachable(app, error)

    if app.testing:
        return  # let tests see the traceback

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        from delphi.extensions import db

        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _render(500, "Something went wrong",
                       "An unexpected error occurred; nothing was saved by this request. It has been logged.")


def _database_unreachable(app: Flask, error: Exception):
    """503 for a database that went away (or stayed locked): the transaction is rolled back, so nothing of
    the request is half-saved, and the page renders without touching the database again."""
    from flask_login import AnonymousUserMixin

    from delphi.extensions import db, login_manager

    try:
        db.session.rollback()
    except Exception:  # the connection is already gone; the server rolls back a transaction it loses
        app.logger.debug("rollback after a database error failed too", exc_info=True)
    app.logger.error("database unreachable on %s %s: %s", request.method, request.path,
                     (str(getattr(error, "orig", None) or error) or type(error).__name__).splitlines()[0][:200])
    # The page must not load the current user (its rows are expired by the rollback): show it logged out.
    g._login_user = (login_manager.anonymous_user or AnonymousUserMixin)()
    if _wants_json() or request.is_json:
        response = jsonify({"ok": False, "error": DATABASE_DOWN, "message": DATABASE_DOWN, "status": 503})
        response.status_code = 503
    else:
        response = app.make_response(render_template("errors/error.html", status=503,
                                                     title="Database unavailable", message=DATABASE_DOWN))
        response.status_code = 503
    response.headers["Retry-After"] = "60"
    return response
