"""Small cells in public outputs (issue 14): no row of the public report's panel composition, and no combination
of group and country in the data package, describes fewer than the threshold (3) of panelists."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import Counter

import pytest

from delphi.extensions import db
from delphi.models import Study
from delphi.services.release import disclosure
from delphi.services.studies import design, rounds
from tests.study_helpers import make_study, open_first_round, organiser, rate_all

# 7 panelists: 4 clinicians (3 in PT, 1 in DE), 2 policy (DE), 1 patient (CZ): every group but one and every
# country but one is under 3 somewhere.
PANEL = [("clinician", "PT"), ("clinician", "PT"), ("clinician", "PT"), ("clinician", "DE"),
         ("policy", "DE"), ("policy", "DE"), ("patient", "CZ")]


def _study(app, *, consent: bool = False) -> int:
    with app.app_context():
        study = make_study(n_experts=len(PANEL))
        if consent:
            protocol = dict(study.protocol)
            protocol["publish_panel_attributes"] = True
            design.set_protocol(study, protocol, by=organiser())
        for p, (group, country) in zip(sorted(study.panelists, key=lambda p: p.pseudonym), PANEL, strict=True):
            p.stakeholder_group, p.country = group, country
        rnd = open_first_round(study)
        rate_all(rnd, {"E01": 3, "E07": 1})
        rounds.close(rnd, by=organiser())
        db.session.commit()
        return study.id


def _package(client, login_as, study_id) -> zipfile.ZipFile:
    login_as("olga@example.org")
    r = client.get(f"/organiser/studies/{study_id}/data-package.zip")
    assert r.status_code == 200
    return zipfile.ZipFile(io.BytesIO(r.data))


def _rows(z, name):
    return list(csv.DictReader(io.StringIO(z.read(name).decode())))


def test_the_public_report_pools_groups_and_countries_of_fewer_than_three(app, client, login_as):
    study_id = _study(app)
    with app.app_context():
        from delphi.services.release import report

        composition = report.build(db.session.get(Study, study_id))["composition"]
    assert all(row["panelists"] >= 3 for row in composition.values()), composition
    assert "group: patient" not in composition and "country: CZ" not in composition
    assert composition["group: clinician"]["panelists"] == 4
    assert sum(r["panelists"] for k, r in composition.items() if k.startswith("group: ")) == 7
    assert sum(r["panelists"] for k, r in composition.items() if k.startswith("country: ")) == 7
    login_as("olga@example.org")
    html = client.get(f"/organiser/studies/{study_id}/report").data.decode()
    assert "group: patient" not in html and "country: CZ" not in html and "pooled" in html


def test_the_data_package_publishes_no_combination_of_fewer_than_three(app, client, login_as):
    study_id = _study(app)
    z = _package(client, login_as, study_id)
    panel = _rows(z, "panel.csv")
    combos = Counter((r["stakeholder_group"], r["country"]) for r in panel)
    assert all(n >= 3 for n in combos.values()), combos
    assert ("clinician", "PT") in combos  # what is safe is kept
    assert "patient" not in z.read("panel.csv").decode() and "CZ" not in z.read("panel.csv").decode()
    ratings = _rows(z, "ratings.csv")
    if "group" in ratings[0]:
        by_group = Counter(r["group"] for r in ratings if r["item"] == ratings[0]["item"])
        assert all(n >= 3 for n in by_group.values()) and "patient" not in by_group
    stored = json.loads(z.read("results/round-1.json"))["questions"]["agreement"]
    assert {str(r["group"]) for r in stored["groups"]} <= {"clinician"}
    assert "withheld" in z.read("README.md").decode()


def test_with_the_panels_consent_the_package_keeps_group_and_country(app, client, login_as):
    study_id = _study(app, consent=True)
    z = _package(client, login_as, study_id)
    combos = Counter((r["stakeholder_group"], r["country"]) for r in _rows(z, "panel.csv"))
    assert combos[("patient", "CZ")] == 1


@pytest.mark.parametrize("people", [
    [("a", "x")] * 3 + [("b", "y")] * 1,
    [("a", "x")] * 5 + [("a", "y")] * 2 + [("b", "y")] * 1 + [("c", "z")] * 1,
    [("a", "x")] * 3 + [("a", "y")] * 3 + [("b", "z")] * 2,
    [(g, c) for g in "abcd" for c in "xyz"],
    [("a", "x")],
])
def test_generalised_combinations_are_never_smaller_than_k(people):
    k = 3
    out = disclosure.generalise(dict(enumerate(people)), k)
    counts = Counter(out.values())
    if len(people) >= k:
        assert all(n >= k for n in counts.values()), counts
    for pid, (g, c) in out.items():  # a value is either kept or withheld, never changed into another
        assert g in (people[pid][0], disclosure.WITHHELD) and c in (people[pid][1], disclosure.WITHHELD)
    if people[:3] == [("a", "x")] * 3:  # a combination of k is kept as it is
        assert out[0] == ("a", "x") or counts[(disclosure.WITHHELD,) * 2] >= k


def test_merged_rows_keep_the_totals_and_have_no_small_row():
    rows = {"a": {"n": 5, "x": 4}, "b": {"n": 1, "x": 1}, "c": {"n": 1, "x": 0}}
    out = disclosure.merge_small_rows(rows, 3, size="n", other="others")
    assert sum(r["n"] for r in out.values()) == 7 and sum(r["x"] for r in out.values()) == 5
    assert all(r["n"] >= 3 for r in out.values()) and out == {"a and others": {"n": 7, "x": 5}}
    rows["d"] = {"n": 2, "x": 2}
    assert disclosure.merge_small_rows(rows, 3, size="n", other="others") == {"a": {"n": 5, "x": 4},
                                                                             "others": {"n": 4, "x": 3}}
