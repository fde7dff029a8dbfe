"""Every kind of bad file ends in one FrameworkError naming the file, the place and the problem."""

import csv
import io
import json
import time
import zipfile
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest

import framework
from framework import FrameworkError

INDICATOR = "$.domains[1].subdomains[2].indicators[1]"  # II.3.2


def _indicator(document: dict[str, Any]) -> dict[str, Any]:
    return document["domains"][1]["subdomains"][2]["indicators"][1]


def _load_file(tmp_path, name: str, data: bytes, **kwargs: Any) -> FrameworkError:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(FrameworkError) as caught:
        framework.load_path(path, **kwargs)
    assert caught.value.filename == name
    return caught.value


def _json_error(tmp_path, document: dict[str, Any], edit: Callable[[dict[str, Any]], object]) -> FrameworkError:
    edit(document)
    return _load_file(tmp_path, "mlm.json", json.dumps(document, indent=1).encode())


# JSON and YAML documents


def test_missing_level_is_refused_at_the_levels_list(tmp_path, mlm_document):
    error = _json_error(tmp_path, mlm_document, lambda d: _indicator(d)["levels"].pop())
    assert error.location == f"{INDICATOR}.levels"
    assert error.message == "expected exactly 5 level descriptions, found 4"
    assert str(error) == f"mlm.json: {INDICATOR}.levels: expected exactly 5 level descriptions, found 4"


def test_six_levels_are_refused(tmp_path, mlm_document):
    error = _json_error(tmp_path, mlm_document, lambda d: _indicator(d)["levels"].append("Beyond."))
    assert (error.location, error.message) == (f"{INDICATOR}.levels", "expected exactly 5 level descriptions, found 6")


def test_duplicate_code_names_both_places(tmp_path, mlm_document):
    error = _json_error(tmp_path, mlm_document, lambda d: _indicator(d).update(code="I.1.1"))
    assert error.location == f"{INDICATOR}.code"
    assert error.message == (
        "duplicate code 'I.1.1': already used by the indicator at $.domains[0].subdomains[0].indicators[0].code"
    )


def test_codes_are_unique_across_domains_subdomains_and_indicators(tmp_path, mlm_document):
    error = _json_error(tmp_path, mlm_document, lambda d: d["domains"][1]["subdomains"][0].update(code="I"))
    assert error.location == "$.domains[1].subdomains[0].code"
    assert "already used by the domain at $.domains[0].code" in error.message


@pytest.mark.parametrize("statement", ["", "   \n "])
def test_empty_statement_is_refused(tmp_path, mlm_document, statement):
    error = _json_error(tmp_path, mlm_document, lambda d: _indicator(d).update(statement=statement))
    assert (error.location, error.message) == (f"{INDICATOR}.statement", "empty statement")


def test_number_where_text_is_expected(tmp_path, mlm_document):
    error = _json_error(tmp_path, mlm_document, lambda d: _indicator(d).update(statement=42))
    assert error.location == f"{INDICATOR}.statement"
    assert error.message == "statement must be a string, not a number (put the value in quotes)"


def test_list_where_an_object_is_expected(tmp_path, mlm_document):
    error = _json_error(tmp_path, mlm_document, lambda d: d["domains"].__setitem__(1, []))
    assert (error.location, error.message) == ("$.domains[1]", "domain must be an object, not an array")


def test_null_level_is_a_type_error_at_that_level(tmp_path, mlm_document):
    error = _json_error(tmp_path, mlm_document, lambda d: _indicator(d)["levels"].__setitem__(2, None))
    assert (error.location, error.message) == (
        f"{INDICATOR}.levels[2]",
        "level 3 description must be a string, not null",
    )


def test_misspelt_key_is_reported_with_the_missing_one(tmp_path, mlm_document):
    def misspell(document: dict[str, Any]) -> None:
        indicator = _indicator(document)
        indicator["statment"] = indicator.pop("statement")

    error = _json_error(tmp_path, mlm_document, misspell)
    assert error.location == INDICATOR
    assert error.message == "missing key 'statement' (found the unknown key 'statment')"


