"""The languages a study is run in: what the protocol offers, each expert's choice, and the texts in each.

The protocol lists the languages offered besides the framework version's source language (`languages`) and the
study's own texts in each (`texts`: every question as asked, its scale labels, the consent). The framework's texts
come from the version's translations (services/frameworks/translations.py) and are snapshotted with each round's
wording (rounds.open), so a later fix to a translation never changes what a round showed. Every expert rates the
same items on the same scale in whichever language: the statistics pool them and can be split by language.
"""
from __future__ import annotations

from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

import framework as fwlib
from delphi import i18n
from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import ItemKind, Panelist, Study, User
from delphi.services.accounts import audit
from delphi.services.frameworks import translations
from delphi.services.studies import design, protocols
from framework import translations as fwtr

# The platform's own default texts, so that a language the interface speaks gets them filled in (the study's
# texts are the organiser's, stored in the protocol; only these defaults have a translation to offer).
_DEFAULTS = (_l("Do you agree with this item as worded?"), _l("Strongly disagree"), _l("Disagree"),
             _l("Neither agree nor disagree"), _l("Agree"), _l("Strongly agree"), _l("Somewhat disagree"),
             _l("Neutral"), _l("Somewhat agree"), _l("1 Not important"), _l("9 Critical"), design.DEFAULT_CONSENT)


def source(study: Study) -> str:
    return study.framework_version.source_language or "en"


def offered(study: Study) -> list[str]:
    """The source language first, then the others the protocol offers."""
    first = source(study)
    return [first, *(t for t in study.protocol.get("languages") or [] if t != first)]


def is_multilingual(study: Study) -> bool:
    return len(offered(study)) > 1


def names(study: Study) -> list[tuple[str, str]]:
    return [(tag, translations.language_name(tag)) for tag in offered(study)]


def platform_text(text: str, language: str) -> str | None:
    """The interface catalogue's translation of one of the platform's default texts, or None."""
    if text.strip().isdigit():
        return text  # the middle points of a 9-point scale
    if not i18n.supported(language):
        return None
    for lazy in _DEFAULTS:
        if i18n.in_language(lazy, "en") == text:
            translated = i18n.in_language(lazy, language)
            return translated if translated != text or i18n.supported(language) == "en" else None
    return None


def filled_texts(study: Study, protocol: dict[str, Any]) -> dict[str, Any]:
    """protocol["texts"] with every empty text that is a platform default filled in from the catalogues."""
    out = {}
    for tag in protocol.get("languages") or []:
        entry = (protocol.get("texts") or {}).get(tag) or {}
        consent = entry.get("consent") or platform_text(study.consent_text, tag) or ""
        questions = {}
        for q in protocol["questions"]:
            given = (entry.get("questions") or {}).get(q["key"]) or {}
            label = given.get("label") or platform_text(q["label"], tag) or ""
            labels = given.get("labels") or [platform_text(x, tag) or "" for x in q["labels"]]
            questions[q["key"]] = {"label": label, "labels": labels if all(labels) else []}
        out[tag] = {"consent": consent, "questions": questions}
    return out


def set_languages(study: Study, chosen: list[str], texts: dict[str, Any], *, by: User) -> None:
    """Offer these languages (besides the source) with these texts; refused for a language the framework version
    has no translation for. Empty texts that are platform defaults are filled in."""
    have = translations.languages(study.framework_version)
    tags = [translations.normalise_language(t) for t in chosen]
    if missing := [t for t in tags if t not in have]:
        raise InvalidInput(_("The framework has no %(language)s translation yet: import one on the framework's "
                             "translations page first.", language=translations.language_name(missing[0])))
    raw = {**study.protocol, "languages": [t for t in tags if t != source(study)], "texts": texts}
    checked = protocols.validate(raw)
    checked["texts"] = filled_texts(study, checked)
    design.set_protocol(study, checked, by=by)


def problems(study: Study, doc: fwlib.Framework | None = None) -> dict[str, list[str]]:
    """{language: what is missing before a round can open in it}: the framework's texts of the rated items, the
    questions as asked with their scale labels, and the consent."""
    extra = offered(study)[1:]
    if not extra:
        return {}
    from delphi.services.frameworks import versions

    doc = doc or versions.to_document(study.framework_version)
    needed = _needed_keys(study, doc)
    out: dict[str, list[str]] = {}
    for tag in extra:
        targets = translations.targets(study.framework_version, tag)
        missing_texts = [k for k in needed if not (targets.get(k) or "").strip()]
        found = []
        if missing_texts:
            found.append(_("%(count)s framework texts of the rated items have no translation (e.g. %(where)s).",
                           count=len(missing_texts), where=fwtr.location(missing_texts[0], doc)))
        stale = [k for k in translations.out_of_date(study.framework_version, tag, doc) if k in set(needed)]
        if stale:
            found.append(_("%(count)s translations of the rated items were made from an earlier wording (e.g. "
                           "%(where)s): import their translation of the current wording.",
                           count=len(stale), where=fwtr.location(stale[0], doc)))
        entry = (study.protocol.get("texts") or {}).get(tag) or {}
        for q in study.protocol["questions"]:
            given = (entry.get("questions") or {}).get(q["key"]) or {}
            if not given.get("label") or len(given.get("labels") or []) != q["points"]:
                found.append(_("Question “%(question)s”: give it as asked and its %(points)s scale labels.",
                               question=q["label"], points=q["points"]))
        if not entry.get("consent"):
            found.append(_("Give the consent text."))
        if found:
            out[tag] = found
    return out


