"""Translations of a framework version: every text in other languages, imported and exported as XLIFF 2.0.

XLIFF 2.0 (OASIS) is what translators' tools read and write (memoQ, Trados, Phrase, Crowdin, Weblate, OmegaT
through Okapi): each text travels with its key, its source, a note saying where it sits, and a state, so a
translator works in a translation memory and hands back the same file. The keys and the file format are pure
(framework/translations.py); this module keeps the texts per version and language, refuses changes to a released
version (the database refuses them too: migration 0015); versions.new_draft copies them into a new draft.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

import framework as fwlib
from delphi.db import utcnow
from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import FrameworkTranslation, FrameworkVersion, User
from delphi.services.accounts import audit
from delphi.services.frameworks import versions
from delphi.upsert import upsert
from framework import translations as fwtr

LANGUAGE_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")
# Names for the languages of Europe's healthcare systems (any other BCP 47 tag is shown as the tag itself), in the
# reader's language.
NAMES = {"bg": _l("Bulgarian"), "ca": _l("Catalan"), "cs": _l("Czech"), "cy": _l("Welsh"), "da": _l("Danish"),
         "de": _l("German"), "el": _l("Greek"), "en": _l("English"), "es": _l("Spanish"), "et": _l("Estonian"),
         "eu": _l("Basque"), "fi": _l("Finnish"), "fr": _l("French"), "ga": _l("Irish"), "gl": _l("Galician"),
         "hr": _l("Croatian"), "hu": _l("Hungarian"), "is": _l("Icelandic"), "it": _l("Italian"),
         "lb": _l("Luxembourgish"), "lt": _l("Lithuanian"), "lv": _l("Latvian"), "mk": _l("Macedonian"),
         "mt": _l("Maltese"), "nb": _l("Norwegian Bokmål"), "nl": _l("Dutch"), "nn": _l("Norwegian Nynorsk"),
         "no": _l("Norwegian"), "pl": _l("Polish"), "pt": _l("Portuguese"), "ro": _l("Romanian"),
         "ru": _l("Russian"), "sk": _l("Slovak"), "sl": _l("Slovenian"), "sq": _l("Albanian"), "sr": _l("Serbian"),
         "sv": _l("Swedish"), "tr": _l("Turkish"), "uk": _l("Ukrainian")}


def normalise_language(tag: str) -> str:
    """A BCP 47 tag as usually written (pt-BR, sr-Latn): refused with a message when it is not one."""
    tag = (tag or "").strip().replace("_", "-")
    if not LANGUAGE_RE.match(tag):
        raise InvalidInput(_("“%(tag)s” is not a language tag: use one such as de, pt, pt-BR or sr-Latn.",
                             tag=tag[:40]))
    first, *rest = tag.split("-")
    return "-".join([first.lower(), *(p.title() if len(p) == 4 else p.upper() if len(p) == 2 else p
                                      for p in rest)])


def language_name(tag: str) -> str:
    base = tag.split("-")[0].lower()
    name = NAMES.get(base)
    return f"{name} ({tag})" if name and tag != base else str(name) if name else tag


def targets(version: FrameworkVersion, language: str) -> dict[str, str]:
    return dict(db.session.execute(select(FrameworkTranslation.key, FrameworkTranslation.text).where(
        FrameworkTranslation.version_id == version.id, FrameworkTranslation.language == language)).all())


def source_digests(version: FrameworkVersion, language: str) -> dict[str, str | None]:
    return dict(db.session.execute(select(FrameworkTranslation.key, FrameworkTranslation.source_digest).where(
        FrameworkTranslation.version_id == version.id, FrameworkTranslation.language == language)).all())


def out_of_date(version: FrameworkVersion, language: str, doc: fwlib.Framework | None = None) -> list[str]:
    """Keys whose translation was made from another source text than the version's current one (a revision, an
    edit or an undo since), in document order; a translation of unknown source counts as current."""
    doc = doc or versions.to_document(version)
    digests = source_digests(version, language)
    return [key for key, text in fwtr.source_texts(doc).items()
            if digests.get(key) is not None and digests[key] != fwtr.digest(text)]


def by_language(version: FrameworkVersion) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for language, key, text in db.session.execute(
            select(FrameworkTranslation.language, FrameworkTranslation.key, FrameworkTranslation.text)
            .where(FrameworkTranslation.version_id == version.id).order_by(FrameworkTranslation.language)):
        out.setdefault(language, {})[key] = text
    return out


@dataclass(frozen=True)
class LanguageStatus:
    language: str
    name: str
    completeness: fwtr.Completeness
    out_of_date: int = 0  # translations made from an earlier wording of their source


def overview(version: FrameworkVersion, doc: fwlib.Framework | None = None) -> list[LanguageStatus]:
    """Each translated language with how much of this version it covers, most complete first."""
    doc = doc or versions.to_document(version)
    rows = [LanguageStatus(lang, language_name(lang), fwtr.completeness(doc, texts),
                           len(out_of_date(version, lang, doc)))
            for lang, texts in by_language(version).items()]
    return sorted(rows, key=lambda r: (-r.completeness.translated, r.language))


def languages(version: FrameworkVersion) -> list[str]:
    """The source language first, then every language with a translation (one query, no texts read: the API's
    listing asks this of every version)."""
    return [version.source_language, *db.session.scalars(
        select(FrameworkTranslation.language).where(FrameworkTranslation.version_id == version.id)
        .distinct().order_by(FrameworkTranslation.language))]


def translated(version: FrameworkVersion, language: str | None) -> fwlib.Framework:
    """The version's texts in `language` (the source where a text has no translation yet)."""
    doc = versions.to_document(version)
    if not language or language == version.source_language:
        return doc
    return fwtr.translate(doc, targets(version, language))


