"""delphi.stats.read_ratings and `delphi analyse` on malformed ratings files: a RatingsError (exit 2 and one line
on stderr for the command), never a traceback."""
from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given

from delphi.stats import read_ratings
from delphi.stats.cli import main as analyse_main
from delphi.stats.errors import StatsInputError
from tests.fuzz.inputs import FUZZ, RATINGS_CSV, ratings_csv_files, ratings_xlsx_files

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning"), pytest.mark.filterwarnings("ignore::RuntimeWarning")]


@contextlib.contextmanager
def written(data: bytes, suffix: str):
    with tempfile.TemporaryDirectory(prefix="fuzz-ratings-") as folder:
        path = Path(folder) / f"ratings{suffix}"
        path.write_bytes(data)
        yield path


def read_or_refuse(data: bytes, suffix: str) -> None:
    with written(data, suffix) as path:
        _read_or_refuse(path)


def _read_or_refuse(path: Path) -> None:
    try:
        frame = read_ratings(path, scale=(1, 5))
    except StatsInputError as exc:
        assert str(exc) and "\n" not in str(exc), str(exc)
    else:
        assert isinstance(frame, pd.DataFrame)


def analyse_or_refuse(data: bytes, suffix: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    with written(data, suffix) as path, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = analyse_main(["analyse", str(path), "--scale", "1-5", "--panel-size", "4"])
    if code == 0:
        assert out.getvalue().startswith("{") and err.getvalue() == ""
    else:
        assert code == 2, (code, err.getvalue())
        assert out.getvalue() == ""
        assert err.getvalue().count("\n") == 1 and err.getvalue().startswith("delphi"), err.getvalue()


def test_the_valid_seed_is_analysed():
    analyse_or_refuse(RATINGS_CSV, ".csv")


@FUZZ
@given(ratings_csv_files())
def test_read_ratings_refuses_malformed_csv_with_one_line(data):
    read_or_refuse(data, ".csv")


@FUZZ
@given(ratings_xlsx_files())
def test_read_ratings_refuses_malformed_xlsx_with_one_line(data):
    read_or_refuse(data, ".xlsx")


@FUZZ
@given(ratings_csv_files())
def test_delphi_analyse_exits_2_with_one_stderr_line_on_malformed_csv(data):
    analyse_or_refuse(data, ".csv")


@FUZZ
@given(ratings_xlsx_files())
def test_delphi_analyse_exits_2_with_one_stderr_line_on_malformed_xlsx(data):
    analyse_or_refuse(data, ".xlsx")
