"""Archiving a Delphi run elsewhere through the pages: upload, preview (nothing stored), confirm; then the study's
dashboard, item flow, report (HTML, PDF), data package and release, each saying it is archived."""
from __future__ import annotations

import html
import io
import json
import re
import zipfile

import pytest
from sqlalchemy import func, select

from delphi.extensions import db
from delphi.models import Decision, Panelist, Rating, Round, Study, User
from delphi.services.studies import decisions
from tests.conftest import csrf_from
from tests.study_helpers import organiser

# Round 1: items Q1–Q3 rated by five panelists; round 2 re-rates Q2 and Q3 (Q1 reached consensus).
LONG = ("round,item,panelist,rating,comment\n"
        + "".join(f"1,Q1,p{i},5,\n" for i in range(1, 6))
        + "1,Q2,p1,2,too vague\n1,Q2,p2,4,\n1,Q2,p3,3,\n1,Q2,p4,5,\n1,Q2,p5,1,\n"
        + "1,Q3,p1,3,\n1,Q3,p2,3,\n1,Q3,p3,,\n1,Q3,p4,4,\n1,Q3,p5,2,\n"
        + "2,Q2,p1,4,\n2,Q2,p2,4,\n2,Q2,p3,5,\n2,Q2,p4,5,\n2,Q2,p5,4,\n"
        + "2,Q3,p1,4,\n2,Q3,p2,3,\n2,Q3,p3,4,\n2,Q3,p4,4,\n2,Q3,p5,2,\n")
# The same study as one wide file per round (one row per respondent, one column per item).
WIDE_R1 = "id,Q1,Q2,Q3\np1,5,2,3\np2,5,4,3\np3,5,3,\np4,5,5,4\np5,5,1,2\n"
WIDE_R2 = "id,Q2,Q3\np1,4,4\np2,4,3\np3,5,4\np4,5,4\np5,4,2\n"
TEXTS = ("code,text\nQ1,Data are shared under a national policy\nQ2,Funding is sustained beyond pilots\n"
         "Q3,Patients take part in governance\n")


@pytest.fixture
def olga(app):
    with app.app_context():
        organiser()
        db.session.commit()


def _form(client, ratings: list[tuple[str, str]], texts: tuple[str, str] = ("items.csv", TEXTS), **fields):
    page = client.get("/organiser/archives/new")
    assert page.status_code == 200
    data = {"csrf_token": csrf_from(page.data), "title": "Genomics policy Delphi 2023", "tool": "LimeSurvey 2023",
            "shape": "long", "points": "5", "rule": "mlm-2021", **fields,
            "ratings": [(io.BytesIO(body.encode()), name) for name, body in ratings],
            "texts": (io.BytesIO(texts[1].encode()), texts[0])}
    return client.post("/organiser/archives/preview", data=data, content_type="multipart/form-data")


def _confirm(client, preview) -> int:
    text = preview.data.decode()
    payload = html.unescape(re.search(r'name="payload" value="([^"]*)"', text).group(1))
    stored = client.post("/organiser/archives", data={"csrf_token": csrf_from(preview.data), "payload": payload})
    assert stored.status_code == 302, stored.data[:500]
    return int(stored.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count(Study.id))), db.session.scalar(select(func.count(Rating.id))),
                db.session.scalar(select(func.count(User.id))))


