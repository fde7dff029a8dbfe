"""Statistics, report and data package by language (issue 17): ratings given in several languages are pooled
into the same statistics, with per-language rows beside them, and a small language is published only pooled."""
from __future__ import annotations

import csv
import io
import json
import statistics
import zipfile

from sqlalchemy import update

from delphi.extensions import db
from delphi.models import Rating
from delphi.services.release import data_package, disclosure, report
from delphi.services.studies import exports, ratings, results, rounds
from tests.study_helpers import make_study, open_first_round, organiser

DE = ("E04", "E05", "E06")


def _value(pseudonym: str, position: int) -> int:
    """A rating on the 1–3 scale that differs between panelists and items."""
    return 1 + (int(pseudonym[1:]) * 2 + position) % 3


def _study(languages: dict[str, str], *, n: int = 6, protocol_languages: list[str] | None = None,
           publish: bool = False, comment: bool = False):
    """A closed round 1 on the 8 domains; languages: pseudonym → the language they rate in ('' or absent =
    the source language, English)."""
    study = make_study(n_experts=n, kinds=("domain",))
    if publish:
        study.protocol = {**study.protocol, "publish_panel_attributes": True}
    for p in study.panelists:
        p.language = languages.get(p.pseudonym, "")
    rnd = open_first_round(study)
    if protocol_languages:  # offered once the round is open: these tests need no translated framework texts
        study.protocol = {**study.protocol, "languages": protocol_languages}
    for p in study.panelists:
        for ri in rnd.round_items:
            ratings.save(rnd, p, ri.item_id, ratings={"agreement": _value(p.pseudonym, ri.position)},
                         comment=f"comment by {p.pseudonym}" if comment else None)
    rounds.close(rnd, by=organiser())
    db.session.flush()
    return study, rnd


def _by_hand(study, rnd) -> dict[tuple[str, str], tuple[float, float, int]]:
    """{(item, language): (% agreement, median, n)} computed from the stored ratings directly."""
    values: dict[tuple[str, str], list[int]] = {}
    for p in study.panelists:
        for ri in rnd.round_items:
            language = "de" if p.pseudonym in DE else "en"
            values.setdefault((ri.item.code, language), []).append(_value(p.pseudonym, ri.position))
    return {key: (sum(v == 3 for v in vs) / len(vs), float(statistics.median(vs)), len(vs))
            for key, vs in values.items()}


def _zip(study) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data_package.build(study)))


def _rows(z, name):
    return list(csv.DictReader(io.StringIO(z.read(name).decode())))


def test_close_stores_each_languages_agreement_and_median_beside_the_panels(ctx):
    study, rnd = _study(dict.fromkeys(DE, "de"))
    analysis = rnd.results["questions"]["agreement"]
    rows = {(r["item"], r["language"]): r for r in analysis["languages"]}
    expected = _by_hand(study, rnd)
    assert set(rows) == set(expected) and len(rows) == 16  # 8 domains × 2 languages
    for key, (agree, median, n) in expected.items():
        assert rows[key]["n"] == n == 3
        assert rows[key]["agree_pct"] == agree, key
        assert rows[key]["median"] == median, key
    assert {r["round"] for r in analysis["languages"]} == {1}
    # the stakeholder groups are still those of the panel, not the languages
    assert {r["group"] for r in analysis["groups"]} == {"clinician", "policy"}


def test_the_statistics_equal_those_of_the_same_ratings_in_one_language(ctx):
    study, rnd = _study(dict.fromkeys(DE, "de"))
    with_languages = json.loads(json.dumps(rnd.results))
    db.session.execute(update(Rating).values(language=""))
    alone = results.compute(rnd)
    assert "languages" not in alone["questions"]["agreement"]
    for analysis in with_languages["questions"].values():
        assert analysis.pop("languages")
    with_languages.pop("computed_at"), alone.pop("computed_at")
    assert with_languages == json.loads(json.dumps(alone))


def test_a_one_language_study_has_no_language_rows_column_or_section(ctx):
    study, rnd = _study({}, comment=True)
    assert "languages" not in rnd.results["questions"]["agreement"]
    assert not results.has_language_rows(rnd)
    data = report.build(study)
    assert data["languages"]["rows"] == {} and data["languages"]["offered"] == []
    assert "language" not in exports.ratings_csv(study).decode().splitlines()[0].split(",")
    z = _zip(study)
    assert "language" not in _rows(z, "ratings.csv")[0]
    assert "language" not in z.read("README.md").decode()
    assert "languages" not in json.loads(z.read("analysis.json"))
    assert "languages" not in json.loads(z.read("results/round-1.json"))["questions"]["agreement"]


def test_the_report_lists_the_languages_offered_and_the_ratings_in_each(ctx):
    study, rnd = _study({**dict.fromkeys(DE, "de"), "E01": "en"}, protocol_languages=["en", "de"])
    data = report.build(study)["languages"]
    assert data["offered"] == [("en", "English"), ("de", "German")]
    # 3 panelists in each language, 8 items each: 24 ratings per language
    assert data["rows"] == {"English": {"panelists": 3, "r1_ratings": 24, "r1_panelists": 3},
                            "German": {"panelists": 3, "r1_ratings": 24, "r1_panelists": 3}}


def test_languages_of_fewer_than_three_panelists_are_pooled_in_the_report(ctx):
    # 9 panelists: English 3, German 3, French 2, Italian 1 → French and Italian pooled (3 together)
    study, rnd = _study({**dict.fromkeys(DE, "de"), "E07": "fr", "E08": "fr", "E09": "it"}, n=9,
                        protocol_languages=["en", "de", "fr", "it"])
    rows = report.build(study)["languages"]["rows"]
    assert list(rows) == ["English", "German", "other languages"]
    assert rows["other languages"] == {"panelists": 3, "r1_ratings": 24, "r1_panelists": 3}
    assert all(row["panelists"] >= disclosure.threshold() for row in rows.values())


