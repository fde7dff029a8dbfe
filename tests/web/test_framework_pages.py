"""The organiser's framework pages over HTTP: browse, import, export, new draft, the editor, diff, permissions."""
from __future__ import annotations

import io
import json
import re
from html import unescape

import pytest
from sqlalchemy import func, select

import framework as fwlib
from tests.conftest import csrf_from

MLM = "/organiser/frameworks/1plusmg-mlm/versions/2022"


@pytest.fixture
def shipped(app):
    from delphi.extensions import db
    from delphi.services.frameworks import versions

    with app.app_context():
        versions.ensure_shipped()
        db.session.commit()


@pytest.fixture
def olga(make_user, login_as):
    uid = make_user("olga@example.org", name="Olga", roles=("organiser",))
    login_as("olga@example.org")
    return uid


def _version_count(app) -> int:
    from delphi.extensions import db
    from delphi.models import FrameworkVersion

    with app.app_context():
        return db.session.scalar(select(func.count(FrameworkVersion.id)))


def _document(app, ref: str) -> fwlib.Framework:
    from delphi.services.frameworks import versions

    with app.app_context():
        return versions.to_document(versions.get_version(ref))


def _post(client, page_path: str, action: str, data: dict, **kwargs):
    """Submit a form of a page the way a browser does: with the CSRF token read from that page."""
    token = csrf_from(client.get(page_path).data)
    return client.post(action, data={**data, "csrf_token": token}, **kwargs)


def _new_draft(client, label: str = "draft-2") -> str:
    r = _post(client, MLM, MLM + "/drafts", {"label": label})
    assert r.status_code == 302, r.data
    return f"/organiser/frameworks/1plusmg-mlm/versions/{label}"


def _alerts(html: bytes) -> list[str]:
    return [unescape(text) for text in re.findall(r'role="alert">([^<]*)<', html.decode())]


# --- Browse ----------------------------------------------------------------------------------------------------

def test_list_shows_versions_with_status_dates_and_attribution(client, shipped, olga):
    _new_draft(client)
    page = client.get("/organiser/frameworks").data.decode()
    assert "1+MG Maturity Level Model (MLM)" in page
    assert 'class="badge released"' in page and 'class="badge draft"' in page
    assert "(your draft)" in page and "B1MG project web version" in page
    assert re.search(r"<time datetime=\"\d{4}-", page)


def test_version_page_shows_five_levels_side_by_side_generic_levels_and_attribution(client, shipped, olga):
    r = client.get(MLM)
    page = r.data.decode()
    assert r.status_code == 200
    assert page.count('<table class="levels">') == 33
    assert len(re.findall(r'<tr id="el-[IVX]+\.\d+\.\d+">', page)) == 49
    assert "Level 5<br>" in page and "Adaptable to opportunity and change" in page
    assert 'class="attribution"' in page and "grant 951724" in page
    assert "No dedicated governance for genomics in healthcare." in page


def test_released_version_offers_a_new_draft_instead_of_edit_controls(client, shipped, olga):
    page = client.get(MLM).data.decode()
    assert "New draft from this version" in page and 'value="draft-2"' in page
    assert "Edit this draft" not in page and "/release" not in page
    r = client.get(MLM + "/edit")
    assert r.status_code == 302 and r.location.endswith(MLM)


def test_browse_page_query_count_does_not_grow_with_indicators(app, client, shipped, olga):
    from sqlalchemy import event

    from delphi.extensions import db

    statements = []
    with app.app_context():
        engine = db.engine

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get(MLM)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) < 25, statements


# --- New draft, the editor, diff ------------------------------------------------------------------------------

def test_new_draft_label_conflict_is_shown_next_to_the_field(app, client, shipped, olga):
    r = _post(client, MLM, MLM + "/drafts", {"label": "2022"})
    assert r.status_code == 400
    assert "already has a version labelled '2022'" in _alerts(r.data)[0]
    assert _version_count(app) == 1


