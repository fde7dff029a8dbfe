"""`flask delphi framework …`: list, import, export, diff — through app.test_cli_runner()."""
from __future__ import annotations

import json

import pytest

import framework as fwlib

SHIPPED = fwlib.data_path("1plusmg-mlm")


def fw(runner, *args):
    return runner.invoke(args=["delphi", "framework", *args])


def _one_line_error(result) -> str:
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_list_without_frameworks_says_how_to_import(runner):
    r = fw(runner, "list")
    assert r.exit_code == 0 and "No frameworks yet" in r.output


def test_import_as_draft_then_again_with_the_same_label_changes_nothing(app, runner):
    r = fw(runner, "import", str(SHIPPED), "--slug", "mlm")
    assert r.exit_code == 0, r.output
    assert r.output.strip() == ("Imported 1plusmg-mlm.json as mlm:draft-1 (draft): 8 domains, 33 subdomains, "
                                "49 indicators, 245 level texts.")
    again = fw(runner, "import", str(SHIPPED), "--slug", "mlm", "--label", "draft-1")
    assert again.exit_code == 0 and "already holds this content (draft); nothing changed" in again.output
    listing = fw(runner, "list").output
    assert "mlm  1+MG Maturity Level Model (MLM)" in listing and "mlm:draft-1" in listing and "draft" in listing


def test_mlm_round_trips_json_to_database_to_every_format_and_back(runner, tmp_path):
    r = fw(runner, "import", str(SHIPPED), "--slug", "mlm", "--release", "2022")
    assert r.exit_code == 0 and "as mlm:2022 (released)" in r.output, r.output
    assert "already holds this content" in fw(runner, "import", str(SHIPPED), "--slug", "mlm",
                                              "--release", "2022").output
    original = fwlib.load_shipped("1plusmg-mlm")
    stdout = fw(runner, "export", "mlm:2022")
    assert stdout.exit_code == 0 and stdout.stdout_bytes == SHIPPED.read_bytes()
    for fmt in fwlib.FORMATS:
        target = tmp_path / f"out.{fmt}"
        r = fw(runner, "export", "mlm:2022", "--format", fmt, "-o", str(target))
        assert r.exit_code == 0 and f"Wrote mlm:2022 as {fmt} to {target}" in r.output
        back = fwlib.load_path(target)
        assert back.counts() == original.counts()
        assert back.domains == original.domains  # every code, title, statement and level, word for word
        if fmt != "csv":  # a CSV file holds the indicator table only
            assert back == original
    yaml_out = fw(runner, "export", "mlm:2022", "--format", "yaml")
    assert fwlib.load(yaml_out.stdout_bytes, "yaml", filename="x.yaml") == original
    inferred = tmp_path / "inferred.xlsx"
    assert fw(runner, "export", "mlm:2022", "-o", str(inferred)).exit_code == 0
    assert fwlib.load_path(inferred) == original


def test_diff_prints_each_change_with_its_words(app, runner, tmp_path):
    fw(runner, "import", str(SHIPPED), "--slug", "mlm", "--release", "2022")
    document = json.loads(SHIPPED.read_bytes())
    indicator = document["domains"][0]["subdomains"][0]["indicators"][0]
    indicator["statement"] = indicator["statement"].replace("dedicated", "well funded")
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(document))
    assert fw(runner, "import", str(edited), "--slug", "mlm", "--label", "2025-draft").exit_code == 0
    r = fw(runner, "diff", "mlm:2022", "mlm:2025-draft")
    assert r.exit_code == 0
    assert r.output.splitlines() == [
        "reworded indicator I.1.1 statement",
        "    Country/region has a [-dedicated-]{+well funded+} governance for genomics in healthcare.",
        "1 change from mlm:2022 to mlm:2025-draft.",
    ]
    assert "No differences" in fw(runner, "diff", "mlm:2022", "mlm:2022").output


@pytest.mark.parametrize("args, message", [
    (["import", "/nonexistent/mlm.json"], "no such file"),
    (["export", "mlm"], "is not a version reference; write it as SLUG:LABEL"),
    (["export", "mlm:1999"], "No framework version mlm:1999."),
    (["export", "mlm:2022", "--format", "xlsx"], "xlsx is a binary format: give a file with -o"),
    (["export", "mlm:2022", "-o", "out.txt"], "unknown file type ('.txt')"),
    (["diff", "mlm:2022", "nope:1"], "No framework version nope:1."),
    (["import", str(SHIPPED), "--slug", "Bad Slug"], "is not a valid framework slug"),
    (["import", str(SHIPPED), "--slug", "mlm", "--label", "a", "--release", "b"], "Give the label once"),
    (["import", "{other}", "--slug", "mlm", "--release", "2022"], "already has a version labelled '2022'"),
])
def test_bad_input_exits_non_zero_with_one_clear_line(runner, tmp_path, args, message):
    fw(runner, "import", str(SHIPPED), "--slug", "mlm", "--release", "2022")
    document = json.loads(SHIPPED.read_bytes())
    document["description"] = "Different."
    other = tmp_path / "other.json"
    other.write_text(json.dumps(document))
    r = fw(runner, *(arg.replace("{other}", str(other)) for arg in args))
    assert message in _one_line_error(r)


def test_malformed_file_is_refused_with_the_loaders_message_and_imports_nothing(runner, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: X\ndomains:\n  - code: A\n    title: [unclosed\n")
    line = _one_line_error(fw(runner, "import", str(broken)))
    assert line.startswith("Error: broken.yaml: line ")
    assert "No frameworks yet" in fw(runner, "list").output
