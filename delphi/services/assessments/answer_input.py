"""One indicator's answer as a page or the autosave submits it: field by field, each field parsed on its own (a bad
field is refused without refusing the others), with the revisions the person started from and what the page
showed (so that a save changes only the fields the person changed).
"""
from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from delphi.errors import InvalidInput
from delphi.models.assessment import Confidence
from delphi.services.assessments.lifecycle import IndicatorNode

MAX_TEXT = 20_000
MAX_LINKS = 20
MAX_LINK_LENGTH = 2_000

# Which answer fields a page may change. Team mode: the level is each member's own until the lead agrees one;
# "not applicable" is an agreed answer too. The lead's consensus form also carries the target (it must not fall
# below the agreed level).
SOLO_FIELDS = frozenset({"current_level", "target_level", "target_date", "confidence", "evidence", "links",
                         "not_applicable", "na_reason"})
TEAM_FIELDS = frozenset({"target_level", "target_date", "confidence", "evidence", "links"})
CONSENSUS_FIELDS = frozenset({"current_level", "not_applicable", "na_reason", "agreed_note", "target_level"})
FIELD_LABELS = {  # lazy: read in the reader's language (str() where it goes into JSON)
    "current_level": _l("Current level"), "target_level": _l("Target level"), "target_date": _l("Target date"),
    "confidence": _l("Confidence"), "evidence": _l("Evidence"), "links": _l("Links"),
    "not_applicable": _l("Not applicable"), "na_reason": _l("Reason"), "agreed_note": _l("Note"),
    "my_level": _l("Your level"), "my_comment": _l("Your comment"), "revision": _l("Revision"),
}
SHARED_FIELDS = SOLO_FIELDS | CONSENSUS_FIELDS  # stored on the answer row, one revision per field
OWN_FIELDS = frozenset({"my_level", "my_comment"})  # stored per member (team mode), never shared


class AnswerInvalid(InvalidInput):
    """Bad input for one field of one indicator (field: where the message belongs; involves: the fields a rule
    across fields reads, so that the one the person changed can be refused)."""

    def __init__(self, message: str, *, field: str | None = None, indicator: IndicatorNode | None = None,
                 involves: tuple[str, ...] = ()):
        super().__init__(message)
        self.field = field
        self.indicator = indicator
        self.involves = involves or ((field,) if field else ())


# --------------------------------------------------------------------------------------------------------------
# Parsing: every message says what was wrong and what is accepted.

TRUE = {"1", "true", "on", "yes", "y"}
FALSE = {"", "0", "false", "off", "no", "n"}


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise AnswerInvalid(_("%(field)s must be text.", field=FIELD_LABELS[key]), field=key)
    value = value.replace("\r\n", "\n").strip()
    if len(value) > MAX_TEXT:
        raise AnswerInvalid(_("%(field)s is too long (%(length)s characters; at most %(max)s).",
                              field=FIELD_LABELS[key], length=len(value), max=MAX_TEXT), field=key)
    return value


