"""JSON and YAML framework documents: parse safely, report syntax errors by line, write them back."""

from __future__ import annotations

import json
from typing import Any

import yaml

from .encoding import decode_utf8
from .errors import FrameworkError

JSON_INDENT = 1
"""The layout of the shipped 1+MG file, so dumping it reproduces it byte for byte."""


def parse_json(data: bytes, filename: str) -> Any:
    text = decode_utf8(data, filename)

    def refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # json keeps the last of two equal keys silently; an author would lose text without notice.
        document: dict[str, Any] = {}
        for key, value in pairs:
            if key in document:
                raise FrameworkError(filename, "", f"invalid JSON: the key {key!r} appears twice in one object")
            document[key] = value
        return document

    try:
        return json.loads(text, object_pairs_hook=refuse_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise FrameworkError(filename, f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg}") from None
    except RecursionError:
        raise FrameworkError(filename, "", "invalid JSON: nested too deeply") from None


class _Loader(yaml.SafeLoader):
    """SafeLoader without aliases (their expansion can be exponential) and without duplicate keys."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key_node.value!r} appears twice in one mapping", key_node.start_mark
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


def parse_yaml(data: bytes, filename: str) -> Any:
    text = decode_utf8(data, filename)
    try:
        document = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        explanation = ", ".join(part for part in (exc.context, exc.problem) if part)
        raise FrameworkError(filename, location, f"invalid YAML: {explanation}") from None
    except yaml.YAMLError as exc:  # e.g. ReaderError (a control character), whose text spans two lines
        raise FrameworkError(filename, "", f"invalid YAML: {str(exc).splitlines()[0]}") from None
    except RecursionError:
        raise FrameworkError(filename, "", "invalid YAML: nested too deeply") from None
    generic = document.get("generic_levels") if isinstance(document, dict) else None
    if isinstance(generic, dict):
        # YAML reads an unquoted `1:` as a number; the levels are numbers to the person writing them.
        document["generic_levels"] = {
            str(key) if isinstance(key, int) and not isinstance(key, bool) else key: value
            for key, value in generic.items()
        }
    return document


def dump_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, indent=JSON_INDENT, ensure_ascii=False).encode("utf-8")


def dump_yaml(document: dict[str, Any]) -> bytes:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100).encode("utf-8")
