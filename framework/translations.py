"""Translations of a framework: stable keys for its texts, XLIFF 2.0 files for translators, and checks.

A translation is a plain mapping key → text (`indicator.I.1.1.level.3` → "…"), so it can be stored,
merged and compared without the framework. Keys come from codes and glossary terms, not positions, so
a translation survives reordering; a text whose source changed since the export is kept but reported
as stale, because a translator should look at it again. `short_name`, `source` (attribution) and
`numbering_note` are not translated: they name and credit the original.

Import never expands entities: a file with a DOCTYPE or ENTITY declaration is refused before parsing
(billion laughs, external entities), and the standard library parser then sees no DTD at all.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from .model import Domain, Framework, GlossaryTerm, Indicator, Subdomain

XLIFF_NS = "urn:oasis:names:tc:xliff:document:2.0"
MAX_XLIFF_BYTES = 20 * 1024 * 1024
MAX_UNITS = 100_000

_X = "{" + XLIFF_NS + "}"
ChangeKind = Literal["added", "removed", "changed"]
_LANGUAGE = re.compile(
    r"[A-Za-z]{2,3}(-[A-Za-z]{3}){0,3}"  # language, extended language subtags
    r"(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?"  # script, region
    r"(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"  # variants
)
"""BCP 47 language tags as translation tools write them (en, pt-PT, sr-Latn-RS, de-CH-1996); no extensions."""
_NAME_CHARS = (
    "A-Za-z0-9:_.\\-\u00b7\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u037d\u037f-\u1fff\u200c\u200d\u203f\u2040"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_NMTOKEN = re.compile(f"[{_NAME_CHARS}]+")
"""XML 1.0 (fifth edition) NMTOKEN: what an XLIFF unit id may be."""
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot carry, not even as &#…; references."""
_KEY = re.compile(
    r"(domain|subdomain|indicator|glossary)\.(.+)\.(title|statement|guidance|level\.[1-5]|term|definition)"
)
_FIELDS = {"domain": "title", "subdomain": "title", "indicator": "statement guidance level",
           "glossary": "term definition"}


class TranslationFileError(ValueError):
    """An XLIFF file that cannot be imported at all; `line` is where the problem is, when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message, line)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class Completeness:
    total: int
    translated: int
    missing: tuple[str, ...]
    unknown: tuple[str, ...]
    """Keys that have a target but are not texts of this framework (e.g. of an older version)."""

    @property
    def percent(self) -> int:
        """Rounded down, so 100 means nothing is missing."""
        return 100 if not self.total else self.translated * 100 // self.total


@dataclass(frozen=True)
class XliffImport:
    source_language: str
    target_language: str
    targets: dict[str, str]
    """Non-empty targets of units this framework has, in its document order."""
    problems: tuple[str, ...] = ()
    """Warnings for a person: units ignored, stale or repeated; the import itself succeeded."""
    stale: tuple[str, ...] = ()
    """Keys whose translation was kept although the source text changed since the export."""
    unknown: tuple[str, ...] = ()
    sources: dict[str, str] = dataclasses.field(default_factory=dict)
    """The source text each target was translated from, as the file gives it (for `digest`)."""


@dataclass(frozen=True)
class TranslationChange:
    language: str
    key: str
    location: str
    kind: ChangeKind
    before: str | None
    after: str | None


def digest(source: str) -> str:
    """What a stored translation remembers of the source it translates: when the source changes, the two no
    longer match and the translation is out of date (SHA-256 of the text, hex)."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def source_texts(fw: Framework) -> dict[str, str]:
    """Every non-empty translatable text by key, in document order."""
    return {key: text for key, text in _texts(fw) if text}


def location(key: str, fw: Framework | None = None) -> str:
    """Where a key's text is, for a person: "Indicator I.1.1, level 3". With `fw`, glossary keys name
    the term itself rather than its slug."""
    if key in ("name", "description"):
        return f"Framework {key}"
    if key.startswith("generic_level.") and key[-1:] in "12345" and len(key) == len("generic_level.1"):
        return f"Generic level {key[-1]}"
    match = _KEY.fullmatch(key)
    if not match or match[3].partition(".")[0] not in _FIELDS[match[1]].split():
        raise ValueError(f"{key!r} is not a translation key")
    kind, code, field = match.groups()
    field = field.replace(".", " ")
    if kind == "glossary":
        terms = dict(zip(_slugs(fw.glossary), (entry.term for entry in fw.glossary))) if fw else {}
        return f"Glossary: {terms.get(code, code)}, {field}"
    return f"{kind.capitalize()} {code}, {field}"


def _translated(targets: Mapping[str, str], key: str, source: str) -> str:
    target = targets.get(key, "")
    return target if source and _filled(target) else source