def require_ready(study: Study, doc: fwlib.Framework) -> None:
    """Refuse to open a round while a language offered lacks a text: an expert would see a mixture."""
    missing = problems(study, doc)
    if missing:
        tag, found = next(iter(missing.items()))
        raise InvalidInput(_("The study is offered in %(language)s, but: %(problem)s Complete it on the study's "
                             "languages page, or stop offering the language.",
                             language=translations.language_name(tag), problem=found[0]))


def _needed_keys(study: Study, doc: fwlib.Framework) -> list[str]:
    keys: list[str] = []
    for kind, element, _domain, level in design.rated_elements(doc, study.protocol["rated_kinds"]):
        if kind == ItemKind.DOMAIN:
            keys.append(f"domain.{element}.title")
        elif kind == ItemKind.SUBDOMAIN:
            keys.append(f"subdomain.{element}.title")
        else:
            keys.append(f"indicator.{element}.statement")
            if kind == ItemKind.LEVEL_SET:
                keys.extend(f"indicator.{element}.level.{n}" for n in range(1, 6))
            elif kind == ItemKind.LEVEL:
                keys.append(f"indicator.{element}.level.{level}")
    return list(dict.fromkeys(keys))


# ---- the round's wording in each language -----------------------------------------------------------------------

def documents(study: Study, doc: fwlib.Framework) -> dict[str, fwlib.Framework]:
    """The draft in each language offered besides the source."""
    return {tag: fwtr.translate(doc, translations.targets(study.framework_version, tag))
            for tag in offered(study)[1:]}


def item_label(kind: ItemKind, code: str, level: int | None) -> str:
    """An item's heading in the current locale (the source snapshot keeps design.wording's English label)."""
    if kind == ItemKind.DOMAIN:
        return _("Domain %(code)s", code=code)
    if kind == ItemKind.SUBDOMAIN:
        return _("Subdomain %(code)s", code=code)
    if kind == ItemKind.INDICATOR:
        return _("Indicator %(code)s", code=code)
    if kind == ItemKind.LEVEL_SET:
        return _("Levels of indicator %(code)s", code=code)
    return _("Indicator %(code)s, level %(level)s", code=code, level=level)


def translated_wordings(item, docs: dict[str, fwlib.Framework]) -> dict[str, dict[str, Any]]:
    out = {}
    for tag, tdoc in docs.items():
        text = design.wording(item, tdoc)
        if text is not None:
            with force_locale(i18n.supported(tag) or "en"):
                text["label"] = item_label(item.kind, item.element_code, item.level)
            out[tag] = text
    return out


def source_part(wording: dict[str, Any] | None) -> dict[str, Any] | None:
    """The wording without its translations: what tells whether an item was revised between rounds."""
    if wording is None:
        return None
    return {k: v for k, v in wording.items() if k != "translations"}


def unchanged_translations(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The languages in which a revised item still reads as before: its translation was not revised with it."""
    old = before.get("translations") or {}
    same = []
    for tag, text in (after.get("translations") or {}).items():
        if tag in old and source_part(_without_label(old[tag])) == source_part(_without_label(text)):
            same.append(tag)
    return same


def _without_label(wording: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in wording.items() if k != "label"}


def wording_in(wording: dict[str, Any] | None, language: str) -> dict[str, Any] | None:
    """What an expert reading `language` sees of a round item's wording (the source where it has no translation)."""
    if not wording:
        return wording
    translated = (wording.get("translations") or {}).get(language)
    return {**source_part(wording), **translated} if translated else source_part(wording)


def questions_in(study: Study, language: str) -> list[dict[str, Any]]:
    questions = study.protocol["questions"]
    entry = (study.protocol.get("texts") or {}).get(language)
    if not entry:
        return questions
    out = []
    for q in questions:
        given = (entry.get("questions") or {}).get(q["key"]) or {}
        out.append({**q, "label": given.get("label") or q["label"], "labels": given.get("labels") or q["labels"]})
    return out


def consent_in(study: Study, language: str) -> str:
    entry = (study.protocol.get("texts") or {}).get(language) or {}
    return entry.get("consent") or study.consent_text


# ---- each expert's language -------------------------------------------------------------------------------------

def default_for(study: Study, user: User | None) -> str:
    """The language an expert who has not chosen is shown: their own setting's, else the page's, else the source."""
    tags = offered(study)
    for wish in (getattr(user, "locale", None), i18n.current()):
        if not wish:
            continue
        for tag in tags:
            if tag == wish or tag.split("-")[0] == wish.split("-")[0]:
                return tag
    return tags[0]


def of(panelist: Panelist) -> str:
    """The language the panelist rates in (their choice while it is offered)."""
    tags = offered(panelist.study)
    if panelist.language in tags:
        return panelist.language
    if not panelist.language and len(tags) == 1:
        return tags[0]
    return default_for(panelist.study, panelist.user)


def settle(panelist: Panelist) -> str:
    """of(), stored, so that the answers given next record the language the page shows (a study in one language
    stores nothing: '' already means its source)."""
    language = of(panelist)
    if is_multilingual(panelist.study) and panelist.language != language:
        panelist.language = language
        db.session.flush()
    return language


def choose(panelist: Panelist, language: str, *, by: User) -> None:
    tag = translations.normalise_language(language)
    if tag not in offered(panelist.study):
        raise InvalidInput(_("This study is not offered in %(language)s.", language=translations.language_name(tag)))
    before = panelist.language
    panelist.language = tag
    audit.record(by, "choose_language", "panelist", panelist.id, before={"language": before},
                 after={"language": tag})
