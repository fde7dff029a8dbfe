"""Edits to a draft framework version (the editor and the between-rounds revisions both use these).

Every function refuses a released version (frameworks.require_draft; the database triggers refuse too) and
returns (before, after) dicts so callers can audit the change.
"""
from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from framework.checks import CODE_PATTERN, CODE_RULE, MAX_TEXT_CHARS, bad_character, normalise
from sqlalchemy import func, select

from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import Domain, FrameworkVersion, GlossaryTerm, Indicator, Level, Subdomain
from delphi.services.frameworks.versions import require_draft

ELEMENTS = (Domain, Subdomain, Indicator)


def find_element(version: FrameworkVersion, code: str) -> Domain | Subdomain | Indicator:
    for model in ELEMENTS:
        element = db.session.scalar(select(model).where(model.version_id == version.id, model.code == code))
        if element is not None:
            return element
    raise InvalidInput(_("No element with code %(code)s in %(version)s.", code=code, version=version.ref))


def reword(version: FrameworkVersion, code: str, field: str, text: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Change one text: a domain/subdomain title, an indicator statement or guidance, or level_N."""
    require_draft(version)
    text = (text or "").strip()
    element = find_element(version, code)
    if field.startswith("level_") and isinstance(element, Indicator):
        try:
            n = int(field.split("_", 1)[1])
        except ValueError:
            n = 0
        if not 1 <= n <= 5:
            raise InvalidInput(_("'%(field)s' is not a level; use level_1 … level_5.", field=field))
        if not text:
            raise InvalidInput(_("Level %(number)s of %(code)s cannot be empty.", number=n, code=code))
        level = db.session.scalar(select(Level).where(Level.indicator_id == element.id, Level.level == n))
        before = level.description
        level.description = text
    else:
        allowed = {Domain: ("title",), Subdomain: ("title",), Indicator: ("statement", "guidance")}[type(element)]
        if field not in allowed:
            raise InvalidInput(_("%(code)s has no field '%(field)s' (it has %(fields)s).", code=code, field=field,
                                 fields=", ".join(allowed)))
        if not text and field != "guidance":
            raise InvalidInput(_("The title of %(code)s cannot be empty.", code=code) if field == "title" else
                               _("The statement of %(code)s cannot be empty.", code=code))
        before = getattr(element, field)
        setattr(element, field, text or None if field == "guidance" else text)
    db.session.flush()
    return {"code": code, field: before}, {"code": code, field: text}


def delete(version: FrameworkVersion, code: str) -> dict[str, Any]:
    """Remove an element and everything under it."""
    require_draft(version)
    element = find_element(version, code)
    db.session.delete(element)
    db.session.flush()
    return {"code": code, "deleted": True}


def move_indicators(version: FrameworkVersion, from_code: str, to_code: str) -> int:
    """Move every indicator of one subdomain to the end of another (used when subdomains are merged)."""
    require_draft(version)
    source, target = find_element(version, from_code), find_element(version, to_code)
    if not isinstance(source, Subdomain) or not isinstance(target, Subdomain):
        raise InvalidInput(_("Indicators can only move between subdomains."))
    start = len(target.indicators)
    moved = list(source.indicators)
    for offset, indicator in enumerate(moved):
        indicator.subdomain_id = target.id
        indicator.position = start + offset
    db.session.flush()
    db.session.expire(source)
    db.session.expire(target)
    return len(moved)


# --- The editor's operations -----------------------------------------------------------------------------------
# Each validates everything before it changes anything, so a refused edit leaves the draft as it was, and returns
# (before, after) for audit.record. Codes share one namespace across domains, subdomains and indicators (the file
# formats and the diff match elements by code), which the per-table unique constraints alone do not enforce.

Change = tuple[dict[str, Any] | None, dict[str, Any] | None]
METADATA_FIELDS = ("name", "short_name", "description", "source", "numbering_note")
_CODE = re.compile(CODE_PATTERN)
_CHILD = {Domain: Subdomain, Subdomain: Indicator}
_KIND = {Domain: "domain", Subdomain: "subdomain", Indicator: "indicator"}
# What a message calls each kind, and each text it checks (lazy: read in the reader's language).
_KIND_NAME = {Domain: _l("domain"), Subdomain: _l("subdomain"), Indicator: _l("indicator")}
_TITLE_OF = {Domain: _l("domain title"), Subdomain: _l("subdomain title")}
_METADATA_NAME = {"name": _l("name"), "short_name": _l("short name"), "description": _l("description"),
                  "source": _l("source"), "numbering_note": _l("numbering note")}


def clean_text(value: str | None, what: str, *, required: bool = True) -> str:
    """The text as stored: outer whitespace and CR line ends dropped, refused if it could not be exported.
    what: the text's name in a message ("domain title"), in the reader's language."""
    text = normalise(value or "")
    if required and not text:
        raise InvalidInput(_("The %(what)s cannot be empty.", what=what))
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(_("The %(what)s is longer than %(max)s characters.", what=what, max=MAX_TEXT_CHARS))
    char = bad_character(text)
    if char is not None:
        raise InvalidInput(_("The %(what)s contains the control character U+%(code)s.", what=what,
                             code=f"{ord(char):04X}"))
    return text


def _new_code(version: FrameworkVersion, code: str | None, kind: type) -> str:
    code = (code or "").strip()
    if not _CODE.match(code):
        raise InvalidInput(_("'%(code)s' is not a valid domain code: %(rule)s.", code=code, rule=CODE_RULE)
                           if kind is Domain else
                           _("'%(code)s' is not a valid subdomain code: %(rule)s.", code=code, rule=CODE_RULE)
                           if kind is Subdomain else
                           _("'%(code)s' is not a valid indicator code: %(rule)s.", code=code, rule=CODE_RULE))
    for model in ELEMENTS:
        if db.session.scalar(select(model.id).where(model.version_id == version.id, model.code == code)):
            raise InvalidInput(_("The code %(code)s is already used by a domain of this version.", code=code)
                               if model is Domain else
                               _("The code %(code)s is already used by a subdomain of this version.", code=code)
                               if model is Subdomain else
                               _("The code %(code)s is already used by an indicator of this version.", code=code))
    return code


def _find(version: FrameworkVersion, code: str, model: type, what: str | None = None):
    element = find_element(version, code)
    if not isinstance(element, model):
        raise InvalidInput(_("%(code)s is a %(kind)s, not a %(expected)s.", code=code,
                             kind=_KIND_NAME[type(element)], expected=what or _KIND_NAME[model]))
    return element


def _siblings(element: Domain | Subdomain | Indicator) -> list:
    """The element and its siblings in display order (same parent, or all domains of the version)."""
    model = type(element)
    query = select(model).where(model.version_id == element.version_id)
    if isinstance(element, Subdomain):
        query = query.where(Subdomain.domain_id == element.domain_id)
    elif isinstance(element, Indicator):
        query = query.where(Indicator.subdomain_id == element.subdomain_id)
    return list(db.session.scalars(query.order_by(model.position, model.id)))


def _next_position(parent_column, parent_id: int) -> int:
    """The position after the last child of a parent (parent_column: e.g. Indicator.subdomain_id)."""
    model = parent_column.class_
    highest = db.session.scalar(select(func.max(model.position)).where(parent_column == parent_id))
    return 0 if highest is None else highest + 1


def add_domain(version: FrameworkVersion, code: str, title: str) -> Change:
    require_draft(version)
    code = _new_code(version, code, Domain)
    title = clean_text(title, _TITLE_OF[Domain])
    db.session.add(Domain(version_id=version.id, code=code, title=title,
                          position=_next_position(Domain.version_id, version.id)))
    db.session.flush()
    db.session.expire(version, ["domains"])
    return None, {"domain": code, "title": title}


def add_subdomain(version: FrameworkVersion, domain_code: str, code: str, title: str) -> Change:
    require_draft(version)
    domain = _find(version, domain_code, Domain)
    code = _new_code(version, code, Subdomain)
    title = clean_text(title, _TITLE_OF[Subdomain])
    db.session.add(Subdomain(version_id=version.id, domain_id=domain.id, code=code, title=title,
                             position=_next_position(Subdomain.domain_id, domain.id)))
    db.session.flush()
    db.session.expire(domain, ["subdomains"])
    return None, {"subdomain": code, "domain": domain.code, "title": title}


def add_indicator(version: FrameworkVersion, subdomain_code: str, code: str, statement: str,
                  levels: list[str] | tuple[str, ...], guidance: str | None = None) -> Change:
    """A new indicator at the end of a subdomain; it needs its statement and all five level descriptions."""
    require_draft(version)
    subdomain = _find(version, subdomain_code, Subdomain)
    code = _new_code(version, code, Indicator)
    statement = clean_text(statement, _("statement"))
    guidance = clean_text(guidance, _("guidance"), required=False) or None
    if len(levels) != 5:
        raise InvalidInput(_("An indicator has exactly 5 levels, not %(count)s.", count=len(levels)))
    levels = [clean_text(text, _("level %(number)s description", number=n)) for n, text in enumerate(levels, 1)]
    indicator = Indicator(version_id=version.id, subdomain_id=subdomain.id, code=code, statement=statement,
                          guidance=guidance, position=_next_position(Indicator.subdomain_id, subdomain.id))
    db.session.add(indicator)
    db.session.flush()
    db.session.add_all(Level(version_id=version.id, indicator_id=indicator.id, level=n, description=text)
                       for n, text in enumerate(levels, 1))
    db.session.flush()
    db.session.expire(subdomain, ["indicators"])
    return None, {"indicator": code, "subdomain": subdomain.code, "statement": statement, "guidance": guidance,
                  "levels": levels}


def update_indicator(version: FrameworkVersion, code: str, statement: str, guidance: str | None,
                     levels: list[str] | tuple[str, ...]) -> Change:
    """Reword an indicator's statement, guidance and levels at once; only the texts that differ change."""
    require_draft(version)
    indicator = _find(version, code, Indicator)
    if len(levels) != 5:
        raise InvalidInput(_("An indicator has exactly 5 levels, not %(count)s.", count=len(levels)))
    wanted = {"statement": clean_text(statement, _("statement")),
              "guidance": clean_text(guidance, _("guidance"), required=False)}
    wanted |= {f"level_{n}": clean_text(text, _("level %(number)s description", number=n))
               for n, text in enumerate(levels, 1)}
    current = {"statement": indicator.statement, "guidance": indicator.guidance or ""}
    current |= {f"level_{lv.level}": lv.description for lv in indicator.levels}
    before, after = {"code": code}, {"code": code}
    for field, text in wanted.items():
        if text != current.get(field):
            reword(version, code, field, text)
            before[field], after[field] = current.get(field), text
    return (before, after) if len(after) > 1 else (None, None)


def retitle(version: FrameworkVersion, code: str, title: str) -> Change:
    """A new title for a domain or subdomain."""
    require_draft(version)
    element = find_element(version, code)
    if isinstance(element, Indicator):
        raise InvalidInput(_("%(code)s is an indicator: it has a statement, not a title.", code=code))
    title = clean_text(title, _TITLE_OF[type(element)])
    if title == element.title:
        return None, None
    return reword(version, code, "title", title)


def move(version: FrameworkVersion, code: str, to_code: str) -> Change:
    """Move an indicator to another subdomain, or a subdomain to another domain (at the end of it)."""
    require_draft(version)
    element = find_element(version, code)
    if isinstance(element, Domain):
        raise InvalidInput(_("A domain has no parent to move to; move it up or down instead."))
    parent_model = Subdomain if isinstance(element, Indicator) else Domain
    target = _find(version, to_code, parent_model,
                   _("subdomain (a indicator can only move to a subdomain)") if parent_model is Subdomain
                   else _("domain (a subdomain can only move to a domain)"))
    if isinstance(element, Indicator):
        old_parent = element.subdomain
        if target.id == old_parent.id:
            raise InvalidInput(_("%(code)s is already in %(target)s.", code=code, target=target.code))
        element.subdomain_id, element.position = target.id, _next_position(Indicator.subdomain_id, target.id)
        relation = "indicators"
    else:
        old_parent = element.domain
        if target.id == old_parent.id:
            raise InvalidInput(_("%(code)s is already in %(target)s.", code=code, target=target.code))
        element.domain_id, element.position = target.id, _next_position(Subdomain.domain_id, target.id)
        relation = "subdomains"
    db.session.flush()
    db.session.expire(element)
    db.session.expire(old_parent, [relation])
    db.session.expire(target, [relation])
    return {"code": code, "parent": old_parent.code}, {"code": code, "parent": target.code}


def reorder(version: FrameworkVersion, code: str, direction: str) -> Change:
    """Swap an element with its previous ("up") or next ("down") sibling."""
    require_draft(version)
    if direction not in ("up", "down"):
        raise InvalidInput(_("'%(direction)s' is not a direction; use up or down.", direction=direction))
    element = find_element(version, code)
    siblings = _siblings(element)
    index = next(i for i, s in enumerate(siblings) if s.id == element.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        raise InvalidInput(_already_at_end(code, type(element), first=direction == "up"))
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings):
        sibling.position = position
    db.session.flush()
    _expire_parent(version, element)
    return {"code": code, "position": index + 1}, {"code": code, "position": other + 1}


def _already_at_end(code: str, model: type, *, first: bool) -> str:
    if model is Domain:
        return (_("%(code)s is already the first domain here.", code=code) if first
                else _("%(code)s is already the last domain here.", code=code))
    if model is Subdomain:
        return (_("%(code)s is already the first subdomain here.", code=code) if first
                else _("%(code)s is already the last subdomain here.", code=code))
    return (_("%(code)s is already the first indicator here.", code=code) if first
            else _("%(code)s is already the last indicator here.", code=code))


def remove(version: FrameworkVersion, code: str) -> Change:
    """delete() for the editor: the same, with the removed element's texts kept for the audit log."""
    require_draft(version)
    element = find_element(version, code)
    kind = _KIND[type(element)]
    text = element.statement if isinstance(element, Indicator) else element.title
    before = {"code": code, "kind": kind, "text": text}
    _expire_parent(version, element)
    delete(version, code)
    return before, None


def _expire_parent(version: FrameworkVersion, element) -> None:
    if isinstance(element, Domain):
        db.session.expire(version, ["domains"])
    elif isinstance(element, Subdomain):
        db.session.expire(element.domain, ["subdomains"])
    else:
        db.session.expire(element.subdomain, ["indicators"])


def _glossary_term(version: FrameworkVersion, term_id: int) -> GlossaryTerm:
    entry = db.session.get(GlossaryTerm, term_id)
    if entry is None or entry.version_id != version.id:
        raise InvalidInput(_("No glossary term %(id)s in %(version)s.", id=term_id, version=version.ref))
    return entry


def _check_term(version: FrameworkVersion, term: str, except_id: int | None = None) -> str:
    term = clean_text(term, _("glossary term"))
    if len(term) > 200:
        raise InvalidInput(_("A glossary term is at most 200 characters."))
    for other in db.session.scalars(select(GlossaryTerm).where(GlossaryTerm.version_id == version.id)):
        if other.id != except_id and other.term.casefold() == term.casefold():
            raise InvalidInput(_("The glossary already defines '%(term)s'.", term=other.term))
    return term


def add_glossary_term(version: FrameworkVersion, term: str, definition: str) -> Change:
    require_draft(version)
    term = _check_term(version, term)
    definition = clean_text(definition, _("definition"))
    db.session.add(GlossaryTerm(version_id=version.id, term=term, definition=definition,
                                position=_next_position(GlossaryTerm.version_id, version.id)))
    db.session.flush()
    db.session.expire(version, ["glossary"])
    return None, {"term": term, "definition": definition}


def edit_glossary_term(version: FrameworkVersion, term_id: int, term: str, definition: str) -> Change:
    require_draft(version)
    entry = _glossary_term(version, term_id)
    term = _check_term(version, term, except_id=entry.id)
    definition = clean_text(definition, _("definition"))
    if (term, definition) == (entry.term, entry.definition):
        return None, None
    before = {"term": entry.term, "definition": entry.definition}
    entry.term, entry.definition = term, definition
    db.session.flush()
    return before, {"term": term, "definition": definition}


def delete_glossary_term(version: FrameworkVersion, term_id: int) -> Change:
    require_draft(version)
    entry = _glossary_term(version, term_id)
    before = {"term": entry.term, "definition": entry.definition}
    db.session.delete(entry)
    db.session.flush()
    db.session.expire(version, ["glossary"])
    return before, None


def edit_metadata(version: FrameworkVersion, **values: str | None) -> Change:
    """Name (required), short name, description, source (attribution) and numbering note."""
    require_draft(version)
    unknown = set(values) - set(METADATA_FIELDS)
    if unknown:
        raise InvalidInput(ngettext("Unknown metadata field(s): %(fields)s.", "Unknown metadata field(s): %(fields)s.",
                                    len(unknown), fields=", ".join(sorted(unknown))))
    cleaned = {field: clean_text(value, _METADATA_NAME[field], required=field == "name")
               for field, value in values.items()}
    if len(cleaned.get("name", "")) > 300 or len(cleaned.get("short_name", "")) > 100:
        raise InvalidInput(_("The name is at most 300 characters and the short name at most 100."))
    before, after = {}, {}
    for field, text in cleaned.items():
        if getattr(version, field) != text:
            before[field], after[field] = getattr(version, field), text
            setattr(version, field, text)
    db.session.flush()
    return (before, after) if after else (None, None)


def edit_generic_levels(version: FrameworkVersion, levels: list[str] | tuple[str, ...]) -> Change:
    """What each level means across all indicators: all five texts, or none (all empty)."""
    require_draft(version)
    if len(levels) != 5:
        raise InvalidInput(_("There are exactly 5 generic levels, not %(count)s.", count=len(levels)))
    texts = [clean_text(text, _("generic level %(number)s", number=n), required=False)
             for n, text in enumerate(levels, 1)]
    if any(texts) and not all(texts):
        missing = ", ".join(str(n) for n, text in enumerate(texts, 1) if not text)
        raise InvalidInput(_("Give all 5 generic levels or none (level %(levels)s is empty).", levels=missing))
    texts = texts if all(texts) else []
    current = [text for text in (version.generic_levels or []) if text]
    if texts == current:
        return None, None
    version.generic_levels = texts  # a new list: SQLAlchemy does not see in-place changes to a JSON column
    db.session.flush()
    return {"generic_levels": current}, {"generic_levels": texts}
