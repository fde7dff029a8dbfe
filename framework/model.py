"""The structure of a maturity framework, as immutable values.

Frameworks are versioned content that studies and assessments refer to, so the objects are frozen:
an edit is a new Framework, and two loads of the same file compare equal. Fields are keyword-only,
so adding an optional field later breaks no caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

LEVEL_COUNT = 5
"""Every indicator is described at exactly five maturity levels (1 = lowest)."""


@dataclass(frozen=True, kw_only=True)
class GlossaryTerm:
    term: str
    definition: str


@dataclass(frozen=True, kw_only=True)
class Indicator:
    code: str
    statement: str
    guidance: str | None = None
    levels: tuple[str, str, str, str, str]

    def __post_init__(self) -> None:
        if len(self.levels) != LEVEL_COUNT:
            raise ValueError(f"indicator {self.code} needs {LEVEL_COUNT} levels, got {len(self.levels)}")


@dataclass(frozen=True, kw_only=True)
class Subdomain:
    code: str
    title: str
    indicators: tuple[Indicator, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Domain:
    code: str
    title: str
    subdomains: tuple[Subdomain, ...] = ()


Element = Domain | Subdomain | Indicator


@dataclass(frozen=True, kw_only=True)
class Counts:
    domains: int
    subdomains: int
    indicators: int
    levels: int


@dataclass(frozen=True, kw_only=True)
class Framework:
    name: str
    short_name: str = ""
    description: str = ""
    source: str = ""
    """Attribution of the text; show it wherever the framework is shown."""
    numbering_note: str = ""
    generic_levels: tuple[str, str, str, str, str] | tuple[()] = ()
    """What each level means across all indicators; () when the framework does not say."""
    glossary: tuple[GlossaryTerm, ...] = ()
    domains: tuple[Domain, ...] = ()

    def __post_init__(self) -> None:
        if len(self.generic_levels) not in (0, LEVEL_COUNT):
            raise ValueError(f"generic_levels needs 0 or {LEVEL_COUNT} texts, got {len(self.generic_levels)}")

    def subdomains(self) -> Iterator[Subdomain]:
        for domain in self.domains:
            yield from domain.subdomains

    def indicators(self) -> Iterator[Indicator]:
        for subdomain in self.subdomains():
            yield from subdomain.indicators

    def counts(self) -> Counts:
        indicators = sum(1 for _ in self.indicators())
        return Counts(
            domains=len(self.domains),
            subdomains=sum(1 for _ in self.subdomains()),
            indicators=indicators,
            levels=indicators * LEVEL_COUNT,
        )

    def find(self, code: str) -> Element | None:
        """The domain, subdomain or indicator with this code (codes share one namespace)."""
        return self._by_code.get(code)

    def parent_code(self, code: str) -> str | None:
        """Code of the element that contains `code`; None for a domain or an unknown code."""
        return self._parents.get(code)

    @cached_property
    def _by_code(self) -> dict[str, Element]:
        index: dict[str, Element] = {}
        for domain in self.domains:
            index.setdefault(domain.code, domain)
            for subdomain in domain.subdomains:
                index.setdefault(subdomain.code, subdomain)
                for indicator in subdomain.indicators:
                    index.setdefault(indicator.code, indicator)
        return index

    @cached_property
    def _parents(self) -> dict[str, str]:
        parents: dict[str, str] = {}
        for domain in self.domains:
            for subdomain in domain.subdomains:
                parents[subdomain.code] = domain.code
                for indicator in subdomain.indicators:
                    parents[indicator.code] = subdomain.code
        return parents
