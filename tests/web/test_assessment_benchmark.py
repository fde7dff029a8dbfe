"""The anonymous benchmark as published editions: the viewer sees the other contributors of the latest edition
(never their own organisation), only with at least k others; correct median and highest level; only opted-in
organisations' latest finalised assessment counts; no other organisation is ever named; no participant can
difference the figures (issue 14)."""
from __future__ import annotations

import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.conftest import csrf_from
from tests.web.test_assessment_fixtures import add_member, fill, start

OTHERS = {"Bravo Health Region": "bravo", "Charlie National System": "charlie", "Delta Care": "delta",
          "Echo Not Opted In": "echo", "Foxtrot Still Drafting": "foxtrot"}


def level_a(n: int) -> int:  # the viewer (Portugal)
    return 1 + n % 5


def level_b(n: int) -> int:
    return 2 + n % 4


def level_c(n: int) -> int | None:
    return None if n == 0 else 3  # indicator 0 not applicable: only two levels remain there


def _org(app, name: str, slug: str, *, opt_in: bool, levels, finalise: bool = True,
         reference_date: date = date(2025, 6, 30), title: str = "Assessment") -> int:
    add_member(app, name, f"lead@{slug}.example", "lead", name=f"Lead of {name}")
    aid = start(app, name, f"lead@{slug}.example", title=title, reference_date=reference_date, opt_in=opt_in)
    fill(app, aid, f"lead@{slug}.example", level=lambda n, code: levels(n), target=None, finalise=finalise)
    return aid


def _capture_pdf_html(monkeypatch) -> list[str]:
    from delphi.services.assessments import exports

    seen: list[str] = []
    original = exports.to_pdf

    def spy(html, stylesheets):
        seen.append(html)
        return original(html, stylesheets)

    monkeypatch.setattr(exports, "to_pdf", spy)
    return seen


def _everything(client, aid: int, monkeypatch) -> tuple[str, dict, list[str], str]:
    seen = _capture_pdf_html(monkeypatch)
    page = client.get(f"/assessor/assessments/{aid}/benchmark")
    assert page.status_code == 200
    doc = json.loads(client.get(f"/assessor/assessments/{aid}/export.json").data)
    wb = load_workbook(io.BytesIO(client.get(f"/assessor/assessments/{aid}/export.xlsx").data))
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    pdf = client.get(f"/assessor/assessments/{aid}/export.pdf")
    assert pdf.data.startswith(b"%PDF")
    return page.data.decode(), doc, cells + wb.sheetnames, seen[-1]


def _assert_nobody_named(html: str, doc: dict, cells: list[str], pdf_html: str) -> None:
    text = "\n".join([html, json.dumps(doc), "\n".join(cells), pdf_html])
    for name, slug in OTHERS.items():
        assert name not in text, name
        assert slug not in text.lower(), slug


@pytest.fixture
def k3(app, monkeypatch):
    """k = 3 (the floor) keeps the worlds small; the default of 5 has its own test."""
    monkeypatch.setitem(app.config, "BENCHMARK_MIN_ORGANISATIONS", 3)


def _publish(app, client, login_as, make_user, *, expect_ok: bool = True) -> str:
    """The administrator publishes an edition of the shipped MLM's benchmark through the admin page."""
    from delphi.extensions import db
    from delphi.services.frameworks import versions

    with app.app_context():
        version_id = versions.ensure_shipped().id
        db.session.commit()
    try:
        make_user("root@example.org", roles=("admin",))
    except Exception:  # already there (a second edition)
        pass
    login_as("root@example.org")
    page = client.get("/admin/benchmark")
    assert page.status_code == 200
    r = client.post(f"/admin/benchmark/{version_id}/publish", data={"csrf_token": csrf_from(page.data)},
                    follow_redirects=True)
    text = r.data.decode()
    assert ("of the benchmark of 1plusmg-mlm:2022 published" in text) is expect_ok, text
    client.post("/auth/logout", data={"csrf_token": csrf_from(text)})
    return text


def _rows(client, aid: int) -> dict:
    doc = json.loads(client.get(f"/assessor/assessments/{aid}/export.json").data)
    return doc["benchmark"]


def _others(app):
    _org(app, "Bravo Health Region", "bravo", opt_in=True, levels=lambda n: 5, reference_date=date(2023, 1, 1),
         title="Old")  # superseded by Bravo's later one: only the latest finalised counts
    _org(app, "Bravo Health Region", "bravo", opt_in=True, levels=level_b)
    _org(app, "Charlie National System", "charlie", opt_in=True, levels=level_c)
    _org(app, "Delta Care", "delta", opt_in=True, levels=lambda n: 1)
    _org(app, "Echo Not Opted In", "echo", opt_in=False, levels=lambda n: 5)
    _org(app, "Foxtrot Still Drafting", "foxtrot", opt_in=True, levels=lambda n: 5, finalise=False)