def test_edits_through_the_editor_are_exactly_what_the_diff_lists(app, client, shipped, olga):
    draft = _new_draft(client)
    edit = draft + "/edit"
    dom_i = edit + "/domains/I"
    levels = _document(app, "1plusmg-mlm:2022").find("I.1.1").levels
    steps = [
        (dom_i, edit + "/indicators/I.1.1", {
            "i-I.1.1-statement": "Country/region has a dedicated and funded governance for genomics in healthcare.",
            "i-I.1.1-guidance": "",
            **{f"i-I.1.1-level_{n}": text for n, text in enumerate(levels, 1)},
            "i-I.1.1-level_2": "Elements of governance exist but are not yet functional."}),
        (dom_i, edit + "/elements/I.2/title", {"t-I.2-title": "Strategy and planning"}),
        (edit, edit + "/domains", {"dnew-code": "IX", "dnew-title": "Research"}),
        (edit + "/domains/IX", edit + "/domains/IX/subdomains", {"snew-code": "IX.1", "snew-title": "Funding"}),
        (edit + "/domains/IX", edit + "/subdomains/IX.1/indicators", {
            "n-IX.1-code": "IX.1.1", "n-IX.1-statement": "Research on genomics is funded.",
            **{f"n-IX.1-level_{n}": f"Level {n} text." for n in range(1, 6)}}),
        (dom_i, edit + "/elements/I.2.1/move", {"m-I.2.1-to": "IX.1"}),
        (dom_i, edit + "/elements/I.3/delete", {"confirm": "yes"}),
        (edit, edit + "/glossary", {"gnew-term": "NGS", "gnew-definition": "Next-generation sequencing."}),
        (edit, edit + "/metadata", {"meta-name": "1+MG Maturity Level Model (MLM)", "meta-short_name": "1+MG MLM",
                                    "meta-description": "Revised by our panel.",
                                    "meta-source": _document(app, "1plusmg-mlm:2022").source,
                                    "meta-numbering_note": _document(app, "1plusmg-mlm:2022").numbering_note}),
    ]
    for page, action, data in steps:
        r = _post(client, page, action, data)
        assert r.status_code == 302, (action, _alerts(r.data))
    changes = fwlib.diff(_document(app, "1plusmg-mlm:2022"), _document(app, "1plusmg-mlm:draft-2"))
    assert {(c.kind, c.element, c.code, c.field) for c in changes} == {
        ("reworded", "indicator", "I.1.1", "statement"),
        ("reworded", "level", "I.1.1", "level_2"),
        ("reworded", "subdomain", "I.2", "title"),
        ("added", "domain", "IX", None),
        ("added", "subdomain", "IX.1", None),
        ("added", "indicator", "IX.1.1", None),
        ("moved", "indicator", "I.2.1", "parent"),
        ("removed", "subdomain", "I.3", None),
        ("removed", "indicator", "I.3.1", None),  # I.3's only indicator goes with it
        ("added", "glossary", "NGS", "definition"),
        ("reworded", "metadata", "", "description"),
    }

    page = client.get("/organiser/frameworks/1plusmg-mlm/diff?from=2022&to=draft-2").data.decode()
    assert "Country/region has a dedicated<ins> and funded</ins> governance" in page
    assert "exist but <del>they </del>are not <del>fully</del><ins>yet</ins> functional." in page
    assert "moved indicator I.2.1 from I.2 to IX.1" in page

    with app.app_context():
        from delphi.extensions import db
        from delphi.models import AuditEvent

        actions = [a for a in db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))]
    assert actions[-9:] == ["reword_indicator", "retitle_element", "add_domain", "add_subdomain", "add_indicator",
                            "move_element", "delete_element", "add_glossary_term", "edit_framework_metadata"]
    assert "create_version" in actions


def test_delete_asks_for_confirmation_first(app, client, shipped, olga):
    draft = _new_draft(client)
    r = _post(client, draft + "/edit", draft + "/edit/elements/III/delete", {})
    page = r.data.decode()
    assert r.status_code == 200 and "Delete domain III?" in page
    assert "with its 5 subdomains and" in page and 'name="confirm" value="yes"' in page
    assert _document(app, "1plusmg-mlm:draft-2").find("III") is not None
    r = client.post(draft + "/edit/elements/III/delete", data={"confirm": "yes", "csrf_token": csrf_from(page)})
    assert r.status_code == 302 and _document(app, "1plusmg-mlm:draft-2").find("III") is None