def translate_glossary(glossary: tuple[GlossaryTerm, ...], targets: Mapping[str, str]) -> tuple[GlossaryTerm, ...]:
    """The glossary alone in the target language (its keys are slugs of the terms): for pages that show it
    without the rest of the framework."""
    return tuple(
        GlossaryTerm(term=_translated(targets, f"glossary.{slug}.term", entry.term),
                     definition=_translated(targets, f"glossary.{slug}.definition", entry.definition))
        for slug, entry in zip(_slugs(glossary), glossary)
    )


def translate(fw: Framework, targets: Mapping[str, str]) -> Framework:
    """A copy of `fw` in the target language; a text without a (non-blank) target keeps its source."""

    def text(key: str, source: str) -> str:
        return _translated(targets, key, source)

    def indicator(item: Indicator) -> Indicator:
        key = f"indicator.{item.code}"
        levels = tuple(text(f"{key}.level.{n}", level) for n, level in enumerate(item.levels, 1))
        guidance = text(f"{key}.guidance", item.guidance) if item.guidance else item.guidance
        statement = text(f"{key}.statement", item.statement)
        return dataclasses.replace(item, statement=statement, guidance=guidance, levels=levels)

    def subdomain(item: Subdomain) -> Subdomain:
        indicators = tuple(indicator(i) for i in item.indicators)
        return dataclasses.replace(item, title=text(f"subdomain.{item.code}.title", item.title), indicators=indicators)

    def domain(item: Domain) -> Domain:
        subdomains = tuple(subdomain(s) for s in item.subdomains)
        return dataclasses.replace(item, title=text(f"domain.{item.code}.title", item.title), subdomains=subdomains)

    glossary = translate_glossary(fw.glossary, targets)
    generic = tuple(text(f"generic_level.{n}", level) for n, level in enumerate(fw.generic_levels, 1))
    return dataclasses.replace(
        fw, name=text("name", fw.name), description=text("description", fw.description),
        generic_levels=generic, glossary=glossary, domains=tuple(domain(d) for d in fw.domains),
    )


def completeness(fw: Framework, targets: Mapping[str, str]) -> Completeness:
    sources = source_texts(fw)
    missing = tuple(key for key in sources if not _filled(targets.get(key, "")))
    unknown = tuple(key for key in targets if key not in sources)
    return Completeness(len(sources), len(sources) - len(missing), missing, unknown)


def to_xliff(
    fw: Framework, *, source_language: str, target_language: str, targets: Mapping[str, str], original: str,
    outdated: Collection[str] = (),
) -> bytes:
    """An XLIFF 2.0 document with one unit per text; a unit without a target is in state "initial", and so is
    one whose target was made from an earlier source (`outdated`: kept as a starting point, with a note).

    Targets for keys the framework lacks are left out. Raises ValueError for a bad language tag, equal
    languages, or a text with a character XML 1.0 cannot carry (most control characters).
    """
    _check_languages(source_language, target_language)
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<xliff xmlns="{XLIFF_NS}" version="2.0" srcLang="{source_language}" trgLang="{target_language}">',
        f' <file id="f1" original="{_escape(_xml_text(original, "the original name"), attribute=True)}"'
        ' xml:space="preserve">',
    ]
    for key, source in source_texts(fw).items():
        where = location(key, fw)
        if not _NMTOKEN.fullmatch(key):
            raise ValueError(f"{where}: the key {key!r} is not a valid XLIFF unit id (a code with spaces?)")
        target = targets.get(key, "")
        target = target if _filled(target) else ""
        review = (f'<note category="review">{_escape("The source text changed since this was translated.")}'
                  "</note>") if target and key in outdated else ""
        lines += [
            f'  <unit id="{key}">',
            f'   <notes><note category="location">{_escape(_xml_text(where, where))}</note>{review}</notes>',
            f'   <segment state="{"translated" if target and not review else "initial"}">',
            f"    <source>{_escape(_xml_text(source, f'the source text of {where}'))}</source>",
            f"    <target>{_escape(_xml_text(target, f'the translation of {where}'))}</target>",
            "   </segment>",
            "  </unit>",
        ]
    lines += [" </file>", "</xliff>", ""]
    return "\n".join(lines).encode("utf-8")


