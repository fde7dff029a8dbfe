"""Responses the organiser's pages share: a refused action, and a file download."""
from __future__ import annotations

from flask import Response, flash, redirect, url_for

from delphi.downloads import attachment
from delphi.errors import DomainError
from delphi.extensions import db


def fail(exc: DomainError, endpoint: str, **kwargs):
    """Roll the request's work back, show the service's message and go back to the page."""
    db.session.rollback()
    flash(exc.message, "error")
    return redirect(url_for(endpoint, **kwargs))


def download(data: bytes, filename: str, mimetype: str) -> Response:
    return attachment(data, filename, mimetype)
