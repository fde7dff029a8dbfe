"""The JSON Schema of framework documents, and its errors in words a framework author can act on."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from functools import cache
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .checks import CODE_PATTERN, CODE_RULE, MAX_TEXT_CHARS
from .errors import FrameworkError
from .model import LEVEL_COUNT

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SINGULAR = {"domains": "domain", "subdomains": "subdomain", "indicators": "indicator", "glossary": "glossary entry"}


@cache
def schema() -> dict[str, Any]:
    """The schema shipped in the package (the same file as docs/framework.schema.json)."""
    text = files("framework").joinpath("data", "framework.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def json_path(parts: Iterable[str | int]) -> str:
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _IDENTIFIER.match(part):
            path += f".{part}"
        else:
            path += "['" + part.replace("\\", "\\\\").replace("'", "\\'") + "']"
    return path


def check_document(document: object, filename: str) -> None:
    """Raise FrameworkError for the first schema violation, in document order."""
    errors = list(_validator().iter_errors(document))
    if errors:
        first = min(errors, key=lambda error: _document_order(document, error.absolute_path))
        raise FrameworkError(filename, json_path(first.absolute_path), _message(first))


def _document_order(document: object, path: Iterable[str | int]) -> tuple[int, ...]:
    """Position of a path in the document as written (jsonschema reports in schema order)."""
    order: list[int] = []
    node = document
    for part in path:
        if isinstance(node, dict):
            keys = list(node)
            order.append(keys.index(part) if part in node else len(keys))
        elif isinstance(node, list) and isinstance(part, int):
            order.append(part)
        node = node[part]  # type: ignore[index]
    return tuple(order)


def _message(error: ValidationError) -> str:
    path = list(error.absolute_path)
    what = _describe(path)
    instance = error.instance
    match error.validator:
        case "type":
            expected = error.validator_value
            expected = expected if isinstance(expected, list) else [expected]
            message = f"{what} must be {' or '.join(map(_article, expected))}, not {_type_of(instance)}"
            if "string" in expected and isinstance(instance, (bool, int, float, dt.date)):
                message += " (put the value in quotes)"
            return message
        case "required":
            missing = next(key for key in error.validator_value if key not in instance)
            message = f"missing {_describe([*path, missing], quote=True)}"
            unknown = [key for key in instance if key not in error.schema.get("properties", {})]
            return message + (f" (found the unknown key {unknown[0]!r})" if unknown else "")
        case "additionalProperties":
            known = error.schema.get("properties", {})
            unknown = next(key for key in instance if key not in known)
            if path and path[-1] == "generic_levels":
                return f"unknown generic level {unknown!r}: the keys are '1' to '{LEVEL_COUNT}'"
            return f"unknown key {unknown!r}"
        case "minItems" | "maxItems" if path and path[-1] == "levels":
            return f"expected exactly {LEVEL_COUNT} level descriptions, found {len(instance)}"
        case "minItems":
            return f"{what} must not be empty: give at least one {_SINGULAR.get(str(path[-1]), 'item')}"
        case "pattern" if error.validator_value == CODE_PATTERN:
            return f"invalid code {instance!r}: {CODE_RULE}"
        case "minLength" | "pattern":
            return f"empty {what}"
        case "maxLength":
            return f"{what} is longer than {MAX_TEXT_CHARS} characters"
    return error.message


def _describe(path: Sequence[str | int], *, quote: bool = False) -> str:
    """Name the value at `path` the way a framework author thinks of it."""
    if not path:
        return "the document"
    last, parent = path[-1], (path[-2] if len(path) > 1 else None)
    if isinstance(last, int):
        if parent == "levels":
            return f"level {last + 1} description"
        return _SINGULAR.get(str(parent), "item")
    if parent == "generic_levels":
        return f"generic level {last}"
    return f"key {last!r}" if quote else last


def _article(json_type: str) -> str:
    return {"object": "an object", "array": "an array", "null": "null", "integer": "an integer"}.get(
        json_type, f"a {json_type}"
    )


def _type_of(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dt.date):
        return "a date"
    for kind, name in ((dict, "an object"), (list, "an array"), (str, "a string"), (type(None), "null")):
        if isinstance(value, kind):
            return name
    return f"a {type(value).__name__}"
