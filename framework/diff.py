"""What changed between two versions of a framework, element by element and word by word.

Elements are matched by code: a code that disappears is "removed", a new code is "added" (so a
renumbered element shows as removed + added). An element whose code stays is "moved" when its parent
changes (field "parent") or when it changed places among the siblings it kept (field "position"),
and "reworded" for each of its texts that differs. Changes come in document order: metadata, generic
levels, glossary, then domains, subdomains and indicators as they appear; a removed element is
listed where it used to be.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from .convert import METADATA_KEYS
from .model import Domain, Framework, Indicator, Subdomain

ChangeKind = Literal["added", "removed", "moved", "reworded"]
ElementKind = Literal["domain", "subdomain", "indicator", "level", "generic_level", "glossary", "metadata"]
Op = Literal["equal", "insert", "delete"]

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
"""Words, runs of whitespace and single punctuation marks: "levels," → "levels", ","."""


@dataclass(frozen=True)
class WordOp:
    op: Op
    text: str


@dataclass(frozen=True)
class Change:
    """One difference. `code` is the element's code (the indicator's for a level, the term for a
    glossary entry, the level number for a generic level, "" for metadata); `field` names the text
    ("title", "statement", "guidance", "level_3", "definition", "term", a metadata key) or, for a
    move, "parent" or "position" (before/after then hold parent codes or 1-based positions)."""

    kind: ChangeKind
    element: ElementKind
    code: str
    field: str | None = None
    before: str | None = None
    after: str | None = None
    words: tuple[WordOp, ...] = ()

    def summary(self) -> str:
        if self.kind == "moved":
            where = "from position {} to {}" if self.field == "position" else "from {} to {}"
            return f"moved {self.element} {self.code} " + where.format(self.before, self.after)
        if self.element == "metadata":
            return f"{self.kind} framework {self.field}"
        if self.element == "level":
            number = (self.field or "").removeprefix("level_")
            return f"{self.kind} level {number} of indicator {self.code}"
        element = {"generic_level": "generic level", "glossary": "glossary term"}.get(self.element, self.element)
        return " ".join(part for part in (self.kind, element, self.code, self.field) if part)


def diff(a: Framework, b: Framework) -> list[Change]:
    """Changes that turn `a` into `b`, in document order."""
    return [*_metadata(a, b), *_generic_levels(a, b), *_glossary(a, b), *_structure(a, b)]


def word_ops(before: str, after: str) -> tuple[WordOp, ...]:
    """Word-level edit script: the equal+delete texts spell `before`, the equal+insert texts `after`."""
    old, new = _TOKEN.findall(before), _TOKEN.findall(after)
    # Segments: ("equal", text, "") or ("change", deleted, inserted).
    segments: list[tuple[str, str, str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        deleted, inserted = "".join(old[i1:i2]), "".join(new[j1:j2])
        if tag == "equal":
            segments.append(("equal", deleted, ""))
        elif (
            len(segments) >= 2
            and segments[-2][0] == "change"
            and all(segments[-2][1:])
            and deleted
            and inserted
            and segments[-1][1].isspace()
        ):
            # "quick brown" → "slow red" reads as one replacement, not two split by a kept space.
            _, previous_deleted, previous_inserted = segments[-2]
            space = segments.pop()[1]
            segments[-1] = ("change", previous_deleted + space + deleted, previous_inserted + space + inserted)
        else:
            segments.append(("change", deleted, inserted))
    ops: list[WordOp] = []
    for tag, first, second in segments:
        if tag == "equal":
            ops.append(WordOp("equal", first))
        else:
            ops += [WordOp(op, text) for op, text in (("delete", first), ("insert", second)) if text]
    return tuple(ops)


def _reworded(
    element: ElementKind, code: str, field: str | None, before: str | None, after: str | None
) -> Iterator[Change]:
    if before != after:
        yield Change("reworded", element, code, field, before, after, word_ops(before or "", after or ""))


def _added(element: ElementKind, code: str, field: str | None, text: str) -> Change:
    return Change("added", element, code, field, None, text, (WordOp("insert", text),))


def _removed(element: ElementKind, code: str, field: str | None, text: str) -> Change:
    return Change("removed", element, code, field, text, None, (WordOp("delete", text),))


def _metadata(a: Framework, b: Framework) -> Iterator[Change]:
    for key in METADATA_KEYS:
        yield from _reworded("metadata", "", key, getattr(a, key), getattr(b, key))


def _generic_levels(a: Framework, b: Framework) -> Iterator[Change]:
    if a.generic_levels and b.generic_levels:
        for number, (before, after) in enumerate(zip(a.generic_levels, b.generic_levels), 1):
            yield from _reworded("generic_level", str(number), None, before, after)
    else:
        for number, text in enumerate(b.generic_levels, 1):
            yield _added("generic_level", str(number), None, text)
        for number, text in enumerate(a.generic_levels, 1):
            yield _removed("generic_level", str(number), None, text)


def _glossary(a: Framework, b: Framework) -> Iterator[Change]:
    """Terms are matched ignoring case; their order is not compared (glossaries are usually sorted)."""
    old = {entry.term.casefold(): entry for entry in a.glossary}
    new = {entry.term.casefold(): entry for entry in b.glossary}
    for key, from_new in _merged(list(old), list(new)):
        if not from_new:
            if key not in new:
                yield _removed("glossary", old[key].term, "definition", old[key].definition)
        elif key not in old:
            yield _added("glossary", new[key].term, "definition", new[key].definition)
        else:
            yield from _reworded("glossary", new[key].term, "term", old[key].term, new[key].term)
            yield from _reworded("glossary", new[key].term, "definition", old[key].definition, new[key].definition)


@dataclass(frozen=True)
class _Node:
    element: Literal["domain", "subdomain", "indicator"]
    item: Domain | Subdomain | Indicator
    parent: str
    """Parent code; "" for a domain."""
    position: int
    """1-based place among the parent's children."""