def _level(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        value = None
    elif isinstance(value, int):
        pass
    elif isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    else:
        value = None
    if value is None or not 1 <= value <= 5:
        shown = raw.get(key)
        raise AnswerInvalid(_("%(field)s must be a whole number from 1 to 5 (got %(value)s); it was not saved.",
                              field=FIELD_LABELS[key], value=repr(shown)), field=key)
    return value


def _flag(raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
        return value.strip().lower() in TRUE
    raise AnswerInvalid(_("%(field)s must be true or false (got %(value)s).", field=FIELD_LABELS[key],
                          value=repr(value)), field=key)


def _date(raw: Mapping[str, Any], key: str) -> date | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise AnswerInvalid(_("%(field)s must be a date written as YYYY-MM-DD, e.g. 2027-06-30 (got %(value)s).",
                              field=FIELD_LABELS[key], value=repr(value)), field=key) from None


def _confidence(raw: Mapping[str, Any]) -> Confidence | None:
    value = raw.get("confidence")
    if value is None or value == "":
        return None
    try:
        return Confidence(str(value).strip().lower())
    except ValueError:
        raise AnswerInvalid(_("Confidence must be low, medium or high (got %(value)s).", value=repr(value)),
                            field="confidence") from None


def clean_link(link: str) -> str:
    link = link.strip()
    parts = urlsplit(link)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or any(c.isspace() for c in link):
        raise AnswerInvalid(_("%(link)s is not a web link: each link must start with http:// or https:// (one per "
                              "line).", link=repr(link[:80])), field="links")
    if len(link) > MAX_LINK_LENGTH:
        raise AnswerInvalid(_("A link is too long (at most %(max)s characters).", max=MAX_LINK_LENGTH),
                            field="links")
    return link


def _links(raw: Mapping[str, Any]) -> tuple[str, ...]:
    value = raw.get("links")
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items = value.splitlines()
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        items = list(value)
    else:
        raise AnswerInvalid(_("Links must be text, one link per line."), field="links")
    links = tuple(dict.fromkeys(clean_link(v) for v in items if v.strip()))
    if len(links) > MAX_LINKS:
        raise AnswerInvalid(_("At most %(max)s links per indicator (got %(count)s).", max=MAX_LINKS,
                              count=len(links)), field="links")
    return links


def _revision(raw: Mapping[str, Any]) -> int | None:
    value = raw.get("revision")
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise AnswerInvalid(_("The page's revision marker is damaged; reload the page."), field="revision")


PARSERS = {
    "current_level": lambda raw: _level(raw, "current_level"), "target_level": lambda raw: _level(raw, "target_level"),
    "target_date": lambda raw: _date(raw, "target_date"), "confidence": _confidence,
    "evidence": lambda raw: _text(raw, "evidence"), "links": _links,
    "not_applicable": lambda raw: _flag(raw, "not_applicable"), "na_reason": lambda raw: _text(raw, "na_reason"),
    "agreed_note": lambda raw: _text(raw, "agreed_note"), "my_level": lambda raw: _level(raw, "my_level"),
    "my_comment": lambda raw: _text(raw, "my_comment"),
}
CHOICES = ("mine", "theirs")


@dataclass(frozen=True)
class AnswerInput:
    """One indicator's answer as submitted.

    present: the fields submitted (None: every field, a missing value meaning empty — the services' own callers).
    revision: the answer's revision the page started from (None: overwrite whatever is there); revisions: the same
    per field (the script tracks each field). was: a fingerprint per field of what the page showed, so a form that
    submits every field changes only those the person edited. choices: "mine" or "theirs" for a conflict the page
    showed (unresolved: the fields whose conflict awaits a choice). invalid: fields that could not be parsed.
    """

    current_level: int | None = None
    target_level: int | None = None
    target_date: date | None = None
    confidence: Confidence | None = None
    evidence: str = ""
    links: tuple[str, ...] = ()
    not_applicable: bool = False
    na_reason: str = ""
    agreed_note: str = ""
    my_level: int | None = None
    my_comment: str = ""
    revision: int | None = None
    present: frozenset[str] | None = None
    revisions: Mapping[str, int] = field(default_factory=dict)
    was: Mapping[str, str] = field(default_factory=dict)
    choices: Mapping[str, str] = field(default_factory=dict)
    unresolved: frozenset[str] = frozenset()
    invalid: Mapping[str, AnswerInvalid] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)  # the submitted values, to show a refused one again

    def gives(self, name: str) -> bool:
        return self.present is None or name in self.present

    def base(self, name: str) -> int | None:
        """The revision of this field the person started from."""
        return self.revisions.get(name, self.revision)


def _revisions(raw: Mapping[str, Any]) -> dict[str, int]:
    value = raw.get("revisions")
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
            k in PARSERS and isinstance(v, int) and not isinstance(v, bool) and v >= 0 for k, v in value.items()):
        raise AnswerInvalid(_("The page's revision markers are damaged; reload the page."), field="revision")
    return dict(value)


def _strings(raw: Mapping[str, Any], key: str, allowed: tuple[str, ...] | None = None) -> dict[str, str]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(k in PARSERS and isinstance(v, str) and len(v) <= 64
                                                 for k, v in value.items()):
        raise AnswerInvalid(_("The page's markers are damaged; reload the page."), field="revision")
    return {k: v for k, v in value.items() if allowed is None or v in allowed}


def parse(raw: Mapping[str, Any]) -> AnswerInput:
    """Parse one indicator's submitted fields (JSON values or form strings), each on its own: a field that cannot be
    parsed is listed in `invalid`, the others stay usable. Only damaged revision markers raise AnswerInvalid."""
    values: dict[str, Any] = {}
    invalid: dict[str, AnswerInvalid] = {}
    present = frozenset(k for k in PARSERS if k in raw)
    for key in present:
        try:
            values[key] = PARSERS[key](raw)
        except AnswerInvalid as error:
            invalid[key] = error
    unresolved = raw.get("unresolved") or ()
    if not isinstance(unresolved, list | tuple | frozenset | set) or not all(u in PARSERS for u in unresolved):
        raise AnswerInvalid(_("The page's markers are damaged; reload the page."), field="revision")
    return AnswerInput(**values, revision=_revision(raw), present=present, revisions=_revisions(raw),
                       was=_strings(raw, "was"), choices=_strings(raw, "choices", CHOICES),
                       unresolved=frozenset(unresolved), invalid=invalid,
                       raw={k: raw[k] for k in present})


def form_value(name: str, value: Any) -> Any:
    """A stored or parsed value as an answer page's field shows it (and the autosave's JSON returns it)."""
    if name == "not_applicable":
        return bool(value)
    if value is None:
        return ""
    if name == "links":
        return "\n".join(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Confidence):
        return value.value
    return str(value)


def fingerprint(name: str, value: Any) -> str:
    """A short digest of a field's value as the page showed it: compared with what comes back, it tells a field the
    person edited from one they left alone (without sending the whole text back)."""
    return hashlib.sha256(f"{name}\0{form_value(name, value)}".encode()).hexdigest()[:16]
