"""A wide table — one row per respondent, one column per item — turned into the long table, as survey tools
export it: LimeSurvey (``id``, ``submitdate``, ``lastpage``, ``startlanguage``, ``seed``, then question codes
such as ``G1Q1[SQ001]``), REDCap (``record_id``, ``redcap_event_name`` such as ``round_1_arm_1``, the fields,
``<form>_complete``), Qualtrics (``ResponseId`` among metadata columns, two rows of question texts and ImportId
JSON under the header). The item columns are named by ``--item-columns REGEX``, else every column besides the
id, round, group and comment and the tools' metadata whose values are all ratings or empty."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from delphi.stats.errors import RatingsError
from delphi.stats.readers.columns import normalise, resolve
from delphi.stats.readers.options import ReadOptions
from delphi.stats.readers.source import RawTable
from delphi.stats.readers.values import ABSTAIN_TOKENS, Where, ids_from_text, ratings_from_text, rounds_from_text

#: Metadata columns of survey exports, never items (normalised names; a trailing "*" matches a prefix or suffix).
METADATA: tuple[str, ...] = (
    "id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate", "datestamp", "ipaddr", "refurl",
    "interviewtime", "grouptime*", "*time",
    "redcap_*", "*_complete", "*_timestamp",
    "enddate", "status", "ipaddress", "progress", "duration_(in_seconds)", "duration", "finished", "recordeddate",
    "responseid", "recipient*", "externalreference", "externaldatareference", "location*", "distributionchannel",
    "userlanguage", "q_*",
)
_ID_GUESSES = ("id", "record_id", "responseid", "response_id", "participant_id", "respondent_id", "panelist",
               "participant", "respondent", "expert", "email", "token")


def _is_metadata(name: str) -> bool:
    n = normalise(name)
    for pattern in METADATA:
        if pattern.endswith("*") and n.startswith(pattern[:-1]):
            return True
        if pattern.startswith("*") and n.endswith(pattern[1:]) and n != pattern[1:]:
            return True
        if n == pattern:
            return True
    return False


def wide_roles(names: list[str], options: ReadOptions, source: str) -> dict[str, str]:
    """Role → column for the id (``panelist``), and the round, group and comment columns when present."""
    given = dict(options.columns)
    if options.id_column:
        given["panelist"] = options.id_column
    if "panelist" not in given:
        norm = {normalise(n): n for n in names if n}
        guess = next((norm[g] for g in _ID_GUESSES if g in norm), None)
        if guess is None:
            raise RatingsError(f"{source}: no respondent id column (tried {', '.join(_ID_GUESSES[:6])}, ...); "
                               "name it with --id-column COL")
        given["panelist"] = guess
    stray = sorted(set(given) - {"panelist", "round", "group", "comment"})
    if stray:
        raise RatingsError(f"--columns {', '.join(stray)}: a wide table has an id, round, group and comment "
                           "column; the items are its other columns (choose them with --item-columns REGEX)")
    return resolve(names, given, ("panelist", "round", "group"), source=source)


def item_columns(raw: RawTable, roles: dict[str, str], options: ReadOptions,
                 scale: tuple[int, int] | None) -> list[str]:
    """The item columns: those matching ``--item-columns``, else every non-metadata column whose cells are all
    ratings (on the scale when known), labels, "unable to rate" tokens or empty, with at least one rating."""
    used = set(roles.values())
    candidates = [n for n in raw.names if n and n not in used]
    if options.item_columns:
        pattern = re.compile(options.item_columns)
        chosen = [n for n in candidates if pattern.search(n)]
        if not chosen:
            raise RatingsError(f"{raw.source}: --item-columns {options.item_columns!r} matches no column "
                               f"(columns: {', '.join(candidates[:8])}{', ...' if len(candidates) > 8 else ''})")
        return chosen
    labels = {k.lower() for k in options.labels}
    absent = set(ABSTAIN_TOKENS) | {m.lower() for m in options.missing}
    chosen = []
    for name in candidates:
        if _is_metadata(name):
            continue
        texts = {str(v).strip().lower() for v in pd.unique(raw.frame[name].astype(object)) if v is not None
                 and not (isinstance(v, float) and np.isnan(v))}
        points = set()
        ok = bool(texts - absent)
        for t in texts - absent:
            if t in labels:
                continue
            try:
                number = float(t.replace(",", "."))
            except ValueError:
                ok = False
                break
            if not number.is_integer() or (scale and not scale[0] <= number <= scale[1]):
                ok = False
                break
            points.add(number)
        if ok:
            chosen.append(name)
    if not chosen:
        raise RatingsError(f"{raw.source}: no item columns found (no column besides the id holds only ratings"
                           f"{f' {scale[0]}-{scale[1]}' if scale else ''}); name them with --item-columns REGEX"
                           + ("" if options.labels else " or give the answer labels with --labels"))
    return chosen


def frame_from_wide(raw: RawTable, roles: dict[str, str], items: list[str], options: ReadOptions,
                    round_of_file: int | None) -> tuple[pd.DataFrame, Where]:
    """Melt the wide table: row r, item column c → one long row; where(i) names the sheet row and column."""
    frame = raw.frame
    n_rows, n_items = len(frame), len(items)
    if n_rows == 0:
        raise RatingsError(f"{raw.source}: no ratings (the table has a header but no rows)")
    names = {c: i for i, c in enumerate(items)}

    def where(i: int) -> str:
        return f"{raw.where(i // n_items)}, column {items[i % n_items]!r}"

    cells = frame[items].to_numpy(dtype=object).ravel()
    rating = ratings_from_text(cells, labels=options.labels, missing=options.missing, source=raw.source,
                               where=where)
    panel = ids_from_text(frame[roles["panelist"]])
    empty = np.flatnonzero(panel.codes < 0)
    if len(empty):
        raise RatingsError(f"{raw.source}: {raw.where(int(empty[0]))}: the id column {roles['panelist']!r} is empty")
    out: dict[str, object] = {}
    if "round" in roles:
        rounds = rounds_from_text(frame[roles["round"]], source=raw.source, where=raw.where)
        out["round"] = np.repeat(rounds, n_items)
    else:
        out["round"] = np.full(n_rows * n_items, int(round_of_file or options.round or 1), dtype=np.int64)
    out["item"] = pd.Categorical.from_codes(np.tile(np.arange(n_items), n_rows), categories=list(names))
    out["panelist"] = pd.Categorical.from_codes(np.repeat(panel.codes, n_items), categories=panel.categories)
    out["rating"] = rating
    if "group" in roles:
        group = ids_from_text(frame[roles["group"]])
        out["group"] = pd.Categorical.from_codes(np.repeat(group.codes, n_items), categories=group.categories)
    return pd.DataFrame(out), where