def test_reorder_buttons_and_glossary_delete(app, client, shipped, olga):
    draft = _new_draft(client)
    edit = draft + "/edit"
    assert _post(client, edit, edit + "/elements/II/up", {}).status_code == 302
    assert [d.code for d in _document(app, "1plusmg-mlm:draft-2").domains][:2] == ["II", "I"]
    r = _post(client, edit, edit + "/elements/II/up", {}, follow_redirects=True)
    assert "Nothing was changed: II is already the first domain here." in r.data.decode()
    shipped_terms = _document(app, "1plusmg-mlm:draft-2").glossary  # the MLM's own 36
    _post(client, edit, edit + "/glossary", {"gnew-term": "NGS", "gnew-definition": "Sequencing."})
    assert len(_document(app, "1plusmg-mlm:draft-2").glossary) == len(shipped_terms) + 1
    term_id = re.search(r"/edit/glossary/(\d+)/delete\"(?:(?!/edit/glossary/).)*?Delete term NGS",
                        client.get(edit).data.decode(), re.S).group(1)
    assert _post(client, edit, f"{edit}/glossary/{term_id}/delete", {}).status_code == 302
    assert _document(app, "1plusmg-mlm:draft-2").glossary == shipped_terms


@pytest.mark.parametrize("page, action, data, message", [
    ("/edit/domains/I", "/edit/indicators/I.1.1", {"i-I.1.1-statement": "  "}, "This field is required."),
    ("/edit", "/edit/domains", {"dnew-code": "I.1", "dnew-title": "Clash"},
     "The code I.1 is already used by a subdomain of this version."),
    ("/edit", "/edit/domains", {"dnew-code": "a b", "dnew-title": "Bad"}, "is not a valid domain code"),
    ("/edit", "/edit/generic-levels", {"generic-level_1": "Only one"}, "Give all 5 generic levels or none"),
    ("/edit/domains/I", "/edit/subdomains/I.1/indicators",
     {"n-I.1-code": "I.1.9", "n-I.1-statement": "New.", "n-I.1-level_1": "One."}, "This field is required."),
    ("/edit/domains/I", "/edit/elements/I.1.1/move", {"m-I.1.1-to": "III"}, "Not a valid choice."),
])
def test_bad_editor_input_shows_a_clear_message_and_changes_nothing(app, client, shipped, olga, page, action, data,
                                                                    message):
    draft = _new_draft(client)
    before = fwlib.checksum(_document(app, "1plusmg-mlm:draft-2"))
    r = _post(client, draft + page, draft + action, data)
    assert r.status_code == 400
    html = r.data.decode()
    assert "Nothing was changed" in html
    assert any(message in alert for alert in _alerts(r.data)), _alerts(r.data)
    assert fwlib.checksum(_document(app, "1plusmg-mlm:draft-2")) == before


def test_edits_of_a_released_version_are_refused_over_http(app, client, shipped, olga):
    token = csrf_from(client.get(MLM).data)
    r = client.post(MLM + "/edit/elements/I.2/title", data={"t-I.2-title": "Hacked", "csrf_token": token})
    assert r.status_code == 409 and b"cannot be changed" in r.data
    r = client.post(MLM + "/edit/elements/I/delete", data={"csrf_token": token, "confirm": "yes"})
    assert r.status_code == 409
    assert _document(app, "1plusmg-mlm:2022") == fwlib.load_shipped("1plusmg-mlm")


def test_edit_without_csrf_token_is_refused(app, client, shipped, olga):
    draft = _new_draft(client)
    r = client.post(draft + "/edit/elements/I.2/title", data={"t-I.2-title": "No token"})
    assert r.status_code == 400
    assert _document(app, "1plusmg-mlm:draft-2").find("I.2").title != "No token"


