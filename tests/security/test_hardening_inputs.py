"""Input hardening (issue 14): hostile rules, spreadsheets, sizes, nesting and backups get a clear refusal.

Each test goes through a public door (the web form, the CLI, a pure function) and fails on the code before the
fix. Nothing here times anything: bench/hostile_inputs.py measures seconds and megabytes for the same files.
"""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

import framework as fwlib
from delphi import jsonsafe
from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import Study
from delphi.stats import RuleError, load_rule
from delphi.stats.cli import main as analyse_main
from tests.conftest import csrf_from
from tests.study_helpers import make_study

# ---------------------------------------------------------------------------------------------------------------
# Crafted files (also used by bench/hostile_inputs.py)

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def crafted_xlsx(rows_xml: str, sheet: str = "indicators") -> bytes:
    """A minimal workbook written by hand, with one sheet whose <sheetData> is `rows_xml`."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
            'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/officeDocument" '
                        'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets><sheet name="{sheet}" '
                            'sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" '
                                       f'Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{_MAIN}"><sheetData>{rows_xml}</sheetData></worksheet>',
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def xfd_rows(n: int, header: list[str], first: int = 2) -> str:
    """A header row, then n rows each holding only an empty cell in the last column Excel has (XFD)."""
    head = "".join(_inline(f"{chr(65 + i)}1", name) for i, name in enumerate(header))
    return f'<row r="1">{head}</row>' + "".join(f'<row r="{r}"><c r="XFD{r}"/></row>'
                                                 for r in range(first, first + n))


INDICATOR_HEADER = ["domain_code", "domain_title", "subdomain_code", "subdomain_title", "indicator_code",
                    "statement", "level_1", "level_2", "level_3", "level_4", "level_5"]
RATINGS_HEADER = ["round", "item", "panelist", "rating"]


def deep_json(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


def backup_bomb(source: Path, target: Path, megabytes: int = 200) -> None:
    """A copy of a real backup whose first table file is replaced by `megabytes` MiB of spaces."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bomb:
        manifest = json.loads(original.read("manifest.json"))
        victim = manifest["tables"][0]["file"]
        for info in original.infolist():
            if info.filename != victim:
                bomb.writestr(info.filename, original.read(info.filename))
        with bomb.open(victim, "w", force_zip64=True) as member:
            chunk = b" " * 2**20
            for _ in range(megabytes):
                member.write(chunk)


# ---------------------------------------------------------------------------------------------------------------
# 1. The custom consensus rule is never a server path

def _protocol_form(client, study_id: int, **fields) -> dict:
    page = client.get(f"/organiser/studies/{study_id}/protocol")
    assert page.status_code == 200
    form = {"csrf_token": csrf_from(page.data), "rated_kinds": ["indicator"], "q1_key": "agreement",
            "q1_label": "Agree?", "q1_points": "3", "rule": "custom", "stability_threshold": "0.15",
            "stopping": "all_decided_or_stable", "max_rounds": "3", "quartiles": "linear",
            "respondents": "any_rating", "withdrawn_ratings": "keep", "consent_text": "Agree to take part."}
    form.update(fields)
    return form


def _study(app) -> int:
    with app.app_context():
        study = make_study(n_experts=1)
        db.session.commit()
        return study.id


def _rule_of(app, study_id: int):
    with app.app_context():
        return db.session.get(Study, study_id).protocol["rule"]


GOOD_RULE = {"name": "from-a-file", "source": "t", "otherwise": "no",
             "clauses": [{"when": {"agree_pct": [">=", 0.75]}, "outcome": "yes"}]}


