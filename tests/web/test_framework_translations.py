"""Framework translations over HTTP (issue 17): XLIFF 2.0 download and upload on a draft, completeness per
language, frozen with the release (by the service and by the database), carried into a new draft, in the diff,
and served by the API with ?lang=."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from framework import translations as fwtr
from tests.conftest import csrf_from
from tests.web import test_framework_pages as pages
from tests.web.test_framework_pages import _document, _new_draft, _post

shipped, olga = pages.shipped, pages.olga  # the framework pages' fixtures: the shipped MLM, an organiser logged in

API = "/api/v1/frameworks/1plusmg-mlm/versions/{}"
GERMAN = {"indicator.I.1.1.statement": "Es gibt eine nationale Strategie für Genommedizin.",
          "domain.I.title": "Governance und Strategie",
          "indicator.I.1.1.level.1": "Keine Strategie – „noch nicht“ geplant."}


def upload(client, page: str, data: bytes, name: str = "de.xlf", **kwargs):
    import io

    token = csrf_from(client.get(page + "/translations").data)
    return client.post(page + "/translations", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", **kwargs)


def xliff(app, ref: str, targets: dict[str, str], target: str = "de", source: str = "en") -> bytes:
    return fwtr.to_xliff(_document(app, ref), source_language=source, target_language=target, targets=targets,
                         original=ref)


def stored(app, language: str | None = None) -> int:
    from delphi.extensions import db
    from delphi.models import FrameworkTranslation

    with app.app_context():
        query = select(func.count(FrameworkTranslation.id))
        if language:
            query = query.where(FrameworkTranslation.language == language)
        return db.session.scalar(query)


def test_a_draft_is_translated_through_xliff_and_the_page_shows_how_complete_each_language_is(
        app, client, shipped, olga):
    draft = _new_draft(client, "draft-2")
    page = client.get(draft + "/translations").data.decode()
    assert "No translation yet." in page and "Written in <strong>English</strong>" in page
    empty = client.get(draft + "/translations/download?language=de")
    assert empty.status_code == 200 and empty.mimetype == "application/xliff+xml"
    assert 'filename="1plusmg-mlm-draft-2.de.xlf"' in empty.headers["Content-Disposition"]
    parsed = fwtr.from_xliff(empty.data, _document(app, "1plusmg-mlm:draft-2"))
    assert (parsed.source_language, parsed.target_language, parsed.targets) == ("en", "de", {})
    total = len(fwtr.source_texts(_document(app, "1plusmg-mlm:draft-2")))

    done = upload(client, draft, xliff(app, "1plusmg-mlm:draft-2", GERMAN), follow_redirects=True)
    body = done.data.decode()
    assert done.status_code == 200 and "German: 3 new and 0 changed translations stored" in body
    assert f"3 of {total} texts" in body and stored(app, "de") == 3
    again = upload(client, draft, xliff(app, "1plusmg-mlm:draft-2", {**GERMAN, "domain.I.title": "Steuerung"}),
                   follow_redirects=True)
    assert "0 new and 1 changed translations stored, 2 unchanged" in again.data.decode()
    # A partial file keeps what it leaves empty: nothing is lost.
    upload(client, draft, xliff(app, "1plusmg-mlm:draft-2", {"domain.II.title": "Daten"}))
    assert stored(app, "de") == 4
    listing = client.get(draft + "/translations").data.decode()
    assert re.search(rf"German</th>\s*<td>4 of {total}", listing)


def test_a_file_that_is_not_for_this_version_is_refused_and_stores_nothing(app, client, shipped, olga):
    draft = _new_draft(client, "draft-2")
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            b'<xliff version="2.0" srcLang="en" trgLang="de">&lol2;</xliff>')
    cases = [
        (bomb, "not a translation file we can read"),
        (b"this is not XML", "not a translation file we can read"),
        (xliff(app, "1plusmg-mlm:draft-2", GERMAN, target="fr", source="de"), "translates from German"),
    ]
    for data, message in cases:
        refused = upload(client, draft, data)
        assert refused.status_code == 400 and message in refused.data.decode()
    assert stored(app) == 0


def test_a_release_freezes_its_translations_and_a_new_draft_starts_with_them(app, client, shipped, olga):
    from sqlalchemy.exc import DBAPIError

    from delphi.extensions import db
    from delphi.models import FrameworkTranslation
    from delphi.services.frameworks import versions

    draft = _new_draft(client, "2030")
    upload(client, draft, xliff(app, "1plusmg-mlm:2030", GERMAN))
    _post(client, draft, draft + "/release", {"release_notes": "With German."})
    assert upload(client, draft, xliff(app, "1plusmg-mlm:2030", {"domain.II.title": "Daten"})).status_code == 409
    with app.app_context():  # the database refuses it too, whatever the code path
        version = versions.get_version("1plusmg-mlm:2030")
        with pytest.raises(DBAPIError):
            db.session.add(FrameworkTranslation(version_id=version.id, language="pt", key="domain.I.title",
                                                text="Governação"))
            db.session.flush()
        db.session.rollback()
        with pytest.raises(DBAPIError):
            version.source_language = "de"
            db.session.flush()
        db.session.rollback()
    page = client.get(draft + "/translations").data.decode()
    assert "its translations are frozen with it" in page and "Upload a translation" not in page

    child = _post(client, draft, draft + "/drafts", {"label": "draft-9"})
    assert child.status_code == 302 and stored(app, "de") == 6  # 3 in the release, 3 copied into the draft
    child_page = "/organiser/frameworks/1plusmg-mlm/versions/draft-9"
    upload(client, child_page, xliff(app, "1plusmg-mlm:draft-9", {"domain.I.title": "Führung"}))
    diff = client.get("/organiser/frameworks/1plusmg-mlm/diff?from=2030&to=draft-9").data.decode()
    assert "only translations differ" in diff and "Governance und Strategie" in diff and "Führung" in diff


def test_the_api_serves_each_language_of_a_release(app, client, shipped, olga):
    draft = _new_draft(client, "2030")
    upload(client, draft, xliff(app, "1plusmg-mlm:2030", GERMAN))
    assert client.get(API.format("2030")).status_code == 404  # a draft is never public
    _post(client, draft, draft + "/release", {"release_notes": "With German."})
    public = app.test_client()
    english = public.get(API.format("2030"))
    german = public.get(API.format("2030") + "?lang=de")
    assert english.status_code == german.status_code == 200
    assert german.headers["Content-Language"] == "de" and english.headers["Content-Language"] == "en"
    assert german.headers["ETag"] != english.headers["ETag"]
    statement = german.get_json()["domains"][0]["subdomains"][0]["indicators"][0]["statement"]
    assert statement == GERMAN["indicator.I.1.1.statement"]
    # An untranslated text falls back to the source language.
    assert german.get_json()["domains"][1]["title"] == english.get_json()["domains"][1]["title"]
    missing = public.get(API.format("2030") + "?lang=pt")
    assert missing.status_code == 404 and "its languages: en, de" in missing.get_json()["message"]
    listing = public.get("/api/v1/frameworks").get_json()["frameworks"][0]["versions"]
    assert {v["label"]: v["languages"] for v in listing}["2030"] == ["en", "de"]


def test_the_source_language_of_a_draft_can_be_set_and_is_used_by_the_export(app, client, shipped, olga):
    draft = _new_draft(client, "draft-2")
    token = csrf_from(client.get(draft + "/translations").data)
    bad = client.post(draft + "/translations/source-language", data={"csrf_token": token, "language": "xx yy"})
    assert bad.status_code == 400 and "is not a language tag" in bad.data.decode()
    ok = client.post(draft + "/translations/source-language", data={"csrf_token": token, "language": "en-gb"},
                     follow_redirects=True)
    assert "written in English (en-GB)" in ok.data.decode()
    exported = client.get(draft + "/translations/download?language=de").data
    assert fwtr.from_xliff(exported, _document(app, "1plusmg-mlm:draft-2")).source_language == "en-GB"
    same = client.get(draft + "/translations/download?language=en-GB", follow_redirects=True)
    assert "is this version&#39;s source language" in same.data.decode() or \
        "is this version's source language" in same.data.decode()
