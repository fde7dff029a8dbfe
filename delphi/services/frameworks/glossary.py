"""Glossary terms explained where they occur: <abbr title> in the text, plus the list of terms used on a page
(the list is what keyboard and screen-reader users read; the tooltip is a convenience).

Used by the experts' rating pages, the assessors' answer and results pages and the assessment PDF. A framework
may have no glossary: then text is only escaped and no list is shown.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from markupsafe import Markup, escape

import framework as fwlib
from delphi.services.frameworks import translations
from framework import translations as fwtr


class Glossary:
    def __init__(self, terms: Sequence[tuple[str, str]]):
        self.definitions = {term.lower(): (term, definition) for term, definition in terms if term.strip()}
        self.used: dict[str, tuple[str, str]] = {}
        if self.definitions:
            alternatives = sorted((re.escape(t) for t, _ in self.definitions.values()), key=len, reverse=True)
            self.pattern: re.Pattern[str] | None = re.compile(
                r"(?<![\w-])(" + "|".join(alternatives) + r")(?![\w-])", re.IGNORECASE)
        else:
            self.pattern = None

    def __bool__(self) -> bool:
        return bool(self.definitions)

    def annotate(self, text: str | None) -> Markup:
        """Escape text and wrap every glossary term in <abbr title="definition">."""
        if not text:
            return Markup("")
        if self.pattern is None:
            return escape(text)
        out: list[str] = []
        last = 0
        for match in self.pattern.finditer(text):
            term, definition = self.definitions[match.group(1).lower()]
            self.used.setdefault(term.lower(), (term, definition))
            out.append(str(escape(text[last:match.start()])))
            out.append(f'<abbr class="term" title="{escape(definition)}">{escape(match.group(1))}</abbr>')
            last = match.end()
        out.append(str(escape(text[last:])))
        return Markup("".join(out))

    def used_terms(self) -> list[tuple[str, str]]:
        """Terms met so far by annotate(), alphabetically (for the page's definition list)."""
        return sorted(self.used.values(), key=lambda t: t[0].lower())


def for_version(version, language: str | None = None) -> Glossary:
    """The glossary of a framework version (its GlossaryTerm rows), in `language` where it has a translation."""
    if language and language != version.source_language:
        # The glossary alone: a rating page needs no copy of the whole framework to show its terms.
        entries = tuple(fwlib.GlossaryTerm(term=e.term, definition=e.definition) for e in version.glossary)
        return Glossary([(g.term, g.definition)
                         for g in fwtr.translate_glossary(entries, translations.targets(version, language))])
    return Glossary([(entry.term, entry.definition) for entry in version.glossary])
