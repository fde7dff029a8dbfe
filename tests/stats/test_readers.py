"""Reading what Delphi users actually have (issue 16): one reader for the command line and the Python API.

The wide files are shaped after the tools' real exports:
- LimeSurvey's response export with question codes as headings starts ``id, submitdate, lastpage,
  startlanguage, seed`` (then ``startdate, datestamp`` when dated), then one column per question code, array
  sub-questions as ``Q1[SQ001]`` (column lists in public analysis scripts found with the code search, e.g.
  ``c("id","submitdate","lastpage","startlanguage","startdate","datestamp",...,"CONSENTCHECK_SQ001",...)``
  and a drop list ``c("id","submitdate","lastpage","startlanguage","seed","token","startdate","datestamp")``).
- REDCap's records CSV: ``record_id, redcap_event_name, ...fields..., <form>_complete`` with events such as
  ``event_1_arm_1`` / ``baseline_arm_1`` (e.g. ``record_id,redcap_event_name,participant_name,sex,score`` /
  ``1,event_1_arm_1,Alice,F,80`` in a public test fixture; ``*_complete`` holds 0/1/2).
- Qualtrics' CSV: the column names (StartDate, EndDate, Status, IPAddress, Progress, Duration (in seconds),
  Finished, RecordedDate, ResponseId, Recipient..., ExternalReference, Location..., DistributionChannel,
  UserLanguage, then Q1_1, ...), a row of question texts, a row of ``{"ImportId":"QID1_1"}`` JSON
  (repository davemosk/FinSL-signbank, docs/validation_result_model.md, shows all three rows).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from delphi.stats import AnalysisConfig, RatingsError, ReadOptions, analyse, read_ratings
from delphi.stats.cli import main

LONG = "round,item,panelist,rating\n1,A,p1,4\n1,A,p2,5\n1,B,p1,3\n1,B,p2,\n"


def _ids(frame, column):
    return frame[column].astype(str).tolist()


# --- Found, to fix -------------------------------------------------------------------------------------------

def test_numeric_looking_item_and_panelist_codes_stay_distinct(write_csv):
    frame = read_ratings(write_csv("round,item,panelist,rating\n1,1.2,007,4\n1,1.20,7,5\n1,1.1,007,3\n"
                                   "1,1.10,007,2\n"))
    assert _ids(frame, "item") == ["1.2", "1.20", "1.1", "1.10"]
    assert _ids(frame, "panelist") == ["007", "7", "007", "007"]
    result = analyse(frame, AnalysisConfig(1, 5))
    assert len(result.items) == 4 and result.meta["n_panelists"] == 2


def test_a_row_without_a_rating_field_is_refused_with_its_line(write_csv):
    with pytest.raises(RatingsError, match=r"line 3: only 3 of the header's 4 fields \(no rating field\)"):
        read_ratings(write_csv("round,item,panelist,rating\n1,A,p1,4\n1,A,p2\n"))
    frame = read_ratings(write_csv("round,item,panelist,rating\n1,A,p1,4\n1,A,p2,\n"))   # an empty field: abstains
    assert frame["rating"].isna().tolist() == [False, True]


def test_an_unquoted_comma_in_an_item_code_is_called_too_many_fields(write_csv):
    with pytest.raises(RatingsError, match=r"line 3: too many fields \(5, the header has 4\); a value holding the "
                                           r"separator ',' must be in double quotes"):
        read_ratings(write_csv("round,item,panelist,rating\n1,A,p1,4\n1,1,2,p1,5\n"))
    frame = read_ratings(write_csv('round,item,panelist,rating\n1,A,p1,4\n1,"1,2",p1,5\n'))
    assert _ids(frame, "item") == ["A", "1,2"]


def test_column_names_with_spaces_around_them_are_trimmed(write_csv):
    frame = read_ratings(write_csv(" round , item , panelist , rating \n1,A,p1,4\n"))
    assert list(frame.columns) == ["round", "item", "panelist", "rating"]


# --- Other column names --------------------------------------------------------------------------------------

def test_columns_option_names_any_subset_and_the_rest_are_found_by_name(write_csv, capsys):
    path = write_csv("Wave,Code,Expert ID,rating,Remarks\n1,I1,e1,4,\n1,I1,e2,5,ok\n")
    frame = read_ratings(path, options=ReadOptions(columns={"round": "Wave", "item": "Code", "panelist": "Expert ID"}))
    assert _ids(frame, "panelist") == ["e1", "e2"] and frame["comment"].notna().tolist() == [False, True]
    assert main(["analyse", str(path), "--scale", "1-5", "--columns", "round=Wave,item=Code,panelist=Expert ID"]) == 0
    assert main(["analyse", str(path), "--scale", "1-5", "--columns", "round=Nope"]) == 2
    assert "--columns round=Nope: no such column" in capsys.readouterr().err


def test_welphi_like_sheet_with_participant_statement_and_score(write_csv):
    """A Welphi-like long export: Round, Statement, Participant, Score, Comment (other names, "Round 1")."""
    frame = read_ratings(write_csv("Round,Statement,Participant,Score,Comment\nRound 1,S1,Ann,7,\n"
                                   "Round 1,S1,Bob,8,\nRound 2,S1,Ann,8,agree now\n"))
    assert frame["round"].tolist() == [1, 1, 2] and _ids(frame, "item") == ["S1"] * 3


def test_delphimanager_like_sheet_with_respondent_question_value_and_round_option(write_csv):
    """DelphiManager-like: one file per round without a round column; question as the item."""
    frame = read_ratings(write_csv("Respondent;Question;Value\nR01;Q1;4\nR02;Q1;5\n"),
                         options=ReadOptions(round=2))
    assert frame["round"].tolist() == [2, 2] and _ids(frame, "item") == ["Q1", "Q1"]


def test_edelphi_like_sheet_with_expert_and_a_title_row_above_the_table(write_csv):
    frame = read_ratings(write_csv("Panel export 2024\n\nround,expert,item,answer\n1,x1,A,3\n"),
                         options=ReadOptions(skip_rows=1))
    assert _ids(frame, "panelist") == ["x1"]


def test_two_candidate_columns_are_refused_naming_both(write_csv):
    with pytest.raises(RatingsError, match=r"more than one column could be the panelist \('participant', "
                                           r"'expert'\); say which with --columns panelist=NAME"):
        read_ratings(write_csv("round,item,participant,expert,rating\n1,A,p1,e1,4\n"))


def test_round_option_keeps_one_round_of_a_file_with_several(write_csv):
    frame = read_ratings(write_csv("round,item,panelist,rating\n1,A,p1,4\n2,A,p1,5\n"), options=ReadOptions(round=2))
    assert frame["round"].tolist() == [2] and frame["rating"].tolist() == [5]


# --- Separators, encodings, numbers ----------------------------------------------------------------------------

def test_excel_sep_line_semicolons_and_decimal_commas(write_csv):
    frame = read_ratings(write_csv("sep=;\nround;item;panelist;rating\n1;A;p1;2,0\n1;B;p1;4\n"))
    assert frame["rating"].tolist() == [2.0, 4.0]


def test_separator_detection_copes_with_a_comma_inside_a_header_name(write_csv):
    frame = read_ratings(write_csv("round;item;panelist;rating, 1-5\n1;A;p1;4\n1;B;p1;5\n"),
                         options=ReadOptions(columns={"rating": "rating, 1-5"}))
    assert frame["rating"].tolist() == [4.0, 5.0]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_utf8_with_a_bom_and_utf16_as_excel_writes_it(tmp_path, encoding):
    path = tmp_path / "r.csv"
    text = "round\titem\tpanelist\trating\n1\tCrème\tZoë\t4\n" if encoding == "utf-16" else LONG
    path.write_bytes(text.encode(encoding))       # Python's utf-16 writes the BOM, as Excel's "Unicode text"
    frame = read_ratings(path)
    assert list(frame.columns)[:4] == ["round", "item", "panelist", "rating"]


def test_windows_1252_needs_the_encoding_option_and_the_message_names_it(tmp_path, capsys):
    path = tmp_path / "r.csv"
    path.write_bytes("round,item,panelist,rating\n1,Qualité,Zoë,4\n".encode("cp1252"))
    with pytest.raises(RatingsError, match=r"line 2 is not UTF-8 text; give the file's encoding, e.g. "
                                           r"--encoding cp1252"):
        read_ratings(path)
    assert _ids(read_ratings(path, options=ReadOptions(encoding="cp1252")), "item") == ["Qualité"]
    assert main(["analyse", str(path), "--scale", "1-5", "--encoding", "cp1252"]) == 0


def test_labels_and_missing_tokens(write_csv, capsys):
    path = write_csv("round,item,panelist,rating\n1,A,p1,Strongly agree\n1,A,p2,Disagree\n1,A,p3,Unable to rate\n"
                     "1,A,p4,99\n")
    with pytest.raises(RatingsError, match=r"line 2: rating 'Strongly agree' is not a whole number \(give the labels"):
        read_ratings(path)
    labels = {"Strongly disagree": 1, "Disagree": 2, "Neutral": 3, "Agree": 4, "Strongly agree": 5}
    frame = read_ratings(path, options=ReadOptions(labels=labels, missing=("99", "Unable to rate")))
    assert frame["rating"].tolist()[:2] == [5.0, 2.0] and frame["rating"].isna().tolist() == [False, False, True, True]
    assert main(["analyse", str(path), "--scale", "1-5", "--labels",
                 "Strongly disagree=1,Disagree=2,Neutral=3,Agree=4,Strongly agree=5",
                 "--missing", "99,Unable to rate"]) == 0
    labels_file = path.parent / "labels.txt"
    labels_file.write_text("Strongly agree=5\nDisagree=2\n", encoding="utf-8")
    assert main(["analyse", str(path), "--scale", "1-5", "--labels", str(labels_file), "--missing", "99,Unable to rate"]) == 0


# --- Wide tables -------------------------------------------------------------------------------------------------

LIMESURVEY = ("id,submitdate,lastpage,startlanguage,seed,G1Q1[SQ001],G1Q1[SQ002],G1Q2\n"
              "1,2024-03-01 10:00:00,2,en,12345,4,5,3\n"
              "2,2024-03-01 11:00:00,2,en,23456,5,,4\n"
              "3,,1,en,34567,2,3,\n")


def test_limesurvey_wide_export(write_csv):
    frame = read_ratings(write_csv(LIMESURVEY), scale=(1, 5), options=ReadOptions(preset="limesurvey"))
    assert sorted(set(_ids(frame, "item"))) == ["G1Q1[SQ001]", "G1Q1[SQ002]", "G1Q2"]
    assert len(frame) == 9 and frame["rating"].isna().sum() == 2 and set(_ids(frame, "panelist")) == {"1", "2", "3"}


def test_limesurvey_one_file_per_round(write_csv, capsys):
    one, two = write_csv(LIMESURVEY, "round1.csv"), write_csv(LIMESURVEY.replace(",4,5,3", ",5,5,4"), "round2.csv")
    frame = read_ratings([one, two], scale=(1, 5), options=ReadOptions(wide=True, id_column="id"))
    assert sorted(set(frame["round"])) == [1, 2]
    assert main(["analyse", str(one), str(two), "--scale", "1-5", "--from", "limesurvey"]) == 0
    assert "stability" in capsys.readouterr().out


def test_redcap_wide_export_with_events_as_rounds(write_csv):
    text = ("record_id,redcap_event_name,q01,q02,delphi_round_complete\n"
            "1,round_1_arm_1,7,8,2\n2,round_1_arm_1,9,,2\n1,round_2_arm_1,8,8,2\n2,round_2_arm_1,8,9,2\n")
    frame = read_ratings(write_csv(text), scale=(1, 9), options=ReadOptions(preset="redcap"))
    assert sorted(set(frame["round"])) == [1, 2] and sorted(set(_ids(frame, "item"))) == ["q01", "q02"]


def test_qualtrics_export_with_two_rows_under_the_header(write_csv):
    text = ('StartDate,EndDate,Status,IPAddress,Progress,Duration (in seconds),Finished,RecordedDate,ResponseId,'
            'DistributionChannel,UserLanguage,Q1_1,Q1_2\n'
            'Start Date,End Date,Response Type,IP Address,Progress,Duration (in seconds),Finished,Recorded Date,'
            'Response ID,Distribution Channel,User Language,"Rate each statement - Data, sharing","Rate - Consent"\n'
            '"{""ImportId"":""startDate"",""timeZone"":""Europe/Prague""}","{""ImportId"":""endDate""}",'
            '"{""ImportId"":""status""}","{""ImportId"":""ipAddress""}","{""ImportId"":""progress""}",'
            '"{""ImportId"":""duration""}","{""ImportId"":""finished""}","{""ImportId"":""recordedDate""}",'
            '"{""ImportId"":""_recordId""}","{""ImportId"":""distributionChannel""}",'
            '"{""ImportId"":""userLanguage""}","{""ImportId"":""QID1_1""}","{""ImportId"":""QID1_2""}"\n'
            '2024-05-01 10:00:00,2024-05-01 10:05:00,0,1.2.3.4,100,300,1,2024-05-01 10:05:01,R_abc,anonymous,EN,4,5\n'
            '2024-05-01 11:00:00,2024-05-01 11:05:00,0,1.2.3.5,100,280,1,2024-05-01 11:05:01,R_def,anonymous,EN,3,\n')
    frame = read_ratings(write_csv(text), scale=(1, 5), options=ReadOptions(preset="qualtrics"))
    assert _ids(frame, "item") == ["Q1_1", "Q1_2"] * 2 and set(_ids(frame, "panelist")) == {"R_abc", "R_def"}


def test_wide_xlsx_sheet_by_name_and_item_columns_regex(tmp_path, capsys):
    path = tmp_path / "panel.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="Notes", index=False)
        pd.DataFrame({"Participant": ["a", "b"], "Age": [40, 51], "I1": [4, 5], "I2": [3, None]}).to_excel(
            writer, sheet_name="Round 1", index=False)
    frame = read_ratings(path, scale=(1, 5),
                         options=ReadOptions(wide=True, sheet="Round 1", id_column="Participant", item_columns=r"^I\d"))
    assert sorted(set(_ids(frame, "item"))) == ["I1", "I2"] and len(frame) == 4
    with pytest.raises(RatingsError, match=r"no sheet named 'Round 9' \(sheets: Notes, Round 1\)"):
        read_ratings(path, options=ReadOptions(wide=True, sheet="Round 9"))
    assert main(["analyse", str(path), "--scale", "1-5", "--wide", "--sheet", "2", "--id-column", "Participant",
                 "--item-columns", "^I"]) == 0


def test_a_bad_wide_cell_names_the_row_and_column(write_csv):
    with pytest.raises(RatingsError, match=r"line 3, column 'G1Q2': rating 7 is outside the scale 1-5"):
        read_ratings(write_csv("id,G1Q1,G1Q2\n1,4,5\n2,4,7\n"), scale=(1, 5),
                     options=ReadOptions(wide=True, item_columns="G1"))


def test_the_wide_reader_gives_the_same_analysis_as_the_long_one(write_csv):
    rng = np.random.default_rng(3)
    ratings = rng.integers(1, 6, (30, 12)).astype(float)
    ratings[rng.random(ratings.shape) < 0.1] = np.nan
    wide = pd.DataFrame(ratings, columns=[f"Q{i:02d}" for i in range(12)])
    wide.insert(0, "id", [f"p{i}" for i in range(30)])
    path = write_csv(wide.to_csv(index=False), "wide.csv")
    long = wide.melt(id_vars="id", var_name="item", value_name="rating").rename(columns={"id": "panelist"})
    long.insert(0, "round", 1)
    config = AnalysisConfig(1, 5)
    a = analyse(read_ratings(path, options=ReadOptions(wide=True)), config).items.sort_values("item")
    b = analyse(long, config).items.sort_values("item")
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))
