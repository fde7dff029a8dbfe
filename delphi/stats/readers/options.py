"""How to read a ratings file: the options shared by the command line, the Python API and the web."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from delphi.stats.errors import RatingsError

#: The roles a column can play in a long table (``--columns ROLE=COL``).
ROLES: tuple[str, ...] = ("round", "item", "panelist", "rating", "question", "comment", "group")
MAX_LABELS_FILE_BYTES = 256 * 1024
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1")


@dataclass(frozen=True)
class ReadOptions:
    """Everything that says how a ratings file is laid out; every field has a default that reads a plain long
    table. ``columns`` maps a role (round, item, panelist, rating, question, comment, group) to a column name;
    ``labels`` maps a label ("Strongly agree") to its scale point; ``missing`` lists extra cell texts meaning
    "unable to rate"; ``wide`` reads one row per respondent and one column per item (``id_column`` names the
    respondent, ``item_columns`` is a regular expression naming the item columns); ``round`` is the round of
    a file without a round column; ``header_rows`` are rows under the header to drop (Qualtrics writes 2)."""

    columns: Mapping[str, str] = field(default_factory=dict)
    round: int | None = None
    wide: bool = False
    id_column: str | None = None
    item_columns: str | None = None
    skip_rows: int = 0
    header_rows: int = 0
    sheet: str | int | None = None
    labels: Mapping[str, int] = field(default_factory=dict)
    missing: tuple[str, ...] = ()
    encoding: str | None = None
    preset: str | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.columns) - set(ROLES))
        if unknown:
            raise RatingsError(f"--columns: unknown role(s) {', '.join(unknown)} (use {', '.join(ROLES)})")
        if self.encoding is not None and self.encoding.lower().replace("_", "-") not in ENCODINGS:
            raise RatingsError(f"--encoding {self.encoding!r}: use one of {', '.join(ENCODINGS)}")
        if self.item_columns is not None:
            try:
                re.compile(self.item_columns)
            except re.error as exc:
                raise RatingsError(f"--item-columns {self.item_columns!r} is not a regular expression ({exc})") \
                    from None
        for name in ("skip_rows", "header_rows"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise RatingsError(f"{name} must be a whole number >= 0, got {value!r}")

    def with_preset(self) -> ReadOptions:
        """The options with the conventions of ``preset`` filled in where the caller left them open."""
        if self.preset is None:
            return self
        if self.preset not in PRESETS:
            raise RatingsError(f"--from {self.preset!r}: use one of {', '.join(PRESETS)}")
        changes = {k: v for k, v in PRESETS[self.preset].items() if getattr(self, k) in (None, 0, False, {})}
        return replace(self, **changes)


#: What each export looks like (see docs/STATS.md, "Other shapes"). LimeSurvey: response export with question
#: codes as headings (id, submitdate, lastpage, startlanguage, seed, then one column per question code such as
#: G1Q1[SQ001]). REDCap: record_id, redcap_event_name (e.g. round_1_arm_1: the round), fields, <form>_complete.
#: Qualtrics: the header, then a row of question texts and a row of {"ImportId": ...} JSON; ResponseId.
PRESETS: Mapping[str, dict[str, Any]] = {
    "limesurvey": {"wide": True, "id_column": "id"},
    "redcap": {"wide": True, "id_column": "record_id"},
    "qualtrics": {"wide": True, "id_column": "ResponseId", "header_rows": 2},
}


def parse_columns(text: str | None) -> dict[str, str]:
    """``round=Wave,item=Code`` → {"round": "Wave", "item": "Code"}."""
    if not text:
        return {}
    out: dict[str, str] = {}
    for part in text.split(","):
        role, sep, name = part.partition("=")
        role, name = role.strip().lower(), name.strip()
        if not sep or not name:
            raise RatingsError(f"--columns: {part.strip()!r} is not ROLE=COLUMN (e.g. panelist=Expert ID)")
        if role not in ROLES:
            raise RatingsError(f"--columns: unknown role {role!r} (use {', '.join(ROLES)})")
        out[role] = name
    return out


def parse_labels(text: str | None) -> dict[str, int]:
    """``Strongly disagree=1,Disagree=2`` (or a file of such pairs, one a line or comma separated) → a mapping
    of the lower-cased, trimmed label to its scale point."""
    if not text:
        return {}
    path = Path(text)
    if "=" not in text or (len(text) < 4096 and path.is_file()):
        if not path.is_file():
            raise RatingsError(f"--labels {text!r}: neither LABEL=POINT pairs nor an existing file")
        raw = path.read_bytes()[:MAX_LABELS_FILE_BYTES + 1]
        if len(raw) > MAX_LABELS_FILE_BYTES:
            raise RatingsError(f"--labels {path}: larger than {MAX_LABELS_FILE_BYTES // 1024} KiB")
        text = raw.decode("utf-8-sig", errors="replace").replace("\r", "")
    parts = [p for line in text.split("\n") for p in line.split(",")] if "\n" in text else text.split(",")
    out: dict[str, int] = {}
    for part in parts:
        if not part.strip():
            continue
        label, sep, value = part.rpartition("=")
        try:
            point = int(value.strip())
        except ValueError:
            point = None
        if not sep or not label.strip() or point is None:
            raise RatingsError(f"--labels: {part.strip()!r} is not LABEL=POINT (e.g. Strongly agree=5)")
        out[label.strip().lower()] = point
    return out


def parse_missing(text: str | None) -> tuple[str, ...]:
    """``99,Unable to rate,N/A`` → the cell texts meaning "unable to rate"."""
    if not text:
        return ()
    return tuple(t.strip() for t in text.split(",") if t.strip())
