"""The public read-only JSON API: released and retired versions only; drafts and unknown versions are 404 JSON."""
from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

import framework as fwlib

MLM = "/api/v1/frameworks/1plusmg-mlm/versions/2022"


@pytest.fixture
def versions(app):
    """The shipped MLM (released), a draft of it, a retired version, and a framework that only has a draft."""
    from delphi.extensions import db
    from delphi.services.frameworks import versions as frameworks

    with app.app_context():
        shipped = frameworks.ensure_shipped()
        frameworks.new_draft(shipped, "draft-2", by=None)
        old = frameworks.new_draft(shipped, "2019", by=None)
        frameworks.publish(old, by=None)
        frameworks.retire(old, by=None)
        doc = fwlib.load_shipped("1plusmg-mlm")
        frameworks.import_document(doc, slug="secret", label="draft-1")
        db.session.commit()


def test_list_has_released_and_retired_versions_but_no_drafts(client, versions):
    r = client.get("/api/v1/frameworks")
    assert r.status_code == 200 and r.is_json
    body = r.get_json()
    assert [fw["slug"] for fw in body["frameworks"]] == ["1plusmg-mlm"]
    listed = {v["label"]: v for v in body["frameworks"][0]["versions"]}
    assert set(listed) == {"2022", "2019"}
    assert listed["2022"]["status"] == "released" and listed["2019"]["status"] == "retired"
    assert listed["2022"]["url"].endswith(MLM) and len(listed["2022"]["checksum"]) == 64
    assert "B1MG" in listed["2022"]["source"]


def test_released_version_is_the_whole_tree_byte_for_byte_the_export(app, client, versions, runner):
    r = client.get(MLM)
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.data == fwlib.data_path("1plusmg-mlm").read_bytes()
    assert r.data == runner.invoke(args=["delphi", "framework", "export", "1plusmg-mlm:2022"]).stdout_bytes
    assert fwlib.load(r.data, "json", filename="api.json").counts().levels == 245
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    again = client.get(MLM, headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304


def test_retired_version_is_served(client, versions):
    assert client.get("/api/v1/frameworks/1plusmg-mlm/versions/2019").status_code == 200


@pytest.mark.parametrize("path", [
    "/api/v1/frameworks/1plusmg-mlm/versions/draft-2",  # a draft of a public framework
    "/api/v1/frameworks/secret/versions/draft-1",  # a framework with only a draft
    "/api/v1/frameworks/1plusmg-mlm/versions/1999",
    "/api/v1/frameworks/nope/versions/2022",
    "/api/v1/nothing-here",
])
def test_drafts_and_unknown_versions_are_404_json(client, versions, path):
    r = client.get(path)
    assert r.status_code == 404 and r.is_json
    assert r.get_json()["status"] == 404 and r.get_json()["error"] == "Not Found"


def test_api_is_read_only(client, versions):
    r = client.post(MLM, json={})
    assert r.status_code == 405 and r.is_json


def test_draft_content_never_leaks_through_the_list(client, versions):
    assert "draft" not in json.dumps(client.get("/api/v1/frameworks").get_json())


def test_openapi_document_describes_the_endpoints_and_the_tree(client, versions):
    r = client.get("/api/v1/openapi.json")
    spec = r.get_json()
    assert r.status_code == 200 and spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {"/frameworks", "/frameworks/{slug}/versions/{label}", "/openapi.json"}
    assert spec["servers"][0]["url"].endswith("/api/v1")
    # The schemas are JSON Schema 2020-12 (as OpenAPI 3.1) and describe what the endpoints return.
    resolver_root = {"components": spec["components"]}

    def validate(name: str, instance) -> None:
        schema = {**resolver_root, "$ref": f"#/components/schemas/{name}"}
        Draft202012Validator.check_schema(schema)
        Draft202012Validator(schema).validate(instance)

    validate("FrameworkDocument", client.get(MLM).get_json())
    validate("FrameworkList", client.get("/api/v1/frameworks").get_json())
    validate("Error", client.get("/api/v1/frameworks/nope/versions/1").get_json())