def test_release_a_draft_then_it_is_immutable(app, client, shipped, olga):
    draft = _new_draft(client, "2025")
    r = _post(client, draft, draft + "/release", {"release_notes": "After our Delphi."}, follow_redirects=True)
    assert "is released" in r.data.decode() and 'class="badge released"' in r.data.decode()
    assert client.get(draft + "/edit").status_code == 302


def test_diff_page_lets_you_pick_two_versions(client, shipped, olga):
    _new_draft(client)
    page = client.get("/organiser/frameworks/1plusmg-mlm/diff").data.decode()
    assert '<option value="2022" selected>' in page and '<option value="draft-2" selected>' in page
    assert "No differences" in page
    assert client.get("/organiser/frameworks/1plusmg-mlm/diff?from=nope").status_code == 404
    assert client.get("/organiser/frameworks/unknown/diff").status_code == 404


# --- Import and export -----------------------------------------------------------------------------------------

def _upload(client, filename: str, data: bytes, **fields):
    token = csrf_from(client.get("/organiser/frameworks/import").data)
    return client.post("/organiser/frameworks/import", content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(data), filename), **fields})


@pytest.mark.parametrize("fmt", fwlib.FORMATS)
def test_import_each_format_as_a_new_draft_of_the_uploader(app, client, olga, fmt):
    data = fwlib.dump(fwlib.load_shipped("1plusmg-mlm"), fmt)
    r = _upload(client, f"mlm.{fmt}", data, slug="mlm")
    assert r.status_code == 302 and r.location.endswith("/organiser/frameworks/mlm/versions/draft-1")
    page = client.get(r.location).data.decode()
    assert "Imported mlm." in page and "8 domains, 33 subdomains, 49 indicators" in page
    assert "Edit this draft" in page
    assert _document(app, "mlm:draft-1").domains == fwlib.load_shipped("1plusmg-mlm").domains


def _mlm_json(edit) -> bytes:
    document = json.loads(fwlib.data_path("1plusmg-mlm").read_bytes())
    edit(document)
    return json.dumps(document).encode()


def _first_indicator(document):
    return document["domains"][0]["subdomains"][0]["indicators"][0]


def _xlsx_with_formula() -> bytes:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(fwlib.dump(fwlib.load_shipped("1plusmg-mlm"), "xlsx")))
    workbook["indicators"]["F2"] = '=CONCAT("Country", " has governance")'
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


