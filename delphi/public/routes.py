"""The front page, /home which sends a person to the landing page of their role(s), public released pages and
the language switcher."""
from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from delphi import i18n
from delphi.extensions import db
from delphi.permissions import landings_for
from delphi.security import safe_next

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    return render_template("public/index.html")


@bp.get("/home")
@login_required
def home():
    landings = landings_for(current_user)
    if len(landings) == 1:
        return redirect(url_for(landings[0].endpoint))
    return render_template("public/home.html", landings=landings)


@bp.get("/frameworks/<slug>/<label>")
def framework_version(slug: str, label: str):
    """The stable, citable page of a released version (drafts are not public)."""
    from flask import abort

    from delphi.models import VersionStatus
    from delphi.services.frameworks import versions
    from delphi.services.release import publication

    version = versions.find_version(slug, label)
    if version is None or version.status == VersionStatus.DRAFT:
        abort(404)
    version = versions.load_tree(version)
    from delphi.security import external_url

    url = external_url("public.framework_version", slug=slug, label=label)  # BASE_URL, never the Host header
    return render_template("public/framework_version.html", version=version, study=publication.study_of(version),
                           citation=publication.citation(version, url), url=url)


@bp.get("/studies/<int:study_id>/report")
def study_report(study_id: int):
    """A study's Delphi report is public once the study has been released (it is pseudonymised)."""
    from flask import abort

    from delphi.extensions import db
    from delphi.models import Study
    from delphi.services.release import report

    study = db.session.get(Study, study_id)
    if study is None or study.released_version_id is None:
        abort(404)
    return render_template("reports/delphi.html", **report.build(study), standalone=False, public=True)


@bp.post("/language")
def choose_language():
    """The switcher: a logged-in person's choice is their setting (e-mails follow it); anyone's is a cookie."""
    code = i18n.supported(request.form.get("language"))
    if code is None:
        abort(400, description=_("That language is not offered; nothing was changed."))
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    back = safe_next(request.form.get("next")) or _same_site_referrer()
    response = redirect(back or url_for("public.index"))
    response.set_cookie(i18n.COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=request.is_secure, httponly=True)
    return response


def _same_site_referrer() -> str | None:
    """The path of the page the switcher was on, from a Referer of this very host (Referrer-Policy: same-origin)."""
    ref = urlsplit(request.referrer or "")
    if not ref.netloc or ref.netloc != request.host:
        return None
    return safe_next(ref.path + (f"?{ref.query}" if ref.query else ""))
