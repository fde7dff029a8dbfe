import dataclasses
import json
from pathlib import Path

import pytest

import framework
from framework import Domain, Indicator, Subdomain

ROOT = Path(__file__).resolve().parents[2]
SHARED_MLM = Path("/work/shared/mlm/1plusmg-mlm.json")


def test_shipped_mlm_has_the_published_structure(mlm):
    counts = mlm.counts()
    assert (counts.domains, counts.subdomains, counts.indicators, counts.levels) == (8, 33, 49, 245)
    assert [domain.code for domain in mlm.domains] == ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
    assert len(mlm.generic_levels) == 5 and mlm.generic_levels[0] == "Ad hoc"


def test_shipped_mlm_keeps_its_attribution(mlm):
    assert "B1MG" in mlm.source and "951724" in mlm.source
    assert mlm.numbering_note


@pytest.mark.skipif(not SHARED_MLM.exists(), reason="shared source file not present")
def test_shipped_file_is_the_source_plus_its_published_glossary():
    """The shipped file is the published framework with the published glossary added (and its attribution)."""
    shipped = json.loads(framework.data_path("1plusmg-mlm").read_text(encoding="utf-8"))
    source = json.loads(SHARED_MLM.read_text(encoding="utf-8"))
    glossary = json.loads((SHARED_MLM.parent / "glossary.json").read_text(encoding="utf-8"))
    assert shipped.pop("glossary") == glossary
    assert shipped.pop("source").startswith(source.pop("source")) and shipped == source


def test_packaged_schema_is_the_published_schema():
    packaged = Path(framework.__file__).parent / "data" / "framework.schema.json"
    assert packaged.read_bytes() == (ROOT / "docs" / "framework.schema.json").read_bytes()


def test_dumping_the_shipped_mlm_as_json_reproduces_the_file(mlm):
    assert framework.dump(mlm, "json") == framework.data_path("1plusmg-mlm").read_bytes()


def test_to_dict_keeps_the_key_order_of_the_shipped_file(mlm, mlm_document):
    assert list(framework.to_dict(mlm)) == list(mlm_document)
    assert framework.to_dict(mlm) == mlm_document


def test_find_returns_any_element_by_code(mlm):
    indicator = mlm.find("II.3.2")
    assert isinstance(indicator, Indicator) and indicator.statement.startswith("There is a framework for cost")
    assert isinstance(mlm.find("II.3"), Subdomain)
    assert isinstance(mlm.find("II"), Domain)
    assert mlm.find("IX.9.9") is None
    assert mlm.parent_code("II.3.2") == "II.3" and mlm.parent_code("II.3") == "II" and mlm.parent_code("II") is None


def test_indicators_iterates_in_document_order(mlm):
    codes = [indicator.code for indicator in mlm.indicators()]
    assert codes[:3] == ["I.1.1", "I.2.1", "I.3.1"] and len(codes) == len(set(codes)) == 49


def test_indicator_refuses_other_than_five_levels():
    with pytest.raises(ValueError, match="5 levels"):
        Indicator(code="X", statement="s", levels=("1", "2", "3", "4"))  # type: ignore[arg-type]


def test_checksum_depends_on_content_not_on_format(mlm):
    from_yaml = framework.load(framework.dump(mlm, "yaml"), "yaml", filename="mlm.yaml")
    assert framework.checksum(from_yaml) == framework.checksum(mlm)
    assert len(framework.checksum(mlm)) == 64
    edited = dataclasses.replace(mlm, name="Another name")
    assert framework.checksum(edited) != framework.checksum(mlm)


def test_minimal_document_loads_with_defaults(minimal_document):
    fw = framework.from_dict(minimal_document, filename="tiny.json")
    assert (fw.short_name, fw.source, fw.generic_levels, fw.glossary) == ("", "", (), ())
    assert fw.find("A.1.2").guidance is None
    assert framework.to_dict(fw) == minimal_document


def test_texts_are_stripped_and_line_ends_normalised(minimal_document):
    minimal_document["domains"][0]["title"] = "  Domain A\r\nsecond line  "
    fw = framework.from_dict(minimal_document, filename="tiny.json")
    assert fw.domains[0].title == "Domain A\nsecond line"


def test_shipped_names_lists_the_mlm_and_not_the_schema():
    assert framework.shipped_names() == ("1plusmg-mlm",)
    with pytest.raises(framework.FrameworkError, match="no shipped framework"):
        framework.load_shipped("../schema")


def test_public_api_is_exported():
    for name in ["Framework", "Domain", "Subdomain", "Indicator", "GlossaryTerm", "FrameworkError", "load",
                 "load_path", "dump", "to_dict", "from_dict", "checksum", "diff", "Change", "WordOp", "FORMATS",
                 "MAX_FILE_BYTES", "load_shipped", "data_path"]:
        assert hasattr(framework, name), name
    assert framework.FORMATS == ("json", "yaml", "csv", "xlsx")
    assert framework.MAX_FILE_BYTES == 10 * 1024 * 1024
    assert json.loads(framework.dump(framework.load_shipped("1plusmg-mlm"), "json"))["short_name"] == "1+MG MLM"