def export_xliff(version: FrameworkVersion, language: str) -> tuple[bytes, str]:
    """The XLIFF file a translator fills in (untranslated texts have an empty target) and its file name."""
    language = normalise_language(language)
    if language == version.source_language:
        raise InvalidInput(_("%(language)s is this version's source language: choose the language to translate "
                             "into.", language=language_name(language)))
    doc = versions.to_document(version)
    data = fwtr.to_xliff(doc, source_language=version.source_language, target_language=language,
                         targets=targets(version, language), original=version.ref,
                         outdated=set(out_of_date(version, language, doc)))
    return data, f"{version.framework.slug}-{version.label}.{language}.xlf"


@dataclass(frozen=True)
class ImportSummary:
    language: str
    added: int
    changed: int
    unchanged: int
    problems: tuple[str, ...]
    stale: int
    completeness: fwtr.Completeness


def import_xliff(version: FrameworkVersion, data: bytes, *, by: User | None) -> ImportSummary:
    """Store a translator's file in a draft: its non-empty targets are added or replace the stored ones; a
    text the file leaves empty keeps its stored translation (nothing is lost by a partial file)."""
    versions.require_draft(version)
    doc = versions.to_document(version)
    try:
        parsed = fwtr.from_xliff(data, doc)
    except fwtr.TranslationFileError as exc:
        raise InvalidInput(_("This is not a translation file we can read: %(reason)s", reason=exc)) from None
    language = normalise_language(parsed.target_language)
    source = normalise_language(parsed.source_language)
    if source != version.source_language:
        raise InvalidInput(_("The file translates from %(source)s, but this version is written in %(own)s; export a "
                             "new file from this page.", source=language_name(source),
                             own=language_name(version.source_language)))
    if language == version.source_language:
        raise InvalidInput(_("The file's target language is the version's own (%(language)s).",
                             language=language_name(language)))
    stored = targets(version, language)
    known = fwtr.source_texts(doc)
    added = changed = unchanged = 0
    now = utcnow()
    digests = source_digests(version, language)
    for key, text in parsed.targets.items():
        if key not in known:
            continue  # reported by the parser among the problems
        source_digest = fwtr.digest(parsed.sources.get(key, known[key]))
        if stored.get(key) == text and digests.get(key) == source_digest:
            unchanged += 1
            continue
        added, changed = (added + 1, changed) if key not in stored else (added, changed + 1)
        db.session.execute(upsert(FrameworkTranslation, {"version_id": version.id, "language": language,
                                                         "key": key},
                                  {"text": text, "updated_at": now, "source_digest": source_digest}))
    db.session.flush()
    audit.record(by, "import_translation", "framework_version", version.id,
                 after={"language": language, "added": added, "changed": changed})
    return ImportSummary(language, added, changed, unchanged, tuple(parsed.problems), len(parsed.stale),
                         fwtr.completeness(doc, targets(version, language)))


def set_source_language(version: FrameworkVersion, language: str, *, by: User | None) -> None:
    versions.require_draft(version)
    language = normalise_language(language)
    if language in languages(version)[1:]:
        raise InvalidInput(_("This version has a translation into %(language)s; remove it first.",
                             language=language_name(language)))
    before = version.source_language
    version.source_language = language
    db.session.flush()
    audit.record(by, "source_language", "framework_version", version.id, before={"language": before},
                 after={"language": language})


def diff(old: FrameworkVersion, new: FrameworkVersion) -> list[fwtr.TranslationChange]:
    return fwtr.diff_translations(versions.to_document(old), by_language(old), versions.to_document(new),
                                  by_language(new))
