"""Loading framework versions for an organiser: released and retired versions are visible to every organiser, a
draft only to its creator and admins; everyone else gets 404, so nobody can probe for other people's drafts."""
from __future__ import annotations

from flask import abort, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from delphi.models import FrameworkVersion
from delphi.services.frameworks import versions

Change = tuple[dict | None, dict | None]


RACE_MESSAGE = _l("Someone changed this draft at the same moment; reload the page and try again.")


def can_see(version: FrameworkVersion) -> bool:
    return not version.is_draft or current_user.is_admin or version.created_by_id == current_user.id


def load_version(slug: str, label: str) -> FrameworkVersion:
    version = versions.find_version(slug, label)
    if version is None or not can_see(version):
        abort(404)
    return version


def load_draft(slug: str, label: str) -> FrameworkVersion:
    """A draft the current user may edit; a released version answers VersionImmutable (409)."""
    version = load_version(slug, label)
    versions.require_draft(version)
    return version


def version_url(version: FrameworkVersion, endpoint: str = ".view_version", **kwargs) -> str:
    return url_for(endpoint, slug=version.framework.slug, label=version.label, **kwargs)
