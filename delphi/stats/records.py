"""DataFrames as JSON-ready rows: the one conversion both the analysis (to_dict) and the exports use."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def plain(value: Any) -> Any:
    """A cell as a JSON-ready Python value: NaN/NA → None, numpy scalars → int/float/bool."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _column_values(column: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values, converted a column at a time."""
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else None
    if kind == "f":
        arr = column.to_numpy()
        values = arr.tolist()
        for i in np.flatnonzero(~np.isfinite(arr)).tolist():
            values[i] = None
        return values
    if kind is not None and kind in "iub":
        return column.to_numpy().tolist()
    return [plain(v) for v in column.tolist()]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``frame`` as dicts with exactly its column names, values made JSON-ready."""
    columns = [str(c) for c in frame.columns]
    if len(frame) == 0:
        return []
    values = [_column_values(frame.iloc[:, i]) for i in range(frame.shape[1])]
    return [dict(zip(columns, row)) for row in zip(*values)]
