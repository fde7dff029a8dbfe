"""The one-row-per-indicator table that CSV files and the XLSX "indicators" sheet share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .checks import Checker
from .model import LEVEL_COUNT, Domain, Framework, Indicator, Subdomain

LEVEL_COLUMNS = tuple(f"level_{number}" for number in range(1, LEVEL_COUNT + 1))
COLUMNS = (
    "domain_code",
    "domain_title",
    "subdomain_code",
    "subdomain_title",
    "indicator_code",
    "statement",
    "guidance",
    *LEVEL_COLUMNS,
)
OPTIONAL_COLUMNS = frozenset({"guidance"})
REQUIRED_COLUMNS = tuple(column for column in COLUMNS if column not in OPTIONAL_COLUMNS)


@dataclass(frozen=True)
class Cell:
    text: str
    location: str


Row = Mapping[str, Cell]
"""Column name to cell; an optional column absent from the table is absent from the row."""


def check_header(
    names: Sequence[str], check: Checker, column_location: Callable[[int], str], header_location: str
) -> None:
    """Refuse unknown, repeated and missing columns: a typo must not silently drop a level."""
    seen: set[str] = set()
    for index, name in enumerate(names):
        if not name:
            check.fail(column_location(index), "a column without a name in the header row")
        if name not in COLUMNS:
            hint = f" (an indicator has exactly {LEVEL_COUNT} levels)" if name.startswith("level_") else ""
            check.fail(column_location(index), f"unknown column {name!r}{hint}")
        if name in seen:
            check.fail(column_location(index), f"column {name!r} appears twice")
        seen.add(name)
    missing = [column for column in REQUIRED_COLUMNS if column not in seen]
    if missing:
        check.fail(header_location, f"missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")


@dataclass
class _Group:
    """A domain or subdomain while its rows are being collected."""

    code: str
    title: str
    where: str
    """Where the code first appeared."""
    title_where: str
    parent: str = ""
    subgroups: list[_Group] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)


def domains_from_rows(rows: Iterable[Row], check: Checker, empty_location: str) -> tuple[Domain, ...]:
    """Group indicator rows into subdomains and domains, in order of first appearance.

    Rows of one domain need not be adjacent, but a domain or subdomain must have the same title on
    every row, and a subdomain must stay in one domain.
    """
    domains: dict[str, _Group] = {}
    subdomains: dict[str, _Group] = {}
    for row in rows:
        if not any(cell.text.strip() for cell in row.values()):
            continue
        domain = _group(domains, row["domain_code"], row["domain_title"], check, "domain", "")
        new_subdomain = row["subdomain_code"].text.strip() not in subdomains
        subdomain = _group(subdomains, row["subdomain_code"], row["subdomain_title"], check, "subdomain", domain.code)
        if new_subdomain:
            domain.subgroups.append(subdomain)
        elif subdomain.parent != domain.code:
            check.fail(
                row["subdomain_code"].location,
                f"subdomain {subdomain.code} belongs to domain {subdomain.parent} ({subdomain.where}), "
                f"not to {domain.code}",
            )
        check.count_indicator(row["indicator_code"].location)
        subdomain.indicators.append(_indicator(row, check))
    if not domains:
        check.fail(empty_location, "no indicators: the table has a header but no rows")
    return tuple(
        Domain(
            code=domain.code,
            title=domain.title,
            subdomains=tuple(
                Subdomain(code=sub.code, title=sub.title, indicators=tuple(sub.indicators)) for sub in domain.subgroups
            ),
        )
        for domain in domains.values()
    )


def _group(groups: dict[str, _Group], code: Cell, title: Cell, check: Checker, kind: str, parent: str) -> _Group:
    """The group a row belongs to, created (and its code checked) on the first row that names it."""
    key = code.text.strip()
    group = groups.get(key)
    if group is None:
        checked_code = check.code(code.text, code.location, kind)
        checked_title = check.text(title.text, title.location, f"{kind} title")
        group = _Group(checked_code, checked_title, code.location, title.location, parent)
        groups[key] = group
    elif (text := check.text(title.text, title.location, f"{kind} title")) != group.title:
        check.fail(
            title.location,
            f"{kind} {key} is titled {group.title!r} at {group.title_where}, here {text!r}; "
            f"every row of a {kind} repeats the same title",
        )
    return group


def _indicator(row: Row, check: Checker) -> Indicator:
    code = check.code(row["indicator_code"].text, row["indicator_code"].location, "indicator")
    statement = check.text(row["statement"].text, row["statement"].location, "statement")
    guidance_cell = row.get("guidance")
    guidance = check.optional_text(guidance_cell.text, guidance_cell.location, "guidance") if guidance_cell else ""
    levels = tuple(check.text(row[column].text, row[column].location, "level description") for column in LEVEL_COLUMNS)
    return Indicator(code=code, statement=statement, guidance=guidance or None, levels=levels)  # type: ignore[arg-type]


def framework_rows(fw: Framework) -> list[list[str]]:
    """Header and one row per indicator, domain and subdomain repeated on each of their rows."""
    rows = [list(COLUMNS)]
    for domain in fw.domains:
        for subdomain in domain.subdomains:
            for indicator in subdomain.indicators:
                rows.append(
                    [
                        domain.code,
                        domain.title,
                        subdomain.code,
                        subdomain.title,
                        indicator.code,
                        indicator.statement,
                        indicator.guidance or "",
                        *indicator.levels,
                    ]
                )
    return rows