def test_a_small_language_pooled_alone_would_be_named_so_the_smallest_other_joins_it(ctx):
    # English 4, German 2: "other languages" of German alone would be German; English joins the pool
    study, rnd = _study({"E05": "de", "E06": "de"})
    data = report.build(study)["languages"]
    assert data["rows"] == {"other languages": {"panelists": 6, "r1_ratings": 48, "r1_panelists": 6}}
    assert set(data["published"].values()) == {disclosure.WITHHELD}
    z = _zip(study)
    assert "language" not in _rows(z, "ratings.csv")[0]  # nothing but "withheld" left: no column
    assert json.loads(z.read("results/round-1.json"))["questions"]["agreement"]["languages"] == []


def test_every_language_is_published_when_the_panel_agreed_to_publish_its_attributes(ctx):
    study, rnd = _study({**dict.fromkeys(DE, "de"), "E06": "fr"}, publish=True)
    rows = report.build(study)["languages"]["rows"]
    assert rows == {"English": {"panelists": 3, "r1_ratings": 24, "r1_panelists": 3},
                    "German": {"panelists": 2, "r1_ratings": 16, "r1_panelists": 2},
                    "French": {"panelists": 1, "r1_ratings": 8, "r1_panelists": 1}}
    by_panelist = {r["panelist"]: r["language"] for r in _rows(_zip(study), "ratings.csv")}
    assert by_panelist["E06"] == "fr" and by_panelist["E04"] == "de" and by_panelist["E01"] == "en"


def test_the_data_package_ratings_say_the_language_of_each_rating_and_withhold_small_ones(ctx):
    # English 3, German 3 (E04, E05, E07), French 1 (E06): French alone under 3 → German joins the pool
    # (German before English on a tie); English published
    study, rnd = _study({"E04": "de", "E05": "de", "E07": "de", "E06": "fr"}, n=7, comment=True,
                        protocol_languages=["en", "de", "fr"])
    z = _zip(study)
    rows = _rows(z, "ratings.csv")
    by_panelist = {r["panelist"]: r["language"] for r in rows}
    assert by_panelist == {"E01": "en", "E02": "en", "E03": "en", "E04": "withheld", "E05": "withheld",
                           "E06": "withheld", "E07": "withheld"}
    assert all(r["comment"] == f"comment by {r['panelist']}" for r in rows)  # each comment beside its language
    stored = json.loads(z.read("results/round-1.json"))["questions"]["agreement"]
    assert {r["language"] for r in stored["languages"]} == {"en"}
    assert stored["meta"]["languages_withheld"] is True
    readme = z.read("README.md").decode()
    assert "[, language]" in readme and "`withheld` where fewer than 3 panelists rated in a language" in readme
    assert json.loads(z.read("analysis.json"))["languages"] == ["en", "de", "fr"]
    # the organisers' own export keeps every language (they see the panel anyway), as it keeps every group
    organisers = list(csv.DictReader(io.StringIO(exports.ratings_csv(study).decode())))
    assert {r["panelist"]: r["language"] for r in organisers}["E06"] == "fr"
    assert {r["group"] for r in organisers} == {"clinician", "policy"}


def test_the_ratings_not_counted_file_withholds_small_languages_too(ctx):
    study, rnd = _study({"E04": "de", "E05": "de", "E07": "de", "E06": "fr"}, n=7)
    study.protocol = {**study.protocol, "respondents": "submitted"}  # nobody submitted: nothing counted
    z = _zip(study)
    left = _rows(z, "ratings-not-counted.csv")
    assert left and {r["language"] for r in left} == {"en", "withheld"}


def test_the_organisers_results_workbook_has_a_languages_sheet_only_with_several_languages(ctx):
    import openpyxl

    study, rnd = _study(dict.fromkeys(DE, "de"))
    sheets = openpyxl.load_workbook(io.BytesIO(exports.results_xlsx(rnd))).sheetnames
    assert "languages" in sheets and "groups" in sheets
    one, rnd_one = _study({}, n=3)
    assert "languages" not in openpyxl.load_workbook(io.BytesIO(exports.results_xlsx(rnd_one))).sheetnames


def test_published_groups_stay_in_the_results_when_only_submitted_ratings_count(ctx):
    """The package's results/ keep the groups it publishes when ratings-not-counted.csv is written too (the set
    of published groups was overwritten by a table there, which left every group out)."""
    study = make_study(n_experts=7, kinds=("domain",))
    study.protocol = {**study.protocol, "respondents": "submitted"}
    patient = next(p for p in study.panelists if p.pseudonym == "E07")
    patient.stakeholder_group = "patient"  # a group of one: generalised in the package
    rnd = open_first_round(study)
    for p in study.panelists:
        for ri in rnd.round_items:
            ratings.save(rnd, p, ri.item_id, ratings={"agreement": _value(p.pseudonym, ri.position)})
        if p.pseudonym != "E06":
            ratings.submit(rnd, p)
    rounds.close(rnd, by=organiser())
    db.session.flush()
    z = _zip(study)
    assert _rows(z, "ratings-not-counted.csv")
    stored = json.loads(z.read("results/round-1.json"))["questions"]["agreement"]
    # patient (1) is withheld and joined by the smaller-named of the two groups of 3 (clinician): policy stays
    assert {r["group"] for r in stored["groups"]} == {"policy"}
