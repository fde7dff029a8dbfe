"""The language of an assessment's framework texts: which a version offers, the default, checks and changes.

An assessment stores '' for its version's source language and a BCP 47 tag for a translation
(models/assessment.py, migration 0017). The language changes presentation only — statements, levels, glossary in
the pages, the PDF and the workbook — never an answer, so it may change after finalisation: the finalised
triggers (migration 0004) do not freeze the column. The interface stays in each reader's own language (i18n), so
pages mark the framework's texts with lang="…" where the two differ (WCAG 2.1 SC 3.1.2, Language of Parts).
"""
from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from markupsafe import Markup, escape

import framework as fwlib
from delphi import i18n
from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import FrameworkVersion, User
from delphi.models.assessment import Assessment
from delphi.services.accounts import audit
from delphi.services.frameworks import translations
from delphi.services.prepared import store as prepared
from framework import translations as fwtr


def offered(version: FrameworkVersion) -> list[str]:
    """The version's source language first, then each language it has a translation into."""
    return translations.languages(version)


def name(tag: str) -> str:
    return translations.language_name(tag)


def effective(version: FrameworkVersion, language: str | None) -> str:
    """The tag the texts are in: the stored language, or the version's source language for ''."""
    return language or version.source_language


def targets(version: FrameworkVersion, language: str | None) -> tuple[str, dict[str, str]]:
    """The effective tag and the translated texts by key ({} and the source tag when nothing is translated)."""
    language = effective(version, language)
    found = translations.targets(version, language) if language != version.source_language else {}
    return (language, found) if found else (version.source_language, {})


def glossary(terms: tuple[tuple[str, str], ...], targets: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Glossary (term, definition) pairs translated: their keys are slugs of the terms, made by the pure library."""
    if not (terms and targets):
        return terms
    entries = tuple(fwlib.GlossaryTerm(term=t, definition=d) for t, d in terms)
    return tuple((g.term, g.definition) for g in fwtr.translate_glossary(entries, targets))


def stored(version: FrameworkVersion, tag: str) -> str:
    """What the assessment keeps: '' for the source language (so it follows the version), else the tag."""
    return "" if not tag or tag == version.source_language else tag


def default(version: FrameworkVersion, interface: str | None = None) -> str:
    """The creator's interface language when the version has it (de also finds de-DE), else the source."""
    interface = (interface or i18n.current()).lower()
    languages = offered(version)
    for tag in languages:
        if tag.lower() == interface:
            return stored(version, tag)
    for tag in languages:
        if tag.split("-")[0].lower() == interface:
            return stored(version, tag)
    return ""


def clean(version: FrameworkVersion, language: str | None) -> str:
    """The language to store, or InvalidInput naming the languages the version has."""
    language = (language or "").strip()
    if not language:
        return ""
    languages = offered(version)
    if language not in languages:
        raise InvalidInput(_("%(version)s has no framework texts in %(language)s; choose one of: %(languages)s.",
                             version=version.ref, language=name(language[:40]),
                             languages=", ".join(name(tag) for tag in languages)))
    return stored(version, language)


def change(assessment: Assessment, language: str | None, *, by: User | None) -> bool:
    """Show the framework texts in another language, also once finalised; returns whether anything changed."""
    new = clean(assessment.version, language)
    before = assessment.language
    if new == before:
        return False
    assessment.language = new
    db.session.flush()
    audit.record(by, "update_assessment", "assessment", assessment.id, before={"language": before},
                 after={"language": new})
    if assessment.is_finalised:
        prepared.prepare_soon("assessment", assessment.id)  # its kept PDF is in the old language
    return True


def attribute(language: str) -> Markup:
    """' lang="de"' for an element of framework text when the page's interface speaks another language, else ''."""
    if not language or language.lower() == i18n.current().lower():
        return Markup("")
    return Markup(' lang="%s"') % escape(language)


def text(value: str | None, language: str) -> Markup:
    """A framework text to place inside interface text: in its own <span lang> when the languages differ."""
    attr = attribute(language)
    if not value:
        return Markup("")
    return Markup("<span%s>%s</span>") % (attr, value) if attr else escape(value)


def choices(versions: list[FrameworkVersion]) -> list[tuple[str, str]]:
    """(tag, name) of every language the versions offer, each once, in the order the versions give them."""
    tags = dict.fromkeys(tag for version in versions for tag in offered(version))
    return [(tag, name(tag)) for tag in tags]