def test_invalid_code_is_refused(tmp_path, mlm_document):
    error = _json_error(tmp_path, mlm_document, lambda d: _indicator(d).update(code="II 3 2"))
    assert error.location == f"{INDICATOR}.code" and error.message.startswith("invalid code 'II 3 2'")


def test_incomplete_generic_levels_are_refused(tmp_path, mlm_document):
    error = _json_error(tmp_path, mlm_document, lambda d: d["generic_levels"].pop("4"))
    assert (error.location, error.message) == ("$.generic_levels", "missing generic level 4")


def test_control_characters_are_refused(tmp_path, mlm_document):
    error = _json_error(tmp_path, mlm_document, lambda d: _indicator(d).update(statement="Bell\x07"))
    assert error.message == "statement contains the control character U+0007"


def test_json_syntax_error_gives_line_and_column(tmp_path):
    data = b'{\n "name": "x",\n "domains": [\n  {"code": "I" "title": "t"}\n ]\n}'
    error = _load_file(tmp_path, "bad.json", data)
    assert error.location == "line 4, column 16"
    assert error.message == "invalid JSON: Expecting ',' delimiter"


def test_json_duplicate_key_is_refused(tmp_path):
    error = _load_file(tmp_path, "dup.json", b'{"name": "x", "name": "y", "domains": []}')
    assert error.message == "invalid JSON: the key 'name' appears twice in one object"


def test_yaml_syntax_error_gives_the_line(tmp_path):
    error = _load_file(tmp_path, "bad.yaml", b"name: x\ndomains:\n  - code: I\n   title: bad\n")
    assert error.location.startswith("line 4, column")
    assert error.message.startswith("invalid YAML:")


def test_yaml_aliases_are_refused(tmp_path):
    """Alias expansion is exponential (billion laughs); frameworks have no use for it."""
    error = _load_file(tmp_path, "alias.yml", b"name: &a x\nshort_name: *a\ndomains: []\n")
    assert (error.location, error.message) == ("line 2, column 13", "invalid YAML: aliases (*name) are not allowed")


def test_yaml_python_tags_are_refused(tmp_path):
    error = _load_file(tmp_path, "tag.yaml", b"name: !!python/object/apply:os.system [echo]\n")
    assert error.location == "line 1, column 7" and "could not determine a constructor" in error.message


def test_yaml_unquoted_number_code_is_a_type_error(tmp_path):
    data = b"name: x\ndomains:\n - code: 1.1\n   title: t\n   subdomains: []\n"
    error = _load_file(tmp_path, "num.yaml", data)
    assert error.location == "$.domains[0].code"
    assert error.message == "code must be a string, not a number (put the value in quotes)"


def test_file_that_is_not_utf8_is_refused(tmp_path):
    error = _load_file(tmp_path, "latin.json", '{\n"name": "Café"}'.encode("latin-1"))
    assert error.location == "line 2"
    assert error.message.startswith("the file is not UTF-8 text (byte 0xe9")


def test_oversized_input_is_refused_before_parsing():
    data = b"[" * (50 * 1024 * 1024)
    started = time.perf_counter()
    with pytest.raises(FrameworkError) as caught:
        framework.load(data, "json", filename="huge.json")
    assert time.perf_counter() - started < 0.5
    assert caught.value.message == "the file is 50.0 MiB; the limit is 10 MiB"


def test_oversized_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as file:
        file.truncate(50 * 1024 * 1024)  # sparse: no 50 MB written
    started = time.perf_counter()
    with pytest.raises(FrameworkError, match="limit is 10 MiB"):
        framework.load_path(path)
    assert time.perf_counter() - started < 0.5


def test_unknown_extension_is_refused(tmp_path):
    error = _load_file(tmp_path, "mlm.txt", b"{}")
    assert error.message == "unknown file type ('.txt'); expected one of .json, .yaml, .yml, .csv, .xlsx"
    with pytest.raises(FrameworkError, match="unknown format 'xml'"):
        framework.load(b"{}", "xml", filename="mlm.xml")


