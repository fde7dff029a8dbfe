"""Small ratings tables built from readable literals, for the statistics tests."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd


def ratings_frame(by_item: Mapping[str, Sequence[float | None]], round_no: int = 1,
                  panelists: Sequence[str] | None = None, **extra: Iterable) -> pd.DataFrame:
    """{item: ratings in panelist order} → long table; None means the panelist has no row, NaN abstains."""
    rows = []
    for item, ratings in by_item.items():
        names = panelists or [f"p{i + 1:02d}" for i in range(len(ratings))]
        for name, rating in zip(names, ratings):
            if rating is None:
                continue
            rows.append({"round": round_no, "item": item, "panelist": name, "rating": rating})
    frame = pd.DataFrame(rows)
    for column, values in extra.items():
        frame[column] = list(values)
    return frame


def two_rounds(first: Mapping[str, Sequence[float | None]], second: Mapping[str, Sequence[float | None]],
               **kwargs) -> pd.DataFrame:
    return pd.concat([ratings_frame(first, 1, **kwargs), ratings_frame(second, 2, **kwargs)], ignore_index=True)

NAN = np.nan
