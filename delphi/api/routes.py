"""GET-only endpoints; errors are JSON (delphi/errors.py renders JSON for /api/ paths)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, request
from flask_babel import gettext as _

from delphi.api.openapi import openapi_document
from delphi.models import FrameworkVersion
from delphi.security import external_url
from delphi.services.frameworks import files, translations, versions

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.after_request
def _public(response: Response) -> Response:
    # Public, read-only data: any site may read it, nobody's cookies are involved.
    response.headers.setdefault("Access-Control-Allow-Origin", "*")
    return response


def _summary(version: FrameworkVersion) -> dict:
    return {
        "label": version.label,
        "status": version.status.value,
        "name": version.name,
        "short_name": version.short_name,
        "source": version.source,
        "released_at": version.released_at.isoformat() if version.released_at else None,
        "checksum": version.checksum,
        "source_language": version.source_language,
        "languages": translations.languages(version),
        "url": external_url("api.framework_version", slug=version.framework.slug, label=version.label),
    }


@bp.get("/frameworks")
def frameworks_index():
    listing: dict[str, dict] = {}
    for version in files.public_versions():
        fw = version.framework
        entry = listing.setdefault(fw.slug, {"slug": fw.slug, "name": fw.name, "versions": []})
        entry["versions"].append(_summary(version))
    return jsonify({"frameworks": list(listing.values())})


@bp.get("/frameworks/<slug>/versions/<label>")
def framework_version(slug: str, label: str):
    """The whole tree, byte for byte the JSON export of the version."""
    version = versions.find_version(slug, label)
    if version is None or version.is_draft:
        abort(404, _("No released version %(slug)s:%(label)s.", slug=slug, label=label))
    language = request.args.get("lang") or version.source_language
    available = translations.languages(version)
    if language not in available:
        abort(404, _("%(slug)s:%(label)s has no translation into '%(language)s'; its languages: %(languages)s.",
                     slug=slug, label=label, language=language[:35], languages=", ".join(available)))
    out = files.export(version, "json", language)
    response = Response(out.data, content_type=out.content_type)
    response.headers["Content-Language"] = language
    if version.checksum:  # released content (and its translations) never change
        response.set_etag(version.checksum if language == version.source_language
                          else f"{version.checksum}-{language}")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response.make_conditional(request)


@bp.get("/openapi.json")
def openapi():
    # BASE_URL, not the Host header of whoever asks.
    return jsonify(openapi_document(external_url("api.frameworks_index").rsplit("/frameworks", 1)[0]))