def test_deep_nesting_is_refused(tmp_path):
    error = _load_file(tmp_path, "deep.json", b"[" * 100_000 + b"]" * 100_000)
    assert error.message == "invalid JSON: nested too deeply"


# CSV


def _csv_rows(mlm) -> list[list[str]]:
    return list(csv.reader(io.StringIO(framework.dump(mlm, "csv").decode())))


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def test_csv_empty_level_names_row_and_column(tmp_path, mlm):
    rows = _csv_rows(mlm)
    rows[6][rows[0].index("level_3")] = " "
    error = _load_file(tmp_path, "mlm.csv", _csv(rows))
    assert str(error) == "mlm.csv: row 7, column level_3: empty level description"


def test_csv_sixth_level_column_is_refused(tmp_path, mlm):
    rows = _csv_rows(mlm)
    for row in rows:
        row.append("level_6" if row is rows[0] else "Beyond.")
    error = _load_file(tmp_path, "mlm.csv", _csv(rows))
    assert (error.location, error.message) == (
        "row 1, column 13",
        "unknown column 'level_6' (an indicator has exactly 5 levels)",
    )


def test_csv_missing_columns_are_listed(tmp_path, mlm):
    rows = [row[:-2] for row in _csv_rows(mlm)]
    error = _load_file(tmp_path, "mlm.csv", _csv(rows))
    assert (error.location, error.message) == ("row 1", "missing columns: level_4, level_5")


def test_csv_duplicate_indicator_code(tmp_path, mlm):
    rows = _csv_rows(mlm)
    rows[7][4] = rows[2][4]
    error = _load_file(tmp_path, "mlm.csv", _csv(rows))
    assert error.location == "row 8, column indicator_code"
    assert error.message == "duplicate code 'I.2.1': already used by the indicator at row 3, column indicator_code"


def test_csv_empty_statement(tmp_path, mlm):
    rows = _csv_rows(mlm)
    rows[7][5] = ""
    error = _load_file(tmp_path, "mlm.csv", _csv(rows))
    assert (error.location, error.message) == ("row 8, column statement", "empty statement")


def test_csv_row_with_missing_fields(tmp_path, mlm):
    rows = _csv_rows(mlm)
    rows[7].pop()
    error = _load_file(tmp_path, "mlm.csv", _csv(rows))
    assert (error.location, error.message) == ("row 8", "the row has 11 fields, the header has 12")


def test_csv_domain_titles_must_agree(tmp_path, mlm):
    rows = _csv_rows(mlm)
    rows[3][1] = "Governance"
    error = _load_file(tmp_path, "mlm.csv", _csv(rows))
    assert error.location == "row 4, column domain_title"
    assert error.message.startswith("domain I is titled 'Governance and strategy' at row 2, column domain_title")


def test_csv_subdomain_must_stay_in_one_domain(tmp_path, mlm):
    rows = _csv_rows(mlm)
    ii_3_rows = [index for index, row in enumerate(rows) if row[2] == "II.3"]
    rows[ii_3_rows[1]][0:2] = ["I", "Governance and strategy"]
    error = _load_file(tmp_path, "mlm.csv", _csv(rows))
    assert error.location == f"row {ii_3_rows[1] + 1}, column subdomain_code"
    assert error.message.startswith("subdomain II.3 belongs to domain II")


def test_csv_header_without_rows(tmp_path, mlm):
    error = _load_file(tmp_path, "mlm.csv", _csv(_csv_rows(mlm)[:1]))
    assert error.message == "no indicators: the table has a header but no rows"


def test_csv_not_utf8(tmp_path, mlm):
    data = _csv(_csv_rows(mlm)).replace(b"Governance", "Gouvernançe".encode("cp1252"))
    error = _load_file(tmp_path, "mlm.csv", data)
    assert error.location == "line 2" and "not UTF-8" in error.message


# XLSX