def test_nothing_is_shown_before_an_edition_is_published(app, client, login_as, monkeypatch, k3):
    mine = _org(app, "Portugal", "pt", opt_in=True, levels=level_a)
    _others(app)
    login_as("lead@pt.example")
    html, doc, cells, pdf_html = _everything(client, mine, monkeypatch)
    assert "No benchmark edition has been published" in html
    assert "Median</th>" not in html
    assert doc["benchmark"]["available"] is False and "indicators" not in doc["benchmark"]
    assert "Benchmark" not in cells  # no benchmark sheet
    assert "No benchmark to show" in pdf_html
    _assert_nobody_named(html, doc, cells, pdf_html)


def test_an_edition_needs_k_others_for_every_contributor(app, client, login_as, make_user, k3):
    """Three contributors: the live benchmark gave each the other two's exact levels; now no edition exists."""
    mine = _org(app, "Portugal", "pt", opt_in=True, levels=level_a)
    _org(app, "Bravo Health Region", "bravo", opt_in=True, levels=level_b)
    _org(app, "Charlie National System", "charlie", opt_in=True, levels=level_c)
    text = _publish(app, client, login_as, make_user, expect_ok=False)
    assert "3 organisation(s) contribute" in text and "at least 4" in text
    login_as("lead@pt.example")
    assert _rows(client, mine)["available"] is False


def test_the_viewer_sees_the_other_contributors_of_the_edition(app, client, login_as, make_user, monkeypatch, k3):
    mine = _org(app, "Portugal", "pt", opt_in=True, levels=level_a)
    _others(app)
    _publish(app, client, login_as, make_user)
    login_as("lead@pt.example")
    html, doc, cells, pdf_html = _everything(client, mine, monkeypatch)
    bench = doc["benchmark"]
    assert bench["available"] is True and bench["edition"] == 1 and bench["other_organisations"] == "at least 3"
    assert "at least 3 other organisations</strong>, not including yours" in html
    rows = {r["code"]: r for r in bench["indicators"]}
    assert len(rows) == 49
    # By hand, the others only (Bravo 2 + n % 4, Charlie 3 except N/A on n = 0, Delta 1); Portugal's own level is
    # never among them.
    # I.1.1 (n=0): Bravo 2, Delta 1 -> fewer than 3 levels, hidden.
    assert rows["I.1.1"] == {"code": "I.1.1", "own_level": 1, "median": None, "highest": None}
    # I.2.1 (n=1): 3, 3, 1 -> median 3, highest 3.
    assert (rows["I.2.1"]["median"], rows["I.2.1"]["highest"]) == (3.0, 3)
    # II.1.1 (n=3): 5, 3, 1 -> median 3, highest 5.
    assert (rows["II.1.1"]["median"], rows["II.1.1"]["highest"]) == (3.0, 5)
    for n, code in enumerate(list(rows)[1:], start=1):
        values = sorted([level_b(n), 3, 1])
        assert (rows[code]["median"], rows[code]["highest"]) == (float(values[1]), values[2]), code
    assert "too few levels to show" in html
    assert "Benchmark" in cells and "at least 3 other organisations" in pdf_html
    _assert_nobody_named(html, doc, cells, pdf_html)


def test_changing_ones_own_answers_and_looking_again_tells_nothing(app, client, login_as, make_user, k3):
    """The differencing attack of the review: the attacker finalises all-1, looks, finalises all-5, looks again
    (even after a new edition): the figures about the others do not move, so nothing about them can be solved for."""
    _org(app, "Portugal", "pt", opt_in=True, levels=level_a)
    _others(app)
    _publish(app, client, login_as, make_user)
    login_as("lead@pt.example")
    seen = []
    for i, level in enumerate((1, 5)):
        aid = _org(app, "Portugal", "pt", opt_in=True, levels=lambda n, v=level: v, title=f"Probe {i}",
                   reference_date=date(2026, 1, 1 + i))
        seen.append([(r["median"], r["highest"]) for r in _rows(client, aid)["indicators"]])
    assert seen[0] == seen[1]
    client.post("/auth/logout", data={"csrf_token": csrf_from(client.get("/assessor/").data)})
    _publish(app, client, login_as, make_user)  # edition 2 holds the attacker's all-5
    login_as("lead@pt.example")
    again = _rows(client, aid)
    assert again["edition"] == 2 and [(r["median"], r["highest"]) for r in again["indicators"]] == seen[0]


