"""JSON from people, parsed within bounds: a size and nesting check before json.loads, and a clear 400.

Python's json parser recurses once per nested array or object, so a body of 100,000 "[" ends in a RecursionError
(a 500), and a document that parses just under the interpreter's limit breaks the first code that walks it.
`loads()` refuses both with JSONRefused, a ValueError whose message a person can act on. `SafeRequest` makes every
`request.get_json()` of the app go through the same check (set as `app.request_class` in create_app).
"""
from __future__ import annotations

import json
import re
from typing import Any

from flask import Request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest

MAX_DEPTH = 32
"""The deepest nesting accepted: a consensus rule is 5 levels deep, an autosave body 1, a panel row 2."""
MAX_BYTES = 2 * 1024 * 1024
"""The largest JSON text accepted from a form field or a request body (a framework file has its own limit)."""

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r'[^\[\]{}]+')


class JSONRefused(ValueError):
    """The text is not JSON we accept; str() is one line for the person who sent it."""


def check_depth(text: str, max_depth: int = MAX_DEPTH) -> None:
    """Raise JSONRefused if arrays and objects nest deeper than max_depth (brackets inside strings ignored)."""
    depth = 0
    for char in _NOT_BRACKET.sub("", _STRING.sub("", text)):  # the scans run in C; the loop sees brackets only
        if char in "[{":
            depth += 1
            if depth > max_depth:
                raise JSONRefused(_("The JSON is nested more than %(depth)s levels deep.", depth=max_depth))
        else:
            depth -= 1


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH, max_bytes: int = MAX_BYTES) -> Any:
    """json.loads after a size and depth check; JSONRefused (a ValueError) for anything refused or invalid."""
    if len(text) > max_bytes:
        raise JSONRefused(_("The JSON is larger than %(size)s KiB.", size=max_bytes // 1024))
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise JSONRefused(_("The JSON is not UTF-8 text.")) from None
    check_depth(text, max_depth)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JSONRefused(_("The text is not valid JSON: %(reason)s (line %(line)s).", reason=exc.msg,
                             line=exc.lineno)) from None
    except RecursionError:  # only if max_depth was set above what the interpreter allows
        raise JSONRefused(_("The JSON is nested too deeply.")) from None


class SafeRequest(Request):
    """Flask's request whose get_json() checks size and nesting first: a hostile body is a 400, never a 500."""

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        if force or self.is_json:
            try:
                check_depth(self.get_data(cache=True, as_text=True))
            except JSONRefused as exc:
                if silent:
                    return None
                raise BadRequest(str(exc)) from None
        return super().get_json(force=force, silent=silent, cache=cache)