@pytest.mark.parametrize("path", ["/etc/passwd", "/etc/shadow", "rule-file"])
def test_a_custom_rule_naming_a_server_file_is_refused_without_reading_it(app, client, login_as, tmp_path, path):
    if path == "rule-file":  # a file shaped like a rule: it must not be accepted nor shown
        rule_file = tmp_path / "secret-rule.json"
        rule_file.write_text(json.dumps(GOOD_RULE))
        path = str(rule_file)
    study_id = _study(app)
    login_as("olga@example.org")
    r = client.post(f"/organiser/studies/{study_id}/protocol",
                    data=_protocol_form(client, study_id, custom_rule=json.dumps(path)))
    assert r.status_code == 400
    assert b"not valid JSON" not in r.data and b"from-a-file" not in r.data and b"cannot be read" not in r.data
    assert b"a preset name or a JSON object" in r.data
    assert _rule_of(app, study_id) == "mlm-2021"


def test_the_preset_select_cannot_name_a_file_either(app, client, login_as, tmp_path):
    rule_file = tmp_path / "rule.json"
    rule_file.write_text(json.dumps(GOOD_RULE))
    study_id = _study(app)
    login_as("olga@example.org")
    r = client.post(f"/organiser/studies/{study_id}/protocol", data=_protocol_form(client, study_id,
                                                                                   rule=str(rule_file)))
    assert r.status_code == 400
    assert _rule_of(app, study_id) == "mlm-2021"


def test_an_inline_rule_object_is_still_accepted(app, client, login_as):
    study_id = _study(app)
    login_as("olga@example.org")
    r = client.post(f"/organiser/studies/{study_id}/protocol",
                    data=_protocol_form(client, study_id, custom_rule=json.dumps(GOOD_RULE)))
    assert r.status_code == 302, r.data[-600:]
    assert _rule_of(app, study_id)["name"] == "from-a-file"


def test_the_protocol_service_and_the_library_read_no_rule_file(app, tmp_path):
    from delphi.services.studies import protocols
    rule_file = tmp_path / "rule.json"
    rule_file.write_text(json.dumps(GOOD_RULE))
    protocol = protocols.default_protocol() | {"rule": str(rule_file)}
    with pytest.raises(InvalidInput, match="a preset name or a JSON object"):
        protocols.validate(protocol)
    with pytest.raises(RuleError, match="not a preset"):
        load_rule(str(rule_file))
    with pytest.raises(RuleError, match="not a preset"):
        load_rule(rule_file)


def test_the_cli_still_reads_a_rule_file(tmp_path, capsys):
    ratings = tmp_path / "r.csv"
    ratings.write_text("round,item,panelist,rating\n1,A,p1,3\n1,A,p2,3\n")
    rule_file = tmp_path / "rule.json"
    rule_file.write_text(json.dumps(GOOD_RULE))
    assert analyse_main(["analyse", str(ratings), "--scale", "1-3", "--rule", str(rule_file)]) == 0
    assert '"from-a-file"' in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------------------------
# 2. Spreadsheets bounded before they cost

def test_a_framework_workbook_reaching_column_xfd_is_refused_before_its_cells_are_read():
    data = crafted_xlsx(xfd_rows(300, INDICATOR_HEADER))
    with pytest.raises(fwlib.FrameworkError, match=r"sheet indicators: a cell in column XFD .* the limit is \d+"):
        fwlib.load(data, "xlsx", filename="crafted.xlsx")


def test_a_framework_workbook_with_rows_far_down_is_refused():
    data = crafted_xlsx(xfd_rows(0, INDICATOR_HEADER) + '<row r="1048576"><c r="A1048576"/></row>')
    with pytest.raises(fwlib.FrameworkError, match=r"sheet indicators: a row numbered 1048576; the limit is \d+ rows"):
        fwlib.load(data, "xlsx", filename="crafted.xlsx")


def test_a_workbook_row_with_too_many_cells_is_refused():
    cells = '<c r="A2"/>' * 20_000  # one coordinate again and again: the width stays 1, the count grows
    data = crafted_xlsx(xfd_rows(0, INDICATOR_HEADER) + f'<row r="2">{cells}</row>')
    with pytest.raises(fwlib.FrameworkError, match=r"sheet indicators: row 2 has more than \d+ cells"):
        fwlib.load(data, "xlsx", filename="crafted.xlsx")


