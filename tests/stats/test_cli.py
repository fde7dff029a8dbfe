"""The ``delphi analyse`` command: outputs, and one stderr line with exit status 2 for every user mistake."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from delphi.stats.cli import main

ROOT = Path(__file__).resolve().parents[2]
RATINGS = (
    "round,item,panelist,rating,comment,group\n"
    "1,A,p1,5,,x\n1,A,p2,4,reword please,x\n1,A,p3,2,,y\n1,A,p4,,,y\n"
    "1,B,p1,4,,x\n1,B,p2,4,,x\n1,B,p3,5,,y\n1,B,p4,4,,y\n"
    "2,A,p1,5,,x\n2,A,p2,4,,x\n2,A,p3,4,,y\n2,A,p4,4,,y\n"
)


@pytest.fixture
def ratings(write_csv):
    return write_csv(RATINGS)


def test_json_on_stdout_by_default(ratings, capsys):
    assert main(["analyse", str(ratings), "--scale", "1-5"]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    # p4 abstained on A, so Kendall's W leaves out 1 of 4 panelists: a warning, not an error
    assert err.splitlines() == [line for line in err.splitlines() if line.startswith("delphi analyse: warning: ")]
    assert set(data) == {"meta", "items", "stability", "panel", "groups"}
    assert [(row["round"], row["item"], row["outcome"]) for row in data["items"]] == [
        (1, "A", "reformulated"), (1, "B", "validated"), (2, "A", "validated")]
    assert data["items"][0]["n_abstain"] == 1 and data["items"][0]["kruskal_p"] is not None
    assert data["meta"]["quartiles"]["method"] == "linear"
    assert data["panel"][-1]["verdict_text"] == "stop: all items decided"


def test_options_reach_the_analysis(ratings, tmp_path, capsys):
    rule = tmp_path / "strict.json"
    rule.write_text(json.dumps({"name": "strict", "source": "protocol", "otherwise": "open",
                                "clauses": [{"when": {"agree_pct": ["==", 1]}, "outcome": "closed"}]}))
    code = main(["analyse", str(ratings), "--scale", "1-5", "--agree", "5", "--disagree", "1-3", "--rule", str(rule),
                 "--quartiles", "weibull", "--panel-size", "8", "--max-rounds", "2"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["meta"]["bands"] == {"agree": [5, 5], "neutral": [4], "disagree": [1, 3]}
    assert data["meta"]["rule"]["name"] == "strict" and data["meta"]["quartiles"]["method"] == "weibull"
    assert data["panel"][0]["response_rate"] == 0.5
    assert "n_closed" in data["panel"][0] and data["panel"][1]["verdict_reason"] == "max_rounds"


def test_json_to_a_file(ratings, tmp_path, capsys):
    out = tmp_path / "result.json"
    assert main(["analyse", str(ratings), "--scale", "1-5", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["items"]
    assert capsys.readouterr().out == ""


def test_csv_one_file_per_table_in_a_directory_or_with_a_prefix(ratings, tmp_path, capsys):
    folder = tmp_path / "out"
    folder.mkdir()
    assert main(["analyse", str(ratings), "--scale", "1-5", "--format", "csv", "-o", str(folder)]) == 0
    items = pd.read_csv(folder / "items.csv")
    assert items["outcome"].tolist() == ["reformulated", "validated", "validated"]
    assert json.loads(items.loc[0, "counts"]) == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    assert {p.name for p in folder.iterdir()} == {"items.csv", "stability.csv", "panel.csv", "groups.csv",
                                                   "meta.csv"}
    capsys.readouterr()
    prefix = tmp_path / "study1"
    assert main(["analyse", str(ratings), "--scale", "1-5", "--format", "csv", "-o", str(prefix)]) == 0
    assert (tmp_path / "study1-panel.csv").exists()
    assert str(tmp_path / "study1-items.csv") in capsys.readouterr().out


def test_xlsx_one_sheet_per_table(ratings, tmp_path):
    out = tmp_path / "result.xlsx"
    assert main(["analyse", str(ratings), "--scale", "1-5", "--format", "xlsx", "-o", str(out)]) == 0
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets) == ["items", "stability", "panel", "groups", "meta"]
    assert sheets["items"]["outcome"].tolist() == ["reformulated", "validated", "validated"]
    meta = dict(zip(sheets["meta"]["key"], sheets["meta"]["value"]))
    assert json.loads(meta["quartiles"])["method"] == "linear"


@pytest.mark.parametrize(("text", "args", "fragment"), [
    ("round,item,rating\n1,A,4\n", [], "missing column(s) panelist"),
    ("round,item,panelist,rating\n1,A,p1,6\n", [], "rating 6 is outside the scale 1-5"),
    ("round,item,panelist,rating\n1,A,p1,3.5\n", [], "rating 3.5 is not a whole number"),
    ("round,item,panelist,rating\n1,A,p1,3\n1,A,p1,4\n", [], "duplicate rating"),
    (RATINGS, ["--rule", "no-such-rule"], "unknown rule 'no-such-rule'"),
    ("", [], "file is empty"),
    (None, [], "file not found"),
    (RATINGS, ["--scale", "1-x"], "scale '1-x' is not a range"),
    (RATINGS, ["--rule", "comet-70-15"], "defined for a 1-9 scale"),
    (RATINGS, ["--format", "csv"], "--format csv needs -o OUT"),
    (RATINGS, ["--quartiles", "type7"], "invalid choice: 'type7'"),
    (RATINGS, ["--panel-size", "zero"], "'zero' is not a whole number"),
])
def test_bad_input_gives_one_stderr_line_nothing_on_stdout_and_exit_2(write_csv, tmp_path, capsys, text, args,
                                                                       fragment):
    path = write_csv(text) if text is not None else tmp_path / "missing.csv"
    argv = ["analyse", str(path), "--scale", "1-5", *args]
    if "--scale" in args:
        argv = ["analyse", str(path), *args]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and fragment in err, err
    assert "Traceback" not in err


def test_no_subcommand_and_help(capsys):
    assert main([]) == 2
    capsys.readouterr()
    assert main(["analyse", "--help"]) == 0
    assert "--quartiles" in capsys.readouterr().out


def test_python_m_delphi_stats_runs_the_same_command(ratings):
    done = subprocess.run([sys.executable, "-m", "delphi.stats", "analyse", str(ratings), "--scale", "1-5"],
                          capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["meta"]["scale"] == {"min": 1, "max": 5}