def _walk_the_archived_study(app, client, study_id: int) -> None:
    """Dashboard, flow, report (HTML, PDF), data package and release: all work and all say archived."""
    label = "imported from LimeSurvey 2023"
    page = client.get(f"/organiser/studies/{study_id}")
    assert page.status_code == 200 and label in page.data.decode() and b"not run on this platform" in page.data
    assert b"Open round" not in page.data  # no round can open
    with app.app_context():
        study = db.session.get(Study, study_id)
        rounds = [(r.id, r.number, r.status.value, len(r.round_items)) for r in study.rounds]
        assert [r[1:] for r in rounds] == [(1, "closed", 3), (2, "closed", 2)]
        assert all(r.results and r.results["questions"]["agreement"] for r in study.rounds)
        assert [p.pseudonym for p in study.panelists] == ["E01", "E02", "E03", "E04", "E05"]
        assert not any(p.user.active or p.user.password_hash for p in study.panelists)
    for round_id, number, _, _ in rounds:
        dash = client.get(f"/organiser/rounds/{round_id}")
        assert dash.status_code == 200 and label in dash.data.decode()
    assert label in client.get(f"/organiser/studies/{study_id}/flow").data.decode()
    report = client.get(f"/organiser/studies/{study_id}/report")
    assert report.status_code == 200 and label in report.data.decode() and b"ACCORD" in report.data
    assert b"Protocol as recorded at import" in report.data and b"as pre-registered" not in report.data
    assert b"registration / protocol fixed in advance (archived study: as the original study did it)" in report.data
    pdf = client.get(f"/organiser/studies/{study_id}/report.pdf")
    assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF"
    package = client.get(f"/organiser/studies/{study_id}/data-package.zip")
    with zipfile.ZipFile(io.BytesIO(package.data)) as z:
        assert label in z.read("README.md").decode()
        assert json.loads(z.read("protocol.json"))["archive"]["tool"] == "LimeSurvey 2023"
        assert "Q2" in z.read("ratings.csv").decode()
    # The organiser decides the last round on the dashboard, as in any study, then releases.
    with app.app_context():
        last = db.session.get(Round, rounds[-1][0])
        for ri in last.round_items:
            decisions.decide(last, ri.item, Decision.ACCEPT, by=organiser())
        db.session.commit()
    form = client.get(f"/organiser/studies/{study_id}/release")
    released = client.post(f"/organiser/studies/{study_id}/release", follow_redirects=True,
                           data={"csrf_token": csrf_from(form.data), "label": "2023", "notes": ""})
    assert released.status_code == 200 and b"How to cite" in released.data and label in released.data.decode()
    with app.app_context():
        version = db.session.get(Study, study_id).released_version
        assert version.status.value == "released" and label in version.release_notes
        public = f"/frameworks/{version.framework.slug}/{version.label}"
    assert label in client.get(public).data.decode()


def test_a_long_csv_is_previewed_then_stored_as_a_two_round_archived_study(app, client, login_as, olga):
    login_as("olga@example.org")
    before = _counts(app)
    preview = _form(client, [("ratings.csv", LONG)])
    text = preview.data.decode()
    assert preview.status_code == 200, text
    assert "2 round(s) · 3 items · 5 panelists" in text and "Store as an archived study" in text
    assert _counts(app) == before  # the preview stores nothing
    study_id = _confirm(client, preview)
    again = client.post("/organiser/archives", data={"csrf_token": csrf_from(preview.data), "payload": html.unescape(
        re.search(r'name="payload" value="([^"]*)"', preview.data.decode()).group(1))})
    assert again.status_code == 400 and "already archived" in again.data.decode()  # a second click stores nothing
    assert _counts(app)[0] == before[0] + 1
    _walk_the_archived_study(app, client, study_id)


def test_a_wide_csv_per_round_makes_the_same_archived_study(app, client, login_as, olga):
    login_as("olga@example.org")
    preview = _form(client, [("round1.csv", WIDE_R1), ("round2.csv", WIDE_R2)], shape="wide")
    assert preview.status_code == 200, preview.data.decode()
    assert "2 round(s) · 3 items · 5 panelists" in preview.data.decode()
    study_id = _confirm(client, preview)
    with app.app_context():
        study = db.session.get(Study, study_id)
        stored = {(r.number, ri.item.code) for r in study.rounds for ri in r.round_items}
        assert stored == {(1, "Q1"), (1, "Q2"), (1, "Q3"), (2, "Q2"), (2, "Q3")}
        assert db.session.scalar(select(func.count(Rating.id)).join(Round).where(Round.study_id == study_id)) == 25
    _walk_the_archived_study(app, client, study_id)


def test_other_column_names_and_a_title_line_are_read_as_delphi_analyse_reads_them(app, client, login_as, olga):
    login_as("olga@example.org")
    sheet = "Welphi export, 2023\n" + LONG.replace("round,item,panelist,rating,comment",
                                                   "Round,Statement,Expert ID,Answer,Remark")
    preview = _form(client, [("welphi.csv", sheet)], skip_rows="1", columns="panelist=Expert ID,rating=Answer")
    assert preview.status_code == 200, preview.data.decode()
    assert "2 round(s) · 3 items · 5 panelists" in preview.data.decode()


def test_a_refused_file_shows_its_line_and_stores_nothing(app, client, login_as, olga):
    login_as("olga@example.org")
    before = _counts(app)
    bad = LONG.replace("1,Q2,p4,5,", "1,Q2,p4,7,")  # off the 1–5 scale, on line 10
    preview = _form(client, [("ratings.csv", bad)])
    text = preview.data.decode()
    assert preview.status_code == 400 and "nothing was stored" in text
    assert "ratings.csv: line 10" in text and "Store as an archived study" not in text
    untexted = _form(client, [("ratings.csv", LONG)], texts=("items.csv", "code,text\nQ1,One\nQ2,\n"))
    assert untexted.status_code == 400
    assert "items.csv: line 3: item Q2 has no text" in untexted.data.decode()
    assert _counts(app) == before


