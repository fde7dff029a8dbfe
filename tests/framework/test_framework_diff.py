import dataclasses
from typing import Any

import framework
from framework import Change, GlossaryTerm, WordOp
from framework.diff import word_ops


def _subdomain(document: dict[str, Any], code: str) -> dict[str, Any]:
    return next(s for d in document["domains"] for s in d["subdomains"] if s["code"] == code)


def _indicator(document: dict[str, Any], code: str) -> dict[str, Any]:
    return next(i for d in document["domains"] for s in d["subdomains"] for i in s["indicators"] if i["code"] == code)


def test_diff_of_identical_frameworks_is_empty(mlm):
    assert framework.diff(mlm, mlm) == []


def test_diff_lists_exactly_the_edits_in_document_order(mlm, mlm_document):
    document = mlm_document
    _indicator(document, "II.3.2")["statement"] = (
        "There is a national framework for cost-effectiveness assessment of genomic tests and services."
    )
    _indicator(document, "III.1.2")["levels"][2] = "Norms are being drafted, but not yet adopted."
    moved = _indicator(document, "III.4.3")
    _subdomain(document, "III.4")["indicators"].remove(moved)
    _subdomain(document, "III.5")["indicators"].append(moved)
    v1 = _subdomain(document, "V.1")
    v1["indicators"] = [i for i in v1["indicators"] if i["code"] != "V.1.2"]
    new = {"code": "VIII.4.5", "statement": "Genomic data are FAIR.", "levels": ["1.", "2.", "3.", "4.", "5."]}
    _subdomain(document, "VIII.4")["indicators"].append(new)
    edited = framework.from_dict(document, filename="edited.json")

    changes = framework.diff(mlm, edited)

    assert [change.summary() for change in changes] == [
        "reworded indicator II.3.2 statement",
        "reworded level 3 of indicator III.1.2",
        "moved indicator III.4.3 from III.4 to III.5",
        "removed indicator V.1.2",
        "added indicator VIII.4.5",
    ]
    statement, level, move, removal, addition = changes
    assert statement == Change(
        kind="reworded",
        element="indicator",
        code="II.3.2",
        field="statement",
        before="There is a framework for cost-effectiveness assessment of genomic tests.",
        after="There is a national framework for cost-effectiveness assessment of genomic tests and services.",
        words=(
            WordOp("equal", "There is a"),
            WordOp("insert", " national"),
            WordOp("equal", " framework for cost-effectiveness assessment of genomic tests"),
            WordOp("insert", " and services"),
            WordOp("equal", "."),
        ),
    )
    assert (level.element, level.code, level.field) == ("level", "III.1.2", "level_3")
    assert level.before == "Norms are implemented but not yet consistently enforced"
    assert level.words == (
        WordOp("equal", "Norms are "),
        WordOp("delete", "implemented"),
        WordOp("insert", "being drafted,"),
        WordOp("equal", " but not yet "),
        WordOp("delete", "consistently enforced"),
        WordOp("insert", "adopted."),
    )
    assert (move.kind, move.field, move.before, move.after, move.words) == ("moved", "parent", "III.4", "III.5", ())
    assert (removal.before, removal.after) == ("Genomics is integrated in general curricula for nurses.", None)
    assert (addition.before, addition.after) == (None, "Genomic data are FAIR.")
    assert addition.words == (WordOp("insert", "Genomic data are FAIR."),)


def test_swapping_two_domains_moves_one_and_nothing_else(mlm):
    domains = list(mlm.domains)
    domains[2], domains[3] = domains[3], domains[2]
    changes = framework.diff(mlm, dataclasses.replace(mlm, domains=tuple(domains)))
    assert [change.summary() for change in changes] == ["moved domain IV from position 4 to 3"]


def test_removing_an_element_does_not_move_its_later_siblings(mlm):
    domains = mlm.domains[:1] + mlm.domains[2:]
    changes = framework.diff(mlm, dataclasses.replace(mlm, domains=domains))
    assert {change.kind for change in changes} == {"removed"}
    assert [change.code for change in changes] == ["II", "II.1", "II.1.1", "II.2", "II.2.1", "II.3", "II.3.1",
                                                   "II.3.2", "II.3.3"]


def test_renumbered_indicator_is_removed_and_added(mlm, mlm_document):
    _indicator(mlm_document, "II.3.2")["code"] = "II.3.9"
    changes = framework.diff(mlm, framework.from_dict(mlm_document, filename="renumbered.json"))
    assert [change.summary() for change in changes] == ["removed indicator II.3.2", "added indicator II.3.9"]


def test_titles_metadata_generic_levels_and_glossary_are_compared(mlm, mlm_document):
    mlm_document["domains"][0]["title"] = "Governance and Strategy"
    mlm_document["short_name"] = "MLM"
    mlm_document["generic_levels"]["1"] = "Ad hoc or absent"
    edited = framework.from_dict(mlm_document, filename="edited.json")
    edited = dataclasses.replace(edited, glossary=(*mlm.glossary, GlossaryTerm(term="NGS",
                                                                                definition="Sequencing.")))

    changes = framework.diff(mlm, edited)

    assert [change.summary() for change in changes] == [
        "reworded framework short_name",
        "reworded generic level 1",
        "added glossary term NGS definition",
        "reworded domain I title",
    ]
    assert changes[3].words == (WordOp("equal", "Governance and "), WordOp("delete", "strategy"),
                                WordOp("insert", "Strategy"))
    back = framework.diff(edited, mlm)
    assert "removed glossary term NGS definition" in [change.summary() for change in back]


def test_guidance_added_is_a_rewording_from_nothing(mlm):
    indicator = mlm.domains[0].subdomains[0].indicators[0]
    with_guidance = dataclasses.replace(indicator, guidance="Ask the ministry.")
    subdomain = dataclasses.replace(mlm.domains[0].subdomains[0], indicators=(with_guidance,))
    domain = dataclasses.replace(mlm.domains[0], subdomains=(subdomain, *mlm.domains[0].subdomains[1:]))
    edited = dataclasses.replace(mlm, domains=(domain, *mlm.domains[1:]))
    [change] = framework.diff(mlm, edited)
    assert (change.kind, change.field, change.before) == ("reworded", "guidance", None)
    assert change.after == "Ask the ministry."
    assert change.words == (WordOp("insert", "Ask the ministry."),)


def test_word_ops_join_adjacent_replacements_across_a_space():
    assert word_ops("the quick brown fox", "the slow red fox") == (
        WordOp("equal", "the "),
        WordOp("delete", "quick brown"),
        WordOp("insert", "slow red"),
        WordOp("equal", " fox"),
    )


def test_word_ops_treat_punctuation_as_its_own_token():
    assert word_ops("levels, monitored.", "levels; monitored.") == (
        WordOp("equal", "levels"),
        WordOp("delete", ","),
        WordOp("insert", ";"),
        WordOp("equal", " monitored."),
    )