def from_xliff(
    data: bytes, fw: Framework, *, max_bytes: int = MAX_XLIFF_BYTES, max_units: int = MAX_UNITS
) -> XliffImport:
    """The translations an XLIFF 2.0 file holds for `fw`; raises TranslationFileError for an unusable file.

    A unit's text is its segments (and ignorables) joined in order; inline codes count as their text
    content (`<pc>`, `<mrk>`) or their `equiv` text (`<ph>`, `<sc>`, `<ec>`). Nothing is trimmed.
    """
    root, lines = _parse(data, max_bytes, max_units)
    source_language, target_language = _languages(root, lines[id(root)])
    sources = source_texts(fw)
    found: dict[str, str] = {}
    given: dict[str, str] = {}
    problems: list[str] = []
    stale: list[str] = []
    unknown: list[str] = []
    seen: set[str] = set()
    for unit in root.iter(_X + "unit"):
        line = lines.get(id(unit))
        key = unit.get("id")
        if not key:
            problems.append(f"line {line}: a unit without an id was ignored")
            continue
        if key in seen:
            problems.append(f"line {line}: unit {key!r} appears twice; the first one was used")
            continue
        seen.add(key)
        if key not in sources:
            unknown.append(key)
            problems.append(f"unit {key!r} is not in this framework; it was ignored")
            continue
        try:
            source, target = _unit_texts(unit)
        except ValueError as error:
            problems.append(f"unit {key!r}: {error}; its translation was ignored")
            continue
        if not _filled(target):
            continue
        found[key] = target
        given[key] = source
        if source != sources[key]:
            stale.append(key)
            problems.append(
                f"unit {key!r}: its source text differs from this version's (the framework changed since the "
                "file was exported); its translation was kept, please review it"
            )
    targets = {key: found[key] for key in sources if key in found}
    return XliffImport(source_language, target_language, targets, tuple(problems), tuple(stale), tuple(unknown),
                       {key: given[key] for key in targets})


def diff_translations(
    old_fw: Framework, old: Mapping[str, Mapping[str, str]], new_fw: Framework, new: Mapping[str, Mapping[str, str]]
) -> list[TranslationChange]:
    """What changed between two sets of translations (language → key → text), each of its framework.

    Only non-blank targets of keys their framework has count. Order: by language, then the keys of
    `new_fw` in document order, then keys only `old_fw` has in its order.
    """
    old_keys, new_keys = list(source_texts(old_fw)), list(source_texts(new_fw))
    in_new = set(new_keys)
    order = new_keys + [key for key in old_keys if key not in in_new]
    changes: list[TranslationChange] = []
    for language in sorted({*old, *new}):
        before = _present(old.get(language, {}), old_keys)
        after = _present(new.get(language, {}), new_keys)
        for key in order:
            a, b = before.get(key), after.get(key)
            if a == b:
                continue
            kind: ChangeKind = "added" if a is None else "removed" if b is None else "changed"
            where = location(key, new_fw if key in in_new else old_fw)
            changes.append(TranslationChange(language, key, where, kind, a, b))
    return changes


def _texts(fw: Framework) -> Iterator[tuple[str, str]]:
    yield "name", fw.name
    yield "description", fw.description
    for number, level in enumerate(fw.generic_levels, 1):
        yield f"generic_level.{number}", level
    for slug, entry in zip(_slugs(fw.glossary), fw.glossary):
        yield f"glossary.{slug}.term", entry.term
        yield f"glossary.{slug}.definition", entry.definition
    for domain in fw.domains:
        yield f"domain.{domain.code}.title", domain.title
        for subdomain in domain.subdomains:
            yield f"subdomain.{subdomain.code}.title", subdomain.title
            for indicator in subdomain.indicators:
                key = f"indicator.{indicator.code}"
                yield f"{key}.statement", indicator.statement
                yield f"{key}.guidance", indicator.guidance or ""
                for number, level in enumerate(indicator.levels, 1):
                    yield f"{key}.level.{number}", level


def _slugs(glossary: tuple[GlossaryTerm, ...]) -> list[str]:
    """One slug per term: lowercase letters, marks and digits of any script, other runs → "-";
    a repeated slug gets "-2", "-3"… in glossary order."""
    used: set[str] = set()
    slugs: list[str] = []
    for entry in glossary:
        kept = "".join(c if _slug_char(c) else "-" for c in unicodedata.normalize("NFC", entry.term.lower()))
        base = re.sub("-+", "-", kept).strip("-") or "term"
        slug, number = base, 1
        while slug in used:
            number += 1
            slug = f"{base}-{number}"
        used.add(slug)
        slugs.append(slug)
    return slugs


def _slug_char(c: str) -> bool:
    category = unicodedata.category(c)
    return (category[0] in "LM" or category == "Nd") and bool(_NMTOKEN.fullmatch(c))


def _filled(text: str) -> bool:
    """A blank target is no translation: it would leave a required text empty."""
    return bool(text.strip())


def _present(targets: Mapping[str, str], keys: list[str]) -> dict[str, str]:
    return {key: targets[key] for key in keys if _filled(targets.get(key, ""))}


def _check_languages(source: str, target: str) -> None:
    for what, tag in (("source", source), ("target", target)):
        if not isinstance(tag, str) or not _LANGUAGE.fullmatch(tag):
            raise ValueError(
                f"the {what} language {tag!r} is not a language tag: use a BCP 47 tag such as en, de, pt-PT or sr-Latn"
            )
    if source.casefold() == target.casefold():
        raise ValueError(f"the source and target language are both {source!r}: a translation needs two languages")


