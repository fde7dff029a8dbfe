"""Small-cell protection for public outputs: no published cell describes fewer than k panelists.

The public report's panel composition and the data package would otherwise show a stakeholder group or a country
of one person, with their completion per round, and `panel.csv` would pair every pseudonym with a combination of
group and country that is unique on a panel of experts (and so names them to anyone who knows the field). The
rule, as statistical offices apply it to frequency tables: a cell under the threshold is merged with others until
it reaches the threshold (threshold rules for frequency tables: Hundepool et al., Statistical Disclosure Control,
Wiley 2012; 3 is the usual minimum). The protocol may record that the panel agreed to publish its attributes
(`publish_panel_attributes`): then they are published as they are.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from flask import current_app
from flask_babel import gettext as _

WITHHELD = "withheld"
DEFAULT_THRESHOLD = 3


def threshold() -> int:
    """The smallest cell a public output may show (SMALL_CELL_THRESHOLD, default 3, never below 2)."""
    return max(2, int(current_app.config.get("SMALL_CELL_THRESHOLD", DEFAULT_THRESHOLD)))


def publishes_attributes(protocol: Mapping[str, Any]) -> bool:
    return bool(protocol.get("publish_panel_attributes"))


def generalise(people: Mapping[int, tuple[str, str]], k: int) -> dict[int, tuple[str, str]]:
    """{id: (group, country)} → the same with values replaced by WITHHELD so that every published combination
    is shared by at least k people (k-anonymity on the two attributes).

    Combinations of at least k are kept; of the rest, groups of at least k keep their group and lose the country;
    what remains loses both. If that last cell is non-empty but under k, the smallest cells published so far join
    it until it reaches k, so it never isolates anyone either.
    """
    out: dict[int, tuple[str, str]] = {}
    combos = Counter(people.values())
    rest = {pid: gc for pid, gc in people.items() if combos[gc] < k}
    out.update({pid: gc for pid, gc in people.items() if combos[gc] >= k})
    groups = Counter(g for g, _ in rest.values())
    for pid, (g, _country) in rest.items():
        out[pid] = (g, WITHHELD) if groups[g] >= k else (WITHHELD, WITHHELD)
    while 0 < sum(1 for v in out.values() if v == (WITHHELD, WITHHELD)) < k:
        cells = Counter(v for v in out.values() if v != (WITHHELD, WITHHELD))
        if not cells:
            break
        smallest = min(cells, key=lambda c: (cells[c], c))
        for pid, v in out.items():
            if v == smallest:
                out[pid] = (WITHHELD, WITHHELD)
    return out


def merge_small_rows(rows: Mapping[str, Mapping[str, int]], k: int, *, size: str, other: str,
                     prefix: str = "", joined: Callable[[str, str], str] | None = None) -> dict[str, dict]:
    """Table rows {label: {column: count}} whose `size` column is under k are pooled into one row `other`; a pool
    still under k joins the smallest row shown (its label says so: "clinician and other groups", or joined(label,
    other)). Counts add up to the same totals."""
    big = {label: dict(row) for label, row in rows.items() if row[size] >= k}
    small = [dict(row) for row in rows.values() if 0 < row[size] < k]
    if not small:
        return big
    pool = {col: sum(r.get(col, 0) for r in small) for col in small[0]}
    if pool[size] >= k or not big:
        big[prefix + other] = pool
        return big
    label = min(big, key=lambda lb: (big[lb][size], lb))
    merged = {col: big[label].get(col, 0) + pool.get(col, 0) for col in big[label]}
    del big[label]
    big[joined(label, other) if joined else _("%(label)s and %(other)s", label=label, other=other)] = merged
    return big


def kept_groups(original: Mapping[int, str], published: Mapping[int, str]) -> set[str]:
    """The groups published intact: every member still carries the group's name."""
    members: dict[str, list[int]] = {}
    for pid, g in original.items():
        members.setdefault(g, []).append(pid)
    return {g for g, ids in members.items() if g and all(published.get(pid) == g for pid in ids)}


def published_languages(members: Mapping[str, set[int]], k: int) -> dict[str, str]:
    """{language: the language, or WITHHELD} from {language: ids of the panelists who rated in it}.

    A language can identify a panelist as a country does: one rated in by fewer than k panelists is withheld,
    and while the withheld languages together hold fewer than k panelists the smallest published one joins them
    (with two languages, "withheld" would otherwise name the other one), so the pool never isolates anyone."""
    out = {lang: lang if len(ids) >= k else WITHHELD for lang, ids in members.items()}

    def pooled() -> set[int]:
        return set().union(*(members[lang] for lang, value in out.items() if value == WITHHELD))

    while 0 < len(pooled()) < k:
        shown = [lang for lang, value in out.items() if value != WITHHELD]
        if not shown:
            break
        out[min(shown, key=lambda lang: (len(members[lang]), lang))] = WITHHELD
    return out
