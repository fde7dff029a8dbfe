"""The organiser blueprint; the page modules register its routes."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import gettext as _

bp = Blueprint("organiser", __name__, url_prefix="/organiser")


@bp.errorhandler(413)
def _upload_too_large(error):
    """An over-size upload (framework file, panel CSV): say the limit; the request was refused before any work."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    shown = f"{limit / 2**20:g} MiB" if limit >= 2**20 else f"{limit / 2**10:g} KiB"
    return render_template("errors/error.html", status=413, title=_("File too large"),
                           message=_("The upload is larger than the limit of %(limit)s. Nothing was stored: choose "
                                     "a smaller file (a framework or panel file is usually a few kilobytes).",
                                     limit=shown)), 413