def test_a_tampered_confirmation_is_checked_again_and_stores_nothing(app, client, login_as, olga):
    login_as("olga@example.org")
    preview = _form(client, [("ratings.csv", LONG)])
    payload = json.loads(html.unescape(re.search(r'name="payload" value="([^"]*)"', preview.data.decode()).group(1)))
    import base64
    payload["ratings"][0]["data"] = base64.b64encode(LONG.replace("2,Q3,p5,2,", "2,Q3,p5,9,").encode()).decode()
    before = _counts(app)
    stored = client.post("/organiser/archives", data={"csrf_token": csrf_from(preview.data),
                                                      "payload": json.dumps(payload)})
    assert stored.status_code == 400 and _counts(app) == before


def test_an_archived_study_opens_no_round_and_invites_nobody(app, client, login_as, olga):
    login_as("olga@example.org")
    study_id = _confirm(client, _form(client, [("ratings.csv", LONG)]))
    page = client.get(f"/organiser/studies/{study_id}")
    token = csrf_from(page.data)
    refused = client.post(f"/organiser/studies/{study_id}/rounds", data={"csrf_token": token,
                                                                         "deadline": "2099-01-01T12:00"},
                          follow_redirects=True)
    assert b"archived study" in refused.data
    invited = client.post(f"/organiser/studies/{study_id}/panel/invite", data={"csrf_token": token},
                          follow_redirects=True)
    assert b"archived study" in invited.data
    with app.app_context():
        study = db.session.get(Study, study_id)
        assert len(study.rounds) == 2 and all(not r.is_open for r in study.rounds)
        assert db.session.scalar(select(func.count(Panelist.id)).where(Panelist.study_id == study_id)) == 5


def test_a_windows_csv_and_named_item_columns_are_read_as_the_form_says(app, client, login_as, olga):
    """The form offers what delphi analyse offers for these: the encoding (Excel on Windows writes Windows-1252)
    and, for a wide table, a regular expression naming the item columns."""
    login_as("olga@example.org")
    cp1252 = LONG.replace("too vague", "zu vage – Prüfung nötig").encode("cp1252")
    page = client.get("/organiser/archives/new")
    data = {"csrf_token": csrf_from(page.data), "title": "Windows file", "tool": "Excel", "shape": "long",
            "points": "5", "rule": "mlm-2021", "ratings": [(io.BytesIO(cp1252), "ratings.csv")],
            "texts": (io.BytesIO(TEXTS.encode()), "items.csv")}
    refused = client.post("/organiser/archives/preview", data=dict(data), content_type="multipart/form-data")
    assert refused.status_code == 400 and "cp1252" in refused.data.decode()
    page = client.get("/organiser/archives/new")
    data.update(csrf_token=csrf_from(page.data), encoding="cp1252",
                ratings=[(io.BytesIO(cp1252), "ratings.csv")], texts=(io.BytesIO(TEXTS.encode()), "items.csv"))
    preview = client.post("/organiser/archives/preview", data=data, content_type="multipart/form-data")
    assert preview.status_code == 200, preview.data.decode()[:2000]
    study_id = _confirm(client, preview)
    with app.app_context():
        from delphi.models import Comment

        assert db.session.scalar(select(Comment.text).join(Round).where(Round.study_id == study_id)) == \
            "zu vage – Prüfung nötig"
    # LimeSurvey's `lastpage` holds small numbers that look like ratings: only the expression tells them apart.
    wide = "id,lastpage,Q1,Q2,Q3\np1,3,5,2,3\np2,3,5,4,3\np3,2,5,3,\np4,3,5,5,4\np5,3,5,1,2\n"
    preview = _form(client, [("round1.csv", wide)], title="Wide with dates", shape="wide", id_column="id",
                    item_columns=r"^Q\d+$")
    assert preview.status_code == 200, preview.data.decode()[:2000]
    text = preview.data.decode()
    assert "1 round(s) · 3 items · 5 panelists" in text and "<code>lastpage</code>" not in text
    # The rounds table counts the items as numbers (a dict's .items once printed a method there).
    assert re.search(r'<tr><td>1</td><td class="num">3</td><td class="num">5</td>', text)