def test_a_normal_framework_workbook_still_loads():
    shipped = fwlib.load_path(Path(fwlib.__file__).parent / "data" / "1plusmg-mlm.json")
    again = fwlib.load(fwlib.dump(shipped, "xlsx"), "xlsx", filename="mlm.xlsx", name=shipped.name)
    assert again.domains == shipped.domains


def test_delphi_analyse_refuses_a_ratings_workbook_reaching_column_xfd(tmp_path, capsys):
    rows = xfd_rows(0, RATINGS_HEADER) + "".join(
        f'<row r="{r}"><c r="A{r}"><v>1</v></c>{_inline(f"B{r}", "A")}{_inline(f"C{r}", f"p{r}")}'
        f'<c r="D{r}"><v>3</v></c><c r="XFD{r}"/></row>' for r in range(2, 300))
    path = tmp_path / "ratings.xlsx"
    path.write_bytes(crafted_xlsx(rows, sheet="ratings"))
    assert analyse_main(["analyse", str(path), "--scale", "1-3"]) == 2
    err = capsys.readouterr().err
    assert "a cell in column XFD" in err and "the limit is" in err and "\n" not in err.rstrip("\n")


def test_delphi_analyse_still_reads_a_plain_workbook(tmp_path, capsys):
    rows = xfd_rows(0, RATINGS_HEADER) + "".join(
        f'<row r="{r}"><c r="A{r}"><v>1</v></c>{_inline(f"B{r}", "A")}{_inline(f"C{r}", f"p{r}")}'
        f'<c r="D{r}"><v>3</v></c></row>' for r in range(2, 6))
    path = tmp_path / "ratings.xlsx"
    path.write_bytes(crafted_xlsx(rows, sheet="ratings"))
    assert analyse_main(["analyse", str(path), "--scale", "1-3"]) == 0
    assert json.loads(capsys.readouterr().out)["items"][0]["n"] == 4


# ---------------------------------------------------------------------------------------------------------------
# 3. Large inputs stay proportionate

def _framework_document(n_indicators: int) -> dict:
    indicators = [{"code": f"I.1.{i}", "statement": f"S {i}", "levels": ["a", "b", "c", "d", "e"]}
                  for i in range(1, n_indicators + 1)]
    return {"name": "Big", "domains": [{"code": "I", "title": "D", "subdomains": [
        {"code": "I.1", "title": "S", "indicators": indicators}]}]}


def test_a_framework_over_the_indicator_limit_is_refused_before_it_is_validated():
    limit = fwlib.MAX_INDICATORS
    data = json.dumps(_framework_document(limit + 1)).encode()
    with pytest.raises(fwlib.FrameworkError, match=f"more than {limit} indicators"):
        fwlib.load(data, "json", filename="big.json")
    assert len(fwlib.load(json.dumps(_framework_document(3)).encode(), "json", filename="ok.json").domains) == 1


def test_a_framework_csv_over_the_indicator_limit_is_refused():
    limit = fwlib.MAX_INDICATORS
    lines = [",".join(INDICATOR_HEADER)] + [f"I,D,I.1,S,I.1.{i},S {i},a,b,c,d,e" for i in range(1, limit + 2)]
    with pytest.raises(fwlib.FrameworkError, match=f"more than {limit} indicators"):
        fwlib.load("\n".join(lines).encode(), "csv", filename="big.csv")


def test_a_rule_over_the_clause_limit_is_refused():
    from delphi.stats.rules import MAX_CLAUSES, MAX_CONDITIONS
    clauses = [{"when": {"agree_pct": [">=", 0.5]}, "outcome": f"o{i}"} for i in range(MAX_CLAUSES + 1)]
    with pytest.raises(RuleError, match=f"more than {MAX_CLAUSES} clauses"):
        load_rule({"name": "big", "otherwise": "x", "clauses": clauses})
    many = {"when": {"agree_pct": [[">=", 0.1]] * (MAX_CONDITIONS + 1)}, "outcome": "y"}
    with pytest.raises(RuleError, match=f"more than {MAX_CONDITIONS} conditions"):
        load_rule({"name": "big", "otherwise": "x", "clauses": [many]})


