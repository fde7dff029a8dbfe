"""Frameworks as plain documents (the JSON shape of the shipped 1+MG MLM file) and their checksum."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from .checks import MAX_GLOSSARY_TERMS, MAX_INDICATORS, Checker
from .errors import FrameworkError
from .model import LEVEL_COUNT, Domain, Framework, GlossaryTerm, Indicator, Subdomain
from .schema import check_document

METADATA_KEYS = ("name", "short_name", "description", "source", "numbering_note")
"""Framework-level texts, in the order the JSON file has them."""


def to_dict(fw: Framework) -> dict[str, Any]:
    """The document form; empty optional fields are left out, so a minimal framework stays minimal."""
    document: dict[str, Any] = {"name": fw.name}
    for key in METADATA_KEYS[1:]:
        if value := getattr(fw, key):
            document[key] = value
    if fw.generic_levels:
        document["generic_levels"] = {str(number): text for number, text in enumerate(fw.generic_levels, 1)}
    if fw.glossary:
        document["glossary"] = [{"term": entry.term, "definition": entry.definition} for entry in fw.glossary]
    document["domains"] = [
        {
            "code": domain.code,
            "title": domain.title,
            "subdomains": [
                {
                    "code": subdomain.code,
                    "title": subdomain.title,
                    "indicators": [_indicator_dict(indicator) for indicator in subdomain.indicators],
                }
                for subdomain in domain.subdomains
            ],
        }
        for domain in fw.domains
    ]
    return document


def _indicator_dict(indicator: Indicator) -> dict[str, Any]:
    document: dict[str, Any] = {"code": indicator.code, "statement": indicator.statement}
    if indicator.guidance is not None:
        document["guidance"] = indicator.guidance
    document["levels"] = list(indicator.levels)
    return document


def from_dict(document: Mapping[str, Any], *, filename: str) -> Framework:
    """Validate a document against the schema and the framework rules, then build the Framework."""
    _check_sizes(document, filename)  # before the schema: its validation costs about 0.3 ms per indicator
    check_document(document, filename)
    check = Checker(filename)
    metadata = {
        key: check.optional_text(document.get(key, ""), f"$.{key}", key.replace("_", " ")) for key in METADATA_KEYS
    }
    metadata["name"] = check.text(document["name"], "$.name", "name")
    generic = document.get("generic_levels")
    generic_levels = (
        tuple(
            check.text(generic[str(number)], f"$.generic_levels['{number}']", f"generic level {number}")
            for number in range(1, LEVEL_COUNT + 1)
        )
        if generic is not None
        else ()
    )
    glossary = tuple(
        GlossaryTerm(
            term=check.term(entry["term"], f"$.glossary[{i}].term"),
            definition=check.text(entry["definition"], f"$.glossary[{i}].definition", "definition"),
        )
        for i, entry in enumerate(document.get("glossary", ()))
    )
    domains = tuple(_domain(check, domain, f"$.domains[{i}]") for i, domain in enumerate(document["domains"]))
    return Framework(
        **metadata,
        generic_levels=generic_levels,  # type: ignore[arg-type]  # 0 or 5 texts, checked by the schema
        glossary=glossary,
        domains=domains,
    )


def _check_sizes(document: Any, filename: str) -> None:
    """Refuse a document with more than MAX_INDICATORS indicators or MAX_GLOSSARY_TERMS glossary entries."""
    if not isinstance(document, Mapping):
        return  # the schema says what is wrong
    glossary = document.get("glossary")
    if isinstance(glossary, list) and len(glossary) > MAX_GLOSSARY_TERMS:
        raise FrameworkError(filename, "$.glossary", f"more than {MAX_GLOSSARY_TERMS} glossary entries")
    count = 0
    domains = document.get("domains")
    for i, domain in enumerate(domains if isinstance(domains, list) else ()):
        subdomains = domain.get("subdomains") if isinstance(domain, Mapping) else None
        for j, subdomain in enumerate(subdomains if isinstance(subdomains, list) else ()):
            indicators = subdomain.get("indicators") if isinstance(subdomain, Mapping) else None
            count += len(indicators) if isinstance(indicators, list) else 0
            if count > MAX_INDICATORS:
                raise FrameworkError(filename, f"$.domains[{i}].subdomains[{j}]",
                                     f"more than {MAX_INDICATORS} indicators; the limit keeps every page of a "
                                     "version fast")


def _domain(check: Checker, document: Mapping[str, Any], path: str) -> Domain:
    return Domain(
        code=check.code(document["code"], f"{path}.code", "domain"),
        title=check.text(document["title"], f"{path}.title", "title"),
        subdomains=tuple(
            _subdomain(check, subdomain, f"{path}.subdomains[{i}]")
            for i, subdomain in enumerate(document["subdomains"])
        ),
    )


def _subdomain(check: Checker, document: Mapping[str, Any], path: str) -> Subdomain:
    return Subdomain(
        code=check.code(document["code"], f"{path}.code", "subdomain"),
        title=check.text(document["title"], f"{path}.title", "title"),
        indicators=tuple(
            _indicator(check, indicator, f"{path}.indicators[{i}]")
            for i, indicator in enumerate(document["indicators"])
        ),
    )


def _indicator(check: Checker, document: Mapping[str, Any], path: str) -> Indicator:
    code = check.code(document["code"], f"{path}.code", "indicator")
    statement = check.text(document["statement"], f"{path}.statement", "statement")
    guidance = check.optional_text(document.get("guidance") or "", f"{path}.guidance", "guidance")
    levels = tuple(
        check.text(text, f"{path}.levels[{i}]", f"level {i + 1} description")
        for i, text in enumerate(document["levels"])
    )
    return Indicator(code=code, statement=statement, guidance=guidance or None, levels=levels)  # type: ignore[arg-type]


def checksum(fw: Framework) -> str:
    """SHA-256 of the canonical JSON of to_dict: equal for equal content, whatever file it came from."""
    canonical = json.dumps(to_dict(fw), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
