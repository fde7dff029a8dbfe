"""Study exports: ratings as the long table `delphi analyse` reads, and round results, as CSV/XLSX/JSON.

Text that a spreadsheet would run as a formula (=, +, -, @, tab, CR first): in CSV, which has no types, it is
prefixed with an apostrophe; in XLSX it is kept as it is in a cell typed as text (never a formula), with Excel's
quote prefix so that editing the cell does not turn it into one.
"""
from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd

from delphi.models import Round, Study
from delphi.services.studies import ratings

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _safe(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    return out


def as_text_cells(workbook) -> None:
    """Every cell that openpyxl took for a formula (a text starting with =) becomes a text cell, the text kept."""
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith(FORMULA_START)):
                    cell.data_type = "s"
                    cell.quotePrefix = True


def ratings_frame(study: Study, up_to_round: int | None = None, **which: bool | None) -> pd.DataFrame:
    """which: ratings.frame's filters (submitted=, withdrawn=); none gives every rating."""
    return _safe(ratings.frame(study.id, up_to_round, **which))


def ratings_csv(study: Study, up_to_round: int | None = None, **which: bool | None) -> bytes:
    return ratings_frame(study, up_to_round, **which).to_csv(index=False).encode("utf-8")


def ratings_xlsx(study: Study) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        ratings.frame(study.id).to_excel(writer, sheet_name="ratings", index=False)
        as_text_cells(writer.book)
    return buffer.getvalue()


def _tables(rnd: Round, safe: bool = True) -> dict[str, pd.DataFrame]:
    tables: dict[str, list[dict]] = {}
    for question, analysis in ((rnd.results or {}).get("questions") or {}).items():
        if not analysis:
            continue
        for name in ("items", "stability", "panel", "groups", "languages"):
            for row in analysis.get(name) or []:
                tables.setdefault(name, []).append({"question": question, **{
                    k: (json.dumps(v) if isinstance(v, (dict, list)) else v) for k, v in row.items()}})
    frames = {name: pd.DataFrame(rows).loc[:, lambda d: ~d.columns.duplicated()] for name, rows in tables.items()}
    return {name: _safe(df) for name, df in frames.items()} if safe else frames


def results_json(rnd: Round) -> bytes:
    return json.dumps(rnd.results or {}, indent=2, ensure_ascii=False).encode("utf-8")


def results_csv(rnd: Round) -> bytes:
    """The items table (the one most people want) as CSV; JSON and XLSX carry every table."""
    tables = _tables(rnd)
    return tables.get("items", pd.DataFrame()).to_csv(index=False).encode("utf-8")


def results_xlsx(rnd: Round) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        tables = _tables(rnd, safe=False) or {"items": pd.DataFrame()}
        for name, df in tables.items():
            df.to_excel(writer, sheet_name=name, index=False)
        as_text_cells(writer.book)
    return buffer.getvalue()
