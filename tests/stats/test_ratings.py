"""Reading and validating ratings files: one clear message per mistake."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from delphi.stats import RatingsError, read_ratings, validate_ratings

GOOD = "round,item,panelist,rating,comment\n1,A,p1,4,\n1,A,p2,,cannot judge\n1,B,p1,5,\n1,B,p2,NA,\n"


def test_reads_a_csv_into_the_canonical_frame(write_csv):
    frame = read_ratings(write_csv(GOOD))
    assert list(frame.columns) == ["round", "item", "panelist", "rating", "comment"]
    assert frame["round"].dtype == "int64" and frame["rating"].dtype == "float64"
    assert frame["item"].astype(str).tolist() == ["A", "A", "B", "B"]
    assert frame["rating"].isna().tolist() == [False, True, False, True]     # empty and NA: unable to rate
    assert frame["comment"].notna().tolist() == [False, True, False, False]


def test_header_names_are_case_insensitive_and_semicolons_work(write_csv):
    frame = read_ratings(write_csv("Round;Item;Panelist;Rating;Extra\n1;A;p1;4;x\n"))
    assert list(frame.columns) == ["round", "item", "panelist", "rating"]


def test_reads_the_first_sheet_of_an_xlsx_workbook(tmp_path, write_csv):
    expected = read_ratings(write_csv(GOOD))
    path = tmp_path / "ratings.xlsx"
    pd.read_csv(write_csv(GOOD, "again.csv"), keep_default_na=False).to_excel(path, index=False)
    frame = read_ratings(path)
    assert frame["rating"].tolist()[0] == 4 and math.isnan(frame["rating"].tolist()[1])
    assert frame["item"].astype(str).tolist() == expected["item"].astype(str).tolist()
    assert frame["comment"].notna().tolist() == expected["comment"].notna().tolist()


def test_an_optional_column_left_empty_is_ignored(write_csv):
    frame = read_ratings(write_csv("round,item,question,panelist,rating,group\n1,A,,p1,4,\n1,A,,p2,5,\n"))
    assert list(frame.columns) == ["round", "item", "panelist", "rating"]


def test_numeric_ids_become_text():
    frame = validate_ratings(pd.DataFrame({"round": [1, 1], "item": [10, 11], "panelist": [7, 7], "rating": [3, 4]}))
    assert frame["item"].astype(str).tolist() == ["10", "11"]


@pytest.mark.parametrize(("text", "message"), [
    ("round,item,rating\n1,A,4\n", "missing column(s) panelist"),
    ("round,item,panelist,rating\n", "no ratings"),
    ("round,item,panelist,rating\n1,A,p1,4.5\n", "line 2: rating 4.5 is not a whole number"),
    ("round,item,panelist,rating\n1,A,p1,4\n1,A,p2,high\n", "line 3: rating 'high' is not a whole number"),
    ("round,item,panelist,rating\n1,A,p1,4\n1,B,p1,3\n1,A,p1,5\n",
     "line 4: duplicate rating for round 1, item 'A', panelist 'p1' (first at line 2)"),
    ("round,item,panelist,rating\n1,,p1,4\n", "line 2: item is empty"),
    ("round,item,panelist,rating\nR1,A,p1,4\n", "line 2: round 'R1' is not a whole number"),
    ("round,item,panelist,rating\n,A,p1,4\n", "line 2: round is empty"),
])
def test_bad_files_raise_one_line_naming_the_problem(write_csv, text, message):
    path = write_csv(text)
    with pytest.raises(RatingsError) as info:
        read_ratings(path)
    assert message in str(info.value)
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_ratings_outside_the_scale(write_csv):
    with pytest.raises(RatingsError, match=r"line 3: rating 6 is outside the scale 1-5"):
        read_ratings(write_csv("round,item,panelist,rating\n1,A,p1,4\n1,A,p2,6\n"), scale=(1, 5))


def test_duplicates_count_questions_separately(write_csv):
    frame = read_ratings(write_csv("round,item,question,panelist,rating\n1,A,q1,p1,4\n1,A,q2,p1,5\n"))
    assert len(frame) == 2
    with pytest.raises(RatingsError, match="duplicate rating for round 1, item 'A', question 'q1'"):
        read_ratings(write_csv("round,item,question,panelist,rating\n1,A,q1,p1,4\n1,A,q1,p1,5\n", "dup.csv"))


def test_missing_and_empty_files(tmp_path, write_csv):
    with pytest.raises(RatingsError, match="file not found"):
        read_ratings(tmp_path / "nope.csv")
    with pytest.raises(RatingsError, match="file is empty"):
        read_ratings(write_csv(""))
    with pytest.raises(RatingsError, match="file is empty"):
        read_ratings(write_csv("\n\n", "blank.csv"))


def test_a_file_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("round,item,panelist,rating\n")
    with pytest.raises(RatingsError, match="cannot be read as an XLSX workbook"):
        read_ratings(path)