def test_an_organisation_outside_the_edition_sees_nothing(app, client, login_as, make_user, k3):
    mine = _org(app, "Portugal", "pt", opt_in=False, levels=lambda n: 5)
    _others(app)
    _org(app, "Golf Region", "golf", opt_in=True, levels=lambda n: 4)
    _publish(app, client, login_as, make_user)
    login_as("lead@pt.example")
    bench = _rows(client, mine)
    assert bench["available"] is False and "Only organisations that contributed" in bench["reason"]
    html = client.get(f"/assessor/assessments/{mine}/benchmark").data.decode()
    assert "Only organisations that contributed" in html and "Median</th>" not in html


def test_others_median_of_an_even_number_is_the_mean_of_the_middle_two(app, client, login_as, make_user, k3):
    mine = _org(app, "Portugal", "pt", opt_in=True, levels=level_a)
    _others(app)
    _org(app, "Golf Region", "golf", opt_in=True, levels=lambda n: 4)
    _publish(app, client, login_as, make_user)
    login_as("lead@pt.example")
    rows = {r["code"]: r for r in _rows(client, mine)["indicators"]}
    # I.1.1: Bravo 2, Delta 1, Golf 4 (Charlie N/A) -> 1 2 4: median 2, highest 4.
    assert (rows["I.1.1"]["median"], rows["I.1.1"]["highest"]) == (2.0, 4)
    # I.2.1: Bravo 3, Charlie 3, Delta 1, Golf 4 -> 1 3 3 4: median 3, highest 4; I.3.1: 4 3 1 4 -> 3.5.
    assert (rows["I.2.1"]["median"], rows["I.2.1"]["highest"]) == (3.0, 4)
    assert rows["I.3.1"]["median"] == 3.5
    html = client.get(f"/assessor/assessments/{mine}/benchmark").data.decode()
    assert "<td class=\"num\">3.5</td>" in html and "below by 0.5" in html


def test_k_defaults_to_five_and_is_never_below_three(app, monkeypatch):
    from delphi.services.assessments import benchmark

    with app.app_context():
        monkeypatch.delitem(app.config, "BENCHMARK_MIN_ORGANISATIONS", raising=False)
        assert benchmark.min_organisations() == 5
        monkeypatch.setitem(app.config, "BENCHMARK_MIN_ORGANISATIONS", 1)
        assert benchmark.min_organisations() == 3


def test_the_scheduled_command_publishes_only_what_changed(app, runner, k3):
    _org(app, "Portugal", "pt", opt_in=True, levels=level_a)
    _others(app)
    first = runner.invoke(args=["delphi", "publish-benchmarks"])
    assert first.exit_code == 0 and "edition 1 published" in first.output, first.output
    again = runner.invoke(args=["delphi", "publish-benchmarks"])
    assert "unchanged since the latest edition" in again.output
    _org(app, "Golf Region", "golf", opt_in=True, levels=lambda n: 4)
    third = runner.invoke(args=["delphi", "publish-benchmarks"])
    assert "edition 2 published" in third.output


def test_the_benchmark_shows_the_organisations_own_history_and_domain_levels(app, client, login_as, make_user,
                                                                             k3):
    """The overlay of the viewer's own earlier finalised assessments, and domains at a glance: each other
    organisation's domain level is the mean of its levels there; median and highest over those, by hand."""
    _org(app, "Portugal", "pt", opt_in=True, levels=lambda n: 1, reference_date=date(2022, 6, 30), title="2022")
    mine = _org(app, "Portugal", "pt", opt_in=True, levels=level_a, reference_date=date(2025, 6, 30))
    _others(app)
    _publish(app, client, login_as, make_user)
    login_as("lead@pt.example")
    html = client.get(f"/assessor/assessments/{mine}/benchmark").data.decode()
    assert "Yours, 2022-06-30" in html and "“2022” (2022-06-30)" in html
    from delphi.extensions import db
    from delphi.models.assessment import Assessment
    from delphi.services.assessments import answers, benchmark, lifecycle

    with app.app_context():
        a = db.session.get(Assessment, mine)
        tree = lifecycle.tree(a.version)
        bench = benchmark.for_assessment(a, tree, answers.answers(a))
        first = bench.domains[0]  # domain I: indicators n = 0, 1, 2
        assert [r.earlier for r in first.rows] == [(1,), (1,), (1,)]
        assert first.own_mean == round((level_a(0) + level_a(1) + level_a(2)) / 3, 2)
        # Others' domain-I levels: Bravo (2 + n % 4) → mean(2, 3, 4) = 3; Charlie (N/A at n=0) → mean(3, 3) = 3;
        # Delta → 1. Median 3, highest 3.
        assert (first.median_mean, first.highest_mean) == (3.0, 3.0)
        assert first.earlier_means == (1.0,)
        assert bench.domain_chart is not None and len(bench.domain_chart.axes) == len(tree.domains)
    assert 'id="bench-domain-table"' in html and "mean of its levels" in html
