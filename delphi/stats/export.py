"""Turning an :class:`~delphi.stats.analysis.Analysis` into JSON, CSV files or an XLSX workbook."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from delphi.stats.analysis import Analysis

from delphi.stats.records import plain, records  # noqa: F401  (records: part of this module's interface)

TABLES: tuple[str, ...] = ("items", "stability", "panel", "groups")


def to_json(analysis: Analysis, indent: int | None = 2) -> str:
    """The analysis as one JSON object (NaN written as null; never the non-standard NaN token)."""
    return json.dumps(analysis.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Nested cells (the ``counts`` dicts) as JSON text, for CSV and spreadsheets."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object and out[column].map(lambda v: isinstance(v, (dict, list))).any():
            out[column] = out[column].map(
                lambda v: json.dumps(plain(v), ensure_ascii=False) if isinstance(v, (dict, list)) else v)
    return out


def _meta_rows(meta: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame({"key": list(meta),
                         "value": [json.dumps(plain(v), ensure_ascii=False) for v in meta.values()]})


def csv_paths(out: str | Path) -> dict[str, Path]:
    """Where :func:`write_csv` puts each table: ``OUT/<table>.csv`` when OUT is an existing directory or ends
    with a path separator, else ``OUT-<table>.csv`` (OUT is a prefix)."""
    text = str(out)
    if text.endswith(("/", "\\")) or Path(text).is_dir():
        base = Path(text)
        return {name: base / f"{name}.csv" for name in (*TABLES, "meta")}
    return {name: Path(f"{text}-{name}.csv") for name in (*TABLES, "meta")}


def write_csv(analysis: Analysis, out: str | Path) -> list[Path]:
    """One CSV per table plus ``meta`` (key, JSON value); returns the paths written."""
    paths = csv_paths(out)
    next(iter(paths.values())).parent.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        _flat(getattr(analysis, name)).to_csv(paths[name], index=False)
    _meta_rows(analysis.meta).to_csv(paths["meta"], index=False)
    return list(paths.values())


def write_xlsx(analysis: Analysis, out: str | Path) -> list[Path]:
    """One sheet per table plus a ``meta`` sheet."""
    path = Path(out)
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name in TABLES:
            _flat(getattr(analysis, name)).to_excel(writer, sheet_name=name, index=False)
        _meta_rows(analysis.meta).to_excel(writer, sheet_name="meta", index=False)
    return [path]