def _workbook_bytes(mlm, edit: Callable[[openpyxl.Workbook], object]) -> bytes:
    workbook = openpyxl.load_workbook(io.BytesIO(framework.dump(mlm, "xlsx")))
    edit(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _set(sheet: str, ref: str, value: object) -> Callable[[openpyxl.Workbook], None]:
    def edit(workbook: openpyxl.Workbook) -> None:
        workbook[sheet][ref] = value

    return edit


def test_xlsx_formula_is_refused_naming_the_cell(tmp_path, mlm):
    error = _load_file(tmp_path, "mlm.xlsx", _workbook_bytes(mlm, _set("indicators", "F7", '=A7&" plus"')))
    assert error.location == "sheet indicators, cell F7"
    assert error.message == "formulas are not accepted: replace the formula by its text"


def test_xlsx_formula_in_metadata_is_refused(tmp_path, mlm):
    error = _load_file(tmp_path, "mlm.xlsx", _workbook_bytes(mlm, _set("framework", "B2", "=1+1")))
    assert error.location == "sheet framework, cell B2"


def test_xlsx_that_is_not_a_zip(tmp_path):
    error = _load_file(tmp_path, "old.xlsx", b"\xd0\xcf\x11\xe0 an old binary .xls")
    assert error.location == ""
    assert error.message.startswith("not an XLSX file: the content is not a zip archive")


def test_zip_that_is_not_a_workbook(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    error = _load_file(tmp_path, "fake.xlsx", buffer.getvalue())
    assert error.message.startswith("not a readable XLSX workbook")


def test_xlsx_without_indicators_sheet(tmp_path, mlm):
    data = _workbook_bytes(mlm, lambda workbook: setattr(workbook["indicators"], "title", "Sheet1"))
    error = _load_file(tmp_path, "mlm.xlsx", data)
    assert error.message == "missing sheet 'indicators' (the workbook has 'Sheet1', 'framework', 'glossary')"


def test_xlsx_missing_column(tmp_path, mlm):
    data = _workbook_bytes(mlm, lambda workbook: workbook["indicators"].delete_cols(12))
    error = _load_file(tmp_path, "mlm.xlsx", data)
    assert (error.location, error.message) == ("sheet indicators, row 1", "missing column: level_5")


def test_xlsx_number_in_a_text_cell(tmp_path, mlm):
    error = _load_file(tmp_path, "mlm.xlsx", _workbook_bytes(mlm, _set("indicators", "F7", 42)))
    assert error.location == "sheet indicators, cell F7"
    assert error.message == "expected text, found the number 42 (format the cell as Text)"


def test_xlsx_empty_level_cell(tmp_path, mlm):
    error = _load_file(tmp_path, "mlm.xlsx", _workbook_bytes(mlm, _set("indicators", "J7", None)))
    assert str(error) == "mlm.xlsx: sheet indicators, cell J7: empty level description"


def test_xlsx_value_outside_the_table(tmp_path, mlm):
    error = _load_file(tmp_path, "mlm.xlsx", _workbook_bytes(mlm, _set("indicators", "N5", "stray note")))
    assert (error.location, error.message) == ("sheet indicators, cell N5", "a value in a column without a header")


def test_xlsx_unknown_metadata_key(tmp_path, mlm):
    error = _load_file(tmp_path, "mlm.xlsx", _workbook_bytes(mlm, _set("framework", "A3", "nam")))
    assert error.location == "sheet framework, cell A3" and error.message.startswith("unknown key 'nam'")


def test_xlsx_duplicate_glossary_term_ignoring_case(tmp_path, mlm):
    def add_terms(workbook: openpyxl.Workbook) -> None:
        workbook["glossary"].append(["NGS", "Next-generation sequencing."])
        workbook["glossary"].append(["ngs", "Something else."])

    error = _load_file(tmp_path, "mlm.xlsx", _workbook_bytes(mlm, add_terms))
    n = len(mlm.glossary)  # the shipped terms come first (row 1 is the header)
    assert error.location == f"sheet glossary, cell A{n + 3}"
    assert error.message == f"duplicate glossary term 'ngs': already defined at sheet glossary, cell A{n + 2}"
