import csv
import dataclasses
import io

import openpyxl
import pytest

import framework
from framework import Framework, GlossaryTerm


def _texts(fw: Framework) -> list[str]:
    """Every structural text, in order: titles, statements, guidance and levels."""
    texts: list[str] = []
    for domain in fw.domains:
        texts += [domain.code, domain.title]
        for subdomain in domain.subdomains:
            texts += [subdomain.code, subdomain.title]
            for indicator in subdomain.indicators:
                texts += [indicator.code, indicator.statement, indicator.guidance or "", *indicator.levels]
    return texts


@pytest.mark.parametrize("fmt", ["json", "yaml", "xlsx"])
def test_mlm_round_trips_through_every_full_format(mlm, fmt):
    loaded = framework.load(framework.dump(mlm, fmt), fmt, filename=f"mlm.{fmt}")
    counts = loaded.counts()
    assert (counts.domains, counts.subdomains, counts.indicators, counts.levels) == (8, 33, 49, 245)
    assert loaded == mlm
    assert framework.dump(loaded, "json") == framework.dump(mlm, "json")


def test_mlm_round_trips_through_csv_in_structure_and_text(mlm):
    loaded = framework.load(framework.dump(mlm, "csv"), "csv", filename="mlm.csv")
    assert loaded.domains == mlm.domains
    assert _texts(loaded) == _texts(mlm)
    assert sum(len(indicator.levels) for indicator in loaded.indicators()) == 245
    assert loaded.name == "mlm"  # a CSV carries no metadata: the name comes from the file name


def test_csv_has_one_row_per_indicator_with_the_documented_columns(mlm):
    lines = framework.dump(mlm, "csv").decode().splitlines()
    assert lines[0] == (
        "domain_code,domain_title,subdomain_code,subdomain_title,indicator_code,statement,guidance,"
        "level_1,level_2,level_3,level_4,level_5"
    )
    assert len(lines) == 1 + 49


def test_xlsx_has_indicator_framework_and_glossary_sheets(mlm):
    workbook = openpyxl.load_workbook(io.BytesIO(framework.dump(mlm, "xlsx")))
    assert workbook.sheetnames == ["indicators", "framework", "glossary"]
    metadata = {row[0]: row[1] for row in workbook["framework"].iter_rows(min_row=2, values_only=True)}
    assert metadata["generic_level_3"] == "Documented, functional and monitored"
    assert workbook["indicators"]["F2"].value == mlm.find("I.1.1").statement


@pytest.mark.parametrize("fmt", ["json", "yaml", "xlsx"])
def test_glossary_and_guidance_survive_full_formats(minimal_document, fmt):
    minimal_document["glossary"] = [{"term": "Norms", "definition": "Legislation, policies, codes of conduct."}]
    minimal_document["domains"][0]["subdomains"][0]["indicators"][0]["guidance"] = "Look at the budget."
    fw = framework.from_dict(minimal_document, filename="tiny.json")
    assert framework.load(framework.dump(fw, fmt), fmt, filename=f"tiny.{fmt}") == fw
    assert fw.glossary == (GlossaryTerm(term="Norms", definition="Legislation, policies, codes of conduct."),)


def test_spreadsheet_look_alikes_stay_text_in_xlsx(minimal_document):
    indicator = minimal_document["domains"][0]["subdomains"][0]["indicators"][0]
    indicator["statement"] = "=SUM(A1:A2)"
    indicator["levels"] = ["#N/A", "TRUE", "3", "2021-01-01", "_x0041_"]
    fw = framework.from_dict(minimal_document, filename="tiny.json")
    assert framework.load(framework.dump(fw, "xlsx"), "xlsx", filename="tiny.xlsx") == fw


def test_load_path_picks_the_format_from_the_extension(mlm, tmp_path):
    for suffix, fmt in [(".json", "json"), (".yaml", "yaml"), (".yml", "yaml"), (".XLSX", "xlsx")]:
        path = tmp_path / f"mlm{suffix}"
        path.write_bytes(framework.dump(mlm, fmt))
        assert framework.load_path(path) == mlm
    csv_path = tmp_path / "mlm.csv"
    csv_path.write_bytes(framework.dump(mlm, "csv"))
    assert framework.load_path(csv_path, name="1+MG from CSV").name == "1+MG from CSV"


def test_name_override_replaces_the_name_in_any_format(mlm):
    for fmt in framework.FORMATS:
        assert framework.load(framework.dump(mlm, fmt), fmt, filename=f"x.{fmt}", name="Renamed").name == "Renamed"


def test_csv_from_a_spreadsheet_program_loads(mlm):
    """Semicolons, a byte-order mark, CRLF line ends and blank lines, as Excel saves in many locales."""
    rows = list(csv.reader(io.StringIO(framework.dump(mlm, "csv").decode())))[:3]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    data = "\ufeff" + buffer.getvalue() + "\r\n"
    fw = framework.load(data.encode(), "csv", filename="excel.csv")
    assert [indicator.code for indicator in fw.indicators()] == ["I.1.1", "I.2.1"]


def test_csv_guidance_column_is_optional():
    header = "domain_code,domain_title,subdomain_code,subdomain_title,indicator_code,statement," + ",".join(
        f"level_{n}" for n in range(1, 6)
    )
    data = f"{header}\nA,Dom,A.1,Sub,A.1.1,Stmt,1,2,3,4,5\nA,Dom,A.1,Sub,A.1.2,Two,1,2,3,4,5\n".encode()
    fw = framework.load(data, "csv", filename="plain.csv")
    assert fw.counts().indicators == 2 and fw.find("A.1.1").guidance is None


def test_xlsx_accepts_whole_number_codes_and_no_framework_sheet(minimal_document):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "indicators"
    sheet.append(["domain_code", "domain_title", "subdomain_code", "subdomain_title", "indicator_code",
                  "statement", "level_1", "level_2", "level_3", "level_4", "level_5"])
    sheet.append([1, "Dom", "1.1", "Sub", "1.1.1", "Stmt", "a", "b", "c", "d", "e"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    fw = framework.load(buffer.getvalue(), "xlsx", filename="numbers.xlsx")
    assert fw.domains[0].code == "1" and fw.name == "numbers"


def test_dump_refuses_an_unknown_format(mlm):
    with pytest.raises(ValueError, match="unknown format"):
        framework.dump(mlm, "xml")


def test_yaml_generic_level_keys_may_be_unquoted_numbers(minimal_document):
    levels = "\n".join(f"  {n}: Level {n}" for n in range(1, 6))
    data = f"name: Tiny\ngeneric_levels:\n{levels}\n".encode() + framework.dump(
        framework.from_dict(minimal_document, filename="t"), "yaml"
    ).split(b"\n", 1)[1]
    fw = framework.load(data, "yaml", filename="tiny.yaml")
    assert fw.generic_levels == tuple(f"Level {n}" for n in range(1, 6))
    assert dataclasses.replace(fw, generic_levels=()) == framework.from_dict(minimal_document, filename="t")
