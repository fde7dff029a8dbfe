"""Which column plays which role: ``--columns`` first, then the canonical names, then common synonyms — a
synonym only when exactly one column answers to it (two candidates are refused, naming both)."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from delphi.stats.errors import RatingsError

#: Other names Delphi tools and spreadsheets give each column, after normalisation (lower case; spaces,
#: hyphens and dots as "_"): Welphi-, DelphiManager- and eDelphi-like sheets, survey tools, hand-made tables.
SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "round": ("round", "round_number", "round_no", "delphi_round", "wave", "iteration", "redcap_event_name"),
    "item": ("item", "item_id", "item_code", "item_no", "statement", "statement_id", "statement_code",
             "question", "question_id", "question_code", "indicator", "indicator_id", "criterion", "code"),
    "panelist": ("panelist", "panellist", "panelist_id", "panellist_id", "participant", "participant_id",
                 "respondent", "respondent_id", "expert", "expert_id", "rater", "rater_id", "member", "member_id",
                 "panel_member", "user", "user_id", "responseid", "response_id", "record_id"),
    "rating": ("rating", "score", "value", "rating_value", "response", "answer", "vote", "grade"),
    "question": ("question", "sub_question", "subquestion", "dimension", "criterion"),
    "comment": ("comment", "comments", "remark", "remarks", "feedback", "note", "notes", "suggestion",
                "suggestions", "free_text"),
    "group": ("group", "stakeholder", "stakeholder_group", "panel_group", "country", "role", "discipline"),
}
REQUIRED: tuple[str, ...] = ("round", "item", "panelist", "rating")


def normalise(name: str) -> str:
    return re.sub(r"[\s\-.]+", "_", str(name).strip().lower()).strip("_")


def resolve(names: Iterable[str], given: Mapping[str, str], roles: Iterable[str], *, source: str,
            required: Iterable[str] = ()) -> dict[str, str]:
    """Role → column name for ``roles``. ``given`` (from ``--columns``) must name existing columns; other roles
    are found by their canonical name, then by an unambiguous synonym. A ``required`` role not found raises
    RatingsError listing the columns found and how to name it."""
    names = [n for n in names if n]
    by_norm: dict[str, list[str]] = {}
    for name in names:
        by_norm.setdefault(normalise(name), []).append(name)
    found: dict[str, str] = {}
    for role, column in given.items():
        hits = [n for n in names if n == column] or by_norm.get(normalise(column), [])
        if not hits:
            raise RatingsError(f"{source}: --columns {role}={column}: no such column "
                               f"(found {_shown(names)})")
        found[role] = hits[0]
    taken = set(found.values())
    roles = [r for r in roles if r not in found]
    for role in roles:                            # canonical names first: "question" beside "item" stays question
        hits = [n for n in by_norm.get(role, []) if n not in taken]
        if len(hits) == 1:
            found[role] = hits[0]
            taken.add(hits[0])
        elif len(hits) > 1:
            raise RatingsError(f"{source}: two columns named {role!r} ({', '.join(map(repr, hits))}); "
                               f"say which with --columns {role}=NAME")
    for role in roles:
        if role in found:
            continue
        hits = list(dict.fromkeys(n for s in SYNONYMS.get(role, ()) for n in by_norm.get(s, []) if n not in taken))
        if len(hits) == 1:
            found[role] = hits[0]
            taken.add(hits[0])
        elif len(hits) > 1 and role in required:
            raise RatingsError(f"{source}: more than one column could be the {role} ({', '.join(map(repr, hits))});"
                               f" say which with --columns {role}=NAME")
    missing = [r for r in required if r not in found]
    if missing:
        raise RatingsError(f"{source}: missing column(s) {', '.join(missing)} (need round, item, panelist, "
                           f"rating; found {_shown(names)}); name them with --columns "
                           f"{','.join(f'{m}=COLUMN' for m in missing)}"
                           + (" or give the round with --round N" if "round" in missing else ""))
    return found


def _shown(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names[:8]) + (", ..." if len(names) > 8 else "") if names else "none"