def _xml_text(text: str, what: str) -> str:
    if bad := _NOT_XML.search(text):
        raise ValueError(
            f"{what} contains the character U+{ord(bad[0]):04X}, which an XML file cannot carry; remove it"
        )
    return text


def _escape(text: str, *, attribute: bool = False) -> str:
    """XML escaping that survives parsing exactly: CR (and in attributes tab and LF) as references,
    since a parser would otherwise normalise them."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    if attribute:
        text = text.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return text


def _parse(data: bytes, max_bytes: int, max_units: int) -> tuple[ET.Element, dict[int, int]]:
    """The root element, and the line each element starts on (by id) for messages."""
    if len(data) > max_bytes:
        raise TranslationFileError(
            f"the file is {len(data) / 1024 / 1024:.1f} MiB; the limit is {max_bytes / 1024 / 1024:.3g} MiB"
        )
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise TranslationFileError("the file is not UTF-8 text (XLIFF from translation tools is)", line) from None
    for declaration, name in (("<!DOCTYPE", "a DOCTYPE"), ("<!ENTITY", "an ENTITY")):
        if (at := text.find(declaration)) >= 0:
            raise TranslationFileError(
                f"the file contains {name} declaration; XLIFF files need none, and they are refused "
                "because entity expansion can be used to attack the server",
                text.count("\n", 0, at) + 1,
            )
    parser = ET.XMLPullParser(["start"])
    lines: dict[int, int] = {}
    units = 0
    root: ET.Element | None = None
    try:
        chunks = text.split("\n")  # fed line by line, so each start tag's line is known
        for number, line in enumerate(chunks, 1):
            parser.feed(line if number == len(chunks) else line + "\n")
            for _, element in parser.read_events():
                root = element if root is None else root
                lines[id(element)] = number
                if element.tag == _X + "unit" and (units := units + 1) > max_units:
                    raise TranslationFileError(f"the file has more than {max_units:,} units; split it", number)
        parser.close()
    except ET.ParseError as error:
        reason = str(error).split(": line")[0]
        raise TranslationFileError(f"the file is not well-formed XML ({reason})", error.position[0]) from None
    assert root is not None
    return root, lines


def _languages(root: ET.Element, line: int) -> tuple[str, str]:
    namespace, _, name = root.tag[1:].rpartition("}") if root.tag.startswith("{") else ("", "", root.tag)
    version = root.get("version", "")
    if name != "xliff":
        raise TranslationFileError(f"this is not an XLIFF file: its root element is <{name}>, not <xliff>", line)
    if namespace.endswith(":1.2") or version.startswith("1."):
        raise TranslationFileError(f"XLIFF {version or '1.x'} is not supported; export as XLIFF 2.0")
    if namespace != XLIFF_NS or not version.startswith("2."):
        raise TranslationFileError(f"this is not an XLIFF 2.0 file (version {version!r}, namespace {namespace!r})")
    languages = []
    for attribute, what in (("srcLang", "source"), ("trgLang", "target")):
        tag = root.get(attribute)
        if not tag:
            raise TranslationFileError(f"the <xliff> element has no {attribute} (the {what} language)")
        languages.append(tag)
    try:
        _check_languages(*languages)
    except ValueError as error:
        raise TranslationFileError(str(error)) from None
    return languages[0], languages[1]


def _unit_texts(unit: ET.Element) -> tuple[str, str]:
    """The unit's source and target, each its segments and ignorables joined in order."""
    sources, targets = [], []
    for part in unit:
        if part.tag not in (_X + "segment", _X + "ignorable"):
            continue
        source, target = part.find(_X + "source"), part.find(_X + "target")
        sources.append(_content(source) if source is not None else "")
        if target is not None:
            targets.append(_content(target))
        elif part.tag == _X + "ignorable":  # an ignorable without target reads as its source
            targets.append(sources[-1])
    return "".join(sources), "".join(targets)


def _content(element: ET.Element) -> str:
    parts = [element.text or ""]
    for child in element:
        if child.tag in (_X + "ph", _X + "sc", _X + "ec"):
            parts.append(child.get("equiv", ""))
        elif child.tag == _X + "cp":  # a character XML cannot carry, such as a control character
            code = child.get("hex", "")
            if not re.fullmatch("[0-9A-Fa-f]{1,6}", code) or _NOT_XML.search(chr(min(int(code, 16), 0x10FFFF))):
                raise ValueError(f"it holds the character <cp hex={code!r}/>, which a framework text cannot contain")
            parts.append(chr(int(code, 16)))
        else:
            parts.append(_content(child))
        parts.append(child.tail or "")
    return "".join(parts)
