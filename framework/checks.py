"""Rules every code and text of a framework follows, whatever format it came from.

Each loader walks its own input (a JSON document, CSV rows, worksheet cells) and passes every value
through one Checker, so the rules are the same everywhere and each error names the place in the
input the person can fix.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NoReturn

from .errors import FrameworkError

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
"""Codes appear in URLs, file names and spreadsheet cells, so: short, no spaces, no slashes."""
CODE_RULE = "use up to 32 letters, digits, '.', '-' or '_', starting with a letter or digit"
MAX_TEXT_CHARS = 32_767
"""The most an Excel cell holds; a longer text could not be exported to XLSX."""

MAX_INDICATORS = 2_000
"""Indicators per framework (the 1+MG MLM has 53): every page, export and diff of a version grows with it."""
MAX_GLOSSARY_TERMS = 2_000
"""Glossary entries per framework."""

_CODE = re.compile(CODE_PATTERN)
_XML_NONCHARACTERS = frozenset("\ufffe\uffff")


def normalise(text: str) -> str:
    """Outer whitespace and CR/CRLF line ends carry no meaning and differ between editors."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def bad_character(text: str) -> str | None:
    """The first character that could not survive every format (XML forbids most controls)."""
    for char in text:
        if char in "\t\n":
            continue
        if char in _XML_NONCHARACTERS or unicodedata.category(char) in ("Cc", "Cs"):
            return char
    return None


class Checker:
    """Checks values one by one and remembers codes and terms, to refuse duplicates."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self._codes: dict[str, tuple[str, str]] = {}
        self._terms: dict[str, str] = {}
        self._indicators = 0

    def count_indicator(self, location: str) -> None:
        """Refuse the indicator after the MAX_INDICATORS-th (a loader calls this once per indicator it reads)."""
        self._indicators += 1
        if self._indicators > MAX_INDICATORS:
            self.fail(location, f"more than {MAX_INDICATORS} indicators; the limit keeps every page of a version fast")

    def fail(self, location: str, message: str) -> NoReturn:
        raise FrameworkError(self.filename, location, message)

    def optional_text(self, value: str, location: str, what: str) -> str:
        text = normalise(value)
        if len(text) > MAX_TEXT_CHARS:
            self.fail(location, f"{what} is longer than {MAX_TEXT_CHARS} characters")
        char = bad_character(text)
        if char is not None:
            self.fail(location, f"{what} contains the control character U+{ord(char):04X}")
        return text

    def text(self, value: str, location: str, what: str) -> str:
        text = self.optional_text(value, location, what)
        if not text:
            self.fail(location, f"empty {what}")
        return text

    def code(self, value: str, location: str, kind: str) -> str:
        """A valid code not used before by any domain, subdomain or indicator."""
        code = value.strip()
        if not code:
            self.fail(location, f"empty {kind} code")
        if not _CODE.match(code):
            self.fail(location, f"invalid {kind} code {code!r}: {CODE_RULE}")
        if code in self._codes:
            other_kind, other_location = self._codes[code]
            self.fail(location, f"duplicate code {code!r}: already used by the {other_kind} at {other_location}")
        self._codes[code] = (kind, location)
        return code

    def term(self, value: str, location: str) -> str:
        """A glossary term not defined before (ignoring case: a reader cannot tell them apart)."""
        term = self.text(value, location, "glossary term")
        key = term.casefold()
        if key in self._terms:
            self.fail(location, f"duplicate glossary term {term!r}: already defined at {self._terms[key]}")
        self._terms[key] = location
        return term