def _nodes(fw: Framework) -> dict[str, _Node]:
    """Every domain, subdomain and indicator by code, in document order."""
    nodes: dict[str, _Node] = {}
    for d, domain in enumerate(fw.domains, 1):
        nodes[domain.code] = _Node("domain", domain, "", d)
        for s, subdomain in enumerate(domain.subdomains, 1):
            nodes[subdomain.code] = _Node("subdomain", subdomain, domain.code, s)
            for i, indicator in enumerate(subdomain.indicators, 1):
                nodes[indicator.code] = _Node("indicator", indicator, subdomain.code, i)
    return nodes


def _structure(a: Framework, b: Framework) -> Iterator[Change]:
    old, new = _nodes(a), _nodes(b)
    reordered = _reordered(old, new)
    for code, from_new in _merged(list(old), list(new)):
        before, after = old.get(code), new.get(code)
        same_kind = before is not None and after is not None and before.element == after.element
        if not from_new:
            if before is not None and not same_kind:
                yield _removed(before.element, code, None, _heading(before.item))
            continue
        assert after is not None
        if before is None or not same_kind:
            yield _added(after.element, code, None, _heading(after.item))
            continue
        if before.parent != after.parent:
            yield Change("moved", after.element, code, "parent", before.parent, after.parent)
        elif code in reordered:
            yield Change("moved", after.element, code, "position", str(before.position), str(after.position))
        yield from _rewordings(before, after)


def _rewordings(before: _Node, after: _Node) -> Iterator[Change]:
    old, new, code = before.item, after.item, after.item.code
    if isinstance(old, Indicator) and isinstance(new, Indicator):
        yield from _reworded("indicator", code, "statement", old.statement, new.statement)
        yield from _reworded("indicator", code, "guidance", old.guidance, new.guidance)
        for number, (old_level, new_level) in enumerate(zip(old.levels, new.levels), 1):
            yield from _reworded("level", code, f"level_{number}", old_level, new_level)
    elif isinstance(old, (Domain, Subdomain)) and isinstance(new, (Domain, Subdomain)):
        yield from _reworded(after.element, code, "title", old.title, new.title)


def _heading(item: Domain | Subdomain | Indicator) -> str:
    return item.statement if isinstance(item, Indicator) else item.title


def _reordered(old: dict[str, _Node], new: dict[str, _Node]) -> set[str]:
    """Codes that changed places among siblings kept under the same parent.

    Only the relative order of the kept siblings counts, so removing or adding an element does not
    make its later siblings "moved". Siblings outside the longest runs kept in order (difflib's
    matching blocks) are marked: moving one indicator to the end marks that one, not the others.
    """
    kept: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for nodes, side in ((old, 0), (new, 1)):
        for code, node in nodes.items():
            other = (new if side == 0 else old).get(code)
            if other is not None and other.element == node.element and other.parent == node.parent:
                kept.setdefault((node.element, node.parent), ([], []))[side].append(code)
    moved: set[str] = set()
    for old_order, new_order in kept.values():
        matcher = SequenceMatcher(None, old_order, new_order, autojunk=False)
        blocks = matcher.get_matching_blocks()
        in_place = {code for block in blocks for code in new_order[block.b : block.b + block.size]}
        moved.update(code for code in new_order if code not in in_place)
    return moved


def _merged(old: Sequence[str], new: Sequence[str]) -> list[tuple[str, bool]]:
    """Both key sequences interleaved as one document order; True marks an entry taken from `new`.

    Keys only in `old` stand where they were relative to the keys around them.
    """
    merged: list[tuple[str, bool]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            merged += [(key, True) for key in new[j1:j2]]
        else:
            merged += [(key, False) for key in old[i1:i2]]
            merged += [(key, True) for key in new[j1:j2]]
    return merged
