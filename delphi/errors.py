"""Domain exceptions and the HTML/JSON error pages they map to."""
from __future__ import annotations

from flask import Flask, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DisconnectionError, IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

DATABASE_DOWN = _l("The database is not reachable; nothing was saved. Try again in a minute.")

# The HTTP errors' titles and werkzeug's default descriptions, in the person's language (the English is werkzeug's
# own). A description a view gave (abort(404, _("..."))) is shown as it was given.
HTTP_TITLES = {
    400: _l("Bad Request"), 401: _l("Unauthorized"), 403: _l("Forbidden"), 404: _l("Not Found"),
    405: _l("Method Not Allowed"), 409: _l("Conflict"), 410: _l("Gone"), 413: _l("Request Entity Too Large"),
    414: _l("Request URI Too Long"), 415: _l("Unsupported Media Type"), 422: _l("Unprocessable Entity"),
    429: _l("Too Many Requests"), 500: _l("Internal Server Error"), 501: _l("Not Implemented"),
    502: _l("Bad Gateway"), 503: _l("Service Unavailable"), 504: _l("Gateway Timeout"),
}
HTTP_DESCRIPTIONS = {
    400: _l("The browser (or proxy) sent a request that this server could not understand."),
    401: _l("The server could not verify that you are authorized to access the URL requested. You either supplied "
            "the wrong credentials (e.g. a bad password), or your browser doesn't understand how to supply the "
            "credentials required."),
    403: _l("You don't have the permission to access the requested resource. It is either read-protected or not "
            "readable by the server."),
    404: _l("The requested URL was not found on the server. If you entered the URL manually please check your "
            "spelling and try again."),
    405: _l("The method is not allowed for the requested URL."),
    409: _l("A conflict happened while processing the request. The resource might have been modified while the "
            "request was being processed."),
    410: _l("The requested URL is no longer available on this server and there is no forwarding address. If you "
            "followed a link from a foreign page, please contact the author of this page."),
    413: _l("The data value transmitted exceeds the capacity limit."),
    414: _l("The length of the requested URL exceeds the capacity limit for this server. The request cannot be "
            "processed."),
    415: _l("The server does not support the media type transmitted in the request."),
    422: _l("The request was well-formed but was unable to be followed due to semantic errors."),
    500: _l("The server encountered an internal error and was unable to complete your request. Either the server "
            "is overloaded or there is an error in the application."),
    501: _l("The server does not support the action requested by the browser."),
    502: _l("The proxy server received an invalid response from an upstream server."),
    503: _l("The server is temporarily unable to service your request due to maintenance downtime or capacity "
            "problems. Please try again later."),
    504: _l("The connection to an upstream server timed out."),
}


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
    title, message = str(title), str(message)
    if _wants_json():
        return jsonify({"error": title, "message": message, "status": status}), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return _render(400, _("Form expired or invalid"), _("The form could not be verified (missing or invalid "
                       "CSRF token). Reload the page and try again; nothing was changed."))

    @app.errorhandler(429)
    def _too_many(error):
        return _render(429, _("Too many attempts"),
                       _("You tried this too many times in a short while. Wait a minute and try again."))

    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        return _render(error.status_code, _("Not possible"), error.message)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        code = error.code or 500
        description = error.description or ""
        if code in HTTP_DESCRIPTIONS and description == type(error).description:  # werkzeug's own English
            description = HTTP_DESCRIPTIONS[code]
        return _render(code, HTTP_TITLES.get(code, error.name), description)

    @app.errorhandler(IntegrityError)
    def _duplicate(error: IntegrityError):
        """A constraint caught what the forms did not (typically a double click racing itself): one row stays."""
        from delphi.extensions import db

        db.session.rollback()
        app.logger.warning("integrity error on %s %s: %s", request.method, request.path,
                           str(getattr(error, "orig", error)).splitlines()[0][:200])
        message = _("This was already saved, or it conflicts with something saved at the same moment (a double "
                    "click, or two people at once). Nothing more was changed; reload the page to see the current "
                    "state.")
        if _wants_json() or request.is_json:
            return jsonify({"ok": False, "error": message, "message": message, "status": 409}), 409
        return _render(409, _("Already saved"), message)

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
        return _render(500, _("Something went wrong"),
                       _("An unexpected error occurred; nothing was saved by this request. It has been logged."))


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
    message = str(DATABASE_DOWN)
    if _wants_json() or request.is_json:
        response = jsonify({"ok": False, "error": message, "message": message, "status": 503})
        response.status_code = 503
    else:
        response = app.make_response(render_template("errors/error.html", status=503,
                                                     title=_("Database unavailable"), message=message))
        response.status_code = 503
    response.headers["Retry-After"] = "60"
    return response