MALFORMED = {
    "missing level": ("mlm.json", lambda: _mlm_json(lambda d: _first_indicator(d)["levels"].pop()), "levels"),
    "six levels": ("mlm.json", lambda: _mlm_json(lambda d: _first_indicator(d)["levels"].append("Six.")), "levels"),
    "duplicate codes": ("mlm.json", lambda: _mlm_json(
        lambda d: d["domains"][0]["subdomains"][1].update(code="I.1")), "duplicate code 'I.1'"),
    "empty statement": ("mlm.json", lambda: _mlm_json(lambda d: _first_indicator(d).update(statement="  ")),
                        "statement"),
    "wrong types": ("mlm.json", lambda: _mlm_json(lambda d: _first_indicator(d).update(statement=42)), "statement"),
    "not utf-8": ("mlm.csv", lambda: fwlib.dump(fwlib.load_shipped("1plusmg-mlm"), "csv").replace(
        b"Governance", "Gouvernance é".encode("latin-1")), "not UTF-8"),
    "over the size limit": ("big.json", lambda: b" " * (fwlib.MAX_FILE_BYTES + 1), "the limit is 10 MiB"),
    "xlsx with a formula": ("mlm.xlsx", _xlsx_with_formula, "formulas are not accepted"),
    "unknown file type": ("mlm.txt", lambda: b"hello", "unknown file type"),
    "not a workbook": ("mlm.xlsx", lambda: b"PK not really", "not an XLSX file"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_upload_gets_one_clear_error_and_imports_nothing(app, client, shipped, olga, case):
    filename, make, expected = MALFORMED[case]
    before = _version_count(app)
    r = _upload(client, filename, make())
    assert r.status_code == 400
    alerts = _alerts(r.data)
    assert len(alerts) == 1, alerts
    assert alerts[0].startswith(filename) and expected in alerts[0], alerts[0]
    assert _version_count(app) == before


def test_upload_without_a_file_asks_for_one(client, olga):
    token = csrf_from(client.get("/organiser/frameworks/import").data)
    r = client.post("/organiser/frameworks/import", data={"csrf_token": token})
    assert r.status_code == 400 and _alerts(r.data) == ["Choose a file to import."]


@pytest.mark.parametrize("fmt, content_type", [
    ("json", "application/json"), ("yaml", "application/yaml"), ("csv", "text/csv; charset=utf-8"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")])
def test_export_route_downloads_each_format_that_loads_back_word_for_word(client, shipped, olga, fmt, content_type):
    r = client.get(f"{MLM}/export/{fmt}")
    assert r.status_code == 200 and r.headers["Content-Type"] == content_type
    assert r.headers["Content-Disposition"] == f'attachment; filename="1plusmg-mlm-2022.{fmt}"'
    back = fwlib.load(r.data, fmt, filename=f"1plusmg-mlm-2022.{fmt}")
    original = fwlib.load_shipped("1plusmg-mlm")
    assert back.domains == original.domains and back.counts().levels == 245
    if fmt != "csv":
        assert back == original
    assert client.get(f"{MLM}/export/pdf").status_code == 404


# --- Permissions -----------------------------------------------------------------------------------------------

PAGES = ["/organiser/frameworks", MLM, MLM + "/export/json", "/organiser/frameworks/import",
         "/organiser/frameworks/1plusmg-mlm/diff"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_login(client, shipped, path):
    r = client.get(path)
    assert r.status_code == 302 and "/auth/login" in r.location


@pytest.mark.parametrize("path", PAGES)
def test_non_organiser_gets_403(client, shipped, make_user, login_as, path):
    make_user("erin@example.org")
    login_as("erin@example.org")
    assert client.get(path).status_code == 403


def test_another_organisers_draft_is_404_but_an_admin_sees_it(app, client, shipped, olga, make_user, login_as):
    draft = _new_draft(client)
    token = csrf_from(client.get(draft).data)
    client.post("/auth/logout", data={"csrf_token": token})
    make_user("omar@example.org", roles=("organiser",))
    login_as("omar@example.org")
    for path in (draft, draft + "/edit", draft + "/edit/domains/I", draft + "/export/csv"):
        assert client.get(path).status_code == 404, path
    token = csrf_from(client.get(MLM).data)
    r = client.post(draft + "/edit/elements/I.2/title", data={"t-I.2-title": "Mine now", "csrf_token": token})
    assert r.status_code == 404
    assert client.post(draft + "/drafts", data={"label": "copy", "csrf_token": token}).status_code == 404
    assert "draft-2" not in client.get("/organiser/frameworks").data.decode()
    assert client.get(MLM).status_code == 200  # released versions are for every organiser
    client.post("/auth/logout", data={"csrf_token": token})
    make_user("root@example.org", roles=("admin",))
    login_as("root@example.org")
    assert client.get(draft).status_code == 200
    assert _document(app, "1plusmg-mlm:draft-2").find("I.2").title == "Priority"


def test_a_draft_labelled_like_a_draft_is_released_under_a_release_label(app, client, shipped, olga):
    draft = _new_draft(client)  # draft-2
    page = client.get(draft).data.decode()
    assert re.search(r'name="label"[^>]*value="\d{4}(\.\d+)?"', page)  # a release label is suggested
    r = _post(client, draft, draft + "/release", {"label": "draft-2"})
    assert r.status_code == 400 and "reads like a draft" in unescape(r.data.decode())
    assert _document(app, "1plusmg-mlm:draft-2") is not None  # still a draft
    r = _post(client, draft, draft + "/release", {"label": "2030"}, follow_redirects=True)
    assert "1plusmg-mlm:2030 is released" in r.data.decode()
    assert client.get("/frameworks/1plusmg-mlm/2030").status_code == 200
