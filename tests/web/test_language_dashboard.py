"""The dashboard by language and comments marked with their language (issue 17), and the report's languages."""
from __future__ import annotations

import re

from delphi.extensions import db
from delphi.models import Study
from delphi.services.studies import ratings, rounds
from tests.study_helpers import make_study, open_first_round, organiser

DE = ("E04", "E05", "E06")


def _study(app, *, german: bool = True) -> tuple[int, int, int]:
    """6 experts rate the 8 domains; on domain I the English three agree (3), the German three rate 1, 1, 3.
    Returns (study id, round id, item id of domain I)."""
    with app.app_context():
        study = make_study(n_experts=6, kinds=("domain",))
        for p in study.panelists:
            p.language = "de" if german and p.pseudonym in DE else ""
        rnd = open_first_round(study)
        if german:  # offered once the round is open: no translated framework texts needed for this test
            study.protocol = {**study.protocol, "languages": ["en", "de"]}
        first = next(ri for ri in rnd.round_items if ri.item.code == "I")
        for p in study.panelists:
            for ri in rnd.round_items:
                value = 1 if ri is first and p.pseudonym in ("E04", "E05") else 3
                comment = None
                if ri is first and p.pseudonym in ("E01", "E04"):
                    comment = "Zu breit gefasst" if p.pseudonym == "E04" else "Too broad"
                ratings.save(rnd, p, ri.item_id, ratings={"agreement": value}, comment=comment)
        rounds.close(rnd, by=organiser())
        db.session.commit()
        return study.id, rnd.id, first.item_id


def _item_row(page: str, item_id: int) -> str:
    start = page.index(f'<tr id="item-{item_id}">')
    end = page.find('<tr id="item-', start + 1)
    return page[start:end if end > 0 else None]


def _cells(html: str) -> list[list[str]]:
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row) for row in re.findall(r"<tr>(.*?)</tr>", html, re.S)]


def test_the_language_view_shows_each_languages_agreement_and_median(app, client, login_as):
    _study_id, round_id, item_id = _study(app)
    login_as("olga@example.org")
    plain = client.get(f"/organiser/rounds/{round_id}").data.decode()
    assert 'id="f-languages"' in plain and 'value="languages"' in plain
    assert ">Language</th>" not in plain  # the view is chosen, not shown by default
    page = client.get(f"/organiser/rounds/{round_id}?view=languages").data.decode()
    row = _item_row(page, item_id)
    table = row[row.index('<table class="small groups">'):]
    table = table[:table.index("</table>")]
    cells = _cells(table)
    assert cells[0] == ["Language", "n", "Median", "Agree %"]
    assert ["English", "3", "3.0", "100"] in cells  # E01–E03: 3, 3, 3
    assert ["German", "3", "1.0", "33"] in cells    # E04–E06: 1, 1, 3 → median 1, 1 of 3 agree
    assert 'id="f-languages" name="view" value="languages" checked' in page
    groups = client.get(f"/organiser/rounds/{round_id}?view=groups").data.decode()
    assert ">Group</th>" in groups and ">Language</th>" not in groups


def test_comments_carry_their_language_marked_for_assistive_technology(app, client, login_as):
    _study_id, round_id, item_id = _study(app)
    login_as("olga@example.org")
    row = _item_row(client.get(f"/organiser/rounds/{round_id}").data.decode(), item_id)
    assert '<abbr title="German">de</abbr></span> <span class="comment-text" lang="de">Zu breit gefasst</span>' in row
    assert '<abbr title="English">en</abbr></span> <span class="comment-text" lang="en">Too broad</span>' in row


def test_a_one_language_round_has_no_language_view_and_unmarked_comments(app, client, login_as):
    _study_id, round_id, item_id = _study(app, german=False)
    login_as("olga@example.org")
    page = client.get(f"/organiser/rounds/{round_id}?view=languages").data.decode()
    assert 'id="f-languages"' not in page and ">Language</th>" not in page
    assert 'id="f-groups" name="view" value="groups"' in page  # the group view's checkbox, as before
    row = _item_row(page, item_id)
    assert '<span class="comment-text">Too broad</span>' in row and "lang=" not in row


def test_the_report_names_the_languages_offered_and_counts_the_ratings_in_each(app, client, login_as):
    study_id, _round_id, _item_id = _study(app)
    login_as("olga@example.org")
    html = client.get(f"/organiser/studies/{study_id}/report").data.decode()
    offered = html[html.index('id="languages-offered"'):]
    assert offered[:offered.index("</dd>")].count("English, German") == 1
    table = html[html.index('<h3 id="languages">'):]
    cells = _cells(table[:table.index("</table>")])
    assert ["English", "3", "24", "3"] in cells and ["German", "3", "24", "3"] in cells
    public = app.test_client().get(f"/studies/{study_id}/report")
    if public.status_code == 200:  # the public report (once released) says the same
        assert 'id="languages-offered"' in public.data.decode()
    with app.app_context():
        assert db.session.get(Study, study_id).protocol["languages"] == ["en", "de"]


def test_a_one_language_report_has_no_language_section(app, client, login_as):
    study_id, _round_id, _item_id = _study(app, german=False)
    login_as("olga@example.org")
    html = client.get(f"/organiser/studies/{study_id}/report").data.decode()
    assert 'id="languages-offered"' not in html and 'id="languages"' not in html