def test_a_custom_rule_over_the_clause_limit_is_refused_by_the_form(app, client, login_as):
    study_id = _study(app)
    login_as("olga@example.org")
    rule = {"name": "big", "otherwise": "x",
            "clauses": [{"when": {"agree_pct": [">=", 0.5]}, "outcome": f"o{i}"} for i in range(5_000)]}
    r = client.post(f"/organiser/studies/{study_id}/protocol",
                    data=_protocol_form(client, study_id, custom_rule=json.dumps(rule)))
    assert r.status_code == 400 and b"more than 200 clauses" in r.data
    assert _rule_of(app, study_id) == "mlm-2021"


# ---------------------------------------------------------------------------------------------------------------
# 4. No 500 on hostile nesting

def test_jsonsafe_refuses_deep_and_large_documents_with_a_value_error():
    with pytest.raises(jsonsafe.JSONRefused, match="nested more than"):
        jsonsafe.loads(deep_json())
    with pytest.raises(ValueError, match="larger than"):
        jsonsafe.loads("[" + "1," * 600_000 + "1]", max_bytes=1_000_000)
    assert jsonsafe.loads('{"a": ["[[[", {"b": "]]]"}]}') == {"a": ["[[[", {"b": "]]]"}]}
    with pytest.raises(jsonsafe.JSONRefused, match="not valid JSON"):
        jsonsafe.loads("{nope")


def test_a_deeply_nested_custom_rule_is_a_400(app, client, login_as):
    study_id = _study(app)
    login_as("olga@example.org")
    r = client.post(f"/organiser/studies/{study_id}/protocol",
                    data=_protocol_form(client, study_id, custom_rule=deep_json()))
    assert r.status_code == 400 and b"nested more than" in r.data


def test_a_deeply_nested_panel_confirmation_is_a_clear_refusal(app, client, login_as):
    study_id = _study(app)
    login_as("olga@example.org")
    page = client.get(f"/organiser/studies/{study_id}/panel")
    r = client.post(f"/organiser/studies/{study_id}/panel/csv/confirm",
                    data={"csrf_token": csrf_from(page.data), "rows": deep_json()})
    assert r.status_code in (302, 400)
    follow = client.get(f"/organiser/studies/{study_id}/panel") if r.status_code == 302 else r
    assert b"The confirmation was damaged" in follow.data


def test_request_get_json_is_safe_app_wide(app):
    from werkzeug.exceptions import BadRequest
    with app.test_request_context("/", method="POST", data=deep_json(), content_type="application/json"):
        from flask import request
        assert request.get_json(silent=True) is None
        with pytest.raises(BadRequest, match="nested more than"):
            request.get_json()


def test_the_autosave_answers_a_deeply_nested_body_with_a_400(app, client, login_as):
    from tests.study_helpers import open_first_round
    with app.app_context():
        rnd = open_first_round(make_study(n_experts=1))
        db.session.commit()
        round_id = rnd.id
    login_as("expert1@example.org")
    page = client.get(f"/expert/rounds/{round_id}", follow_redirects=True)
    r = client.post(f"/expert/rounds/{round_id}/autosave", data=deep_json(), content_type="application/json",
                    headers={"X-CSRFToken": csrf_from(page.data)})
    assert r.status_code == 400 and r.json["ok"] is False


# ---------------------------------------------------------------------------------------------------------------
# 5. Restore refuses bombs early

def test_restore_refuses_a_compression_bomb_from_its_headers_and_restores_nothing(app, runner, tmp_path):
    from delphi.services.operations import backup as service
    good = tmp_path / "good.zip"
    assert runner.invoke(args=["delphi", "backup", str(good)]).exit_code == 0
    bomb = tmp_path / "bomb.zip"
    backup_bomb(good, bomb, megabytes=64)
    result = runner.invoke(args=["delphi", "restore", str(bomb)])
    assert result.exit_code != 0
    assert "compression ratio" in result.output and "nothing was restored" in result.output
    with app.app_context():
        assert sum(service.table_counts().values()) == 0
        assert db.session.scalar(select(Study)) is None
