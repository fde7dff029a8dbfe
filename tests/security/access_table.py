"""Every URL rule of the app, how to address side A's objects, and what each visitor must get.

The visitors come from side B of tests/security/world.py (an expert, an organiser and an assessor who have
nothing to do with side A), plus an anonymous visitor and the platform admin. `owner` is the person side A's
object belongs to: their GET must succeed (it proves the URL really addresses the object, so a 404 for the
others means something), and their POST without a CSRF token must be refused with 400.

Expectations: an HTTP status, LOGIN (302 to the login page), or SKIP for a POST the visitor is allowed to make
and that would change data (e.g. the admin closing a round): those are exercised by the feature tests, not
here. A refused POST is sent with a valid CSRF token, and the whole database must be unchanged afterwards.
This module holds no tests.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.security.world import ADMIN, ASSESSOR_A, EXPERT_A, ORGANISER_A, World

LOGIN = "login"
SKIP = "skip"
VISITORS = ("anon", "expert", "organiser", "assessor", "admin")


@dataclass(frozen=True)
class Case:
    url: Callable[[World], str]
    get: dict[str, object] | None = None
    post: dict[str, object] | None = None
    owner: str | None = None          # e-mail of side A's owner; "anon" for the auth pages
    owner_get: object = 200
    json: bool = False                # a JSON endpoint: the CSRF token travels in X-CSRFToken
    body: dict | Callable[[World], dict] = field(default_factory=dict)

    def data(self, w: World) -> dict:
        return dict(self.body(w) if callable(self.body) else self.body)


def expect(anon=LOGIN, expert=404, organiser=404, assessor=404, admin=200) -> dict[str, object]:
    return {"anon": anon, "expert": expert, "organiser": organiser, "assessor": assessor, "admin": admin}


EVERYONE = expect(anon=200, expert=200, organiser=200, assessor=200, admin=200)
NOT_FOUND_FOR_ALL = expect(anon=404, expert=404, organiser=404, assessor=404, admin=404)
BAD_TOKEN = expect(anon=400, expert=400, organiser=400, assessor=400, admin=400)
LOGGED_IN = expect(expert=200, organiser=200, assessor=200, admin=200)
ADMIN_ONLY = expect(expert=403, organiser=403, assessor=403, admin=200)
# Organiser pages of study A or of organiser A's draft: other organisers get 404 (no probing); people without
# the organiser role 403; the admin organises every study and sees every draft.
STUDY = expect(expert=403, organiser=404, assessor=403, admin=200)
STUDY_POST = expect(expert=403, organiser=404, assessor=403, admin=SKIP)
ANY_ORGANISER = expect(expert=403, organiser=200, assessor=403, admin=200)
# Expert pages of study A: only its panel (not even the admin, who is not on it).
PANEL = expect(expert=404, organiser=404, assessor=404, admin=404)
# Assessment pages of organisation A: members only; the admin reads (200) but may not act (403).
MEMBERS = expect(expert=404, organiser=404, assessor=404, admin=200)
MEMBERS_ACT = expect(expert=404, organiser=404, assessor=404, admin=403)


def _fw(w: World, label: str, rest: str = "") -> str:
    return f"/organiser/frameworks/{w.framework_slug}/versions/{label}{rest}"


def _edit(rest: str) -> Callable[[World], str]:
    return lambda w: _fw(w, w.draft_label, "/edit" + rest.format(w=w))


def _study(rest: str) -> Callable[[World], str]:
    return lambda w: f"/organiser/studies/{w.study_a}{rest}"


def _assessment(rest: str = "") -> Callable[[World], str]:
    return lambda w: f"/assessor/assessments/{w.assessment_a}{rest}"


def _editor_post(rest: str) -> list[Case]:
    """An editor POST on organiser A's draft (404 for others) and on the shipped release (409: immutable)."""
    return [Case(_edit(rest), post=STUDY_POST, owner=ORGANISER_A),
            Case(lambda w: _fw(w, w.released_label, "/edit" + rest.format(w=w)),
                 post=expect(expert=403, organiser=409, assessor=403, admin=409), owner=ORGANISER_A)]


A_OWNER = dict(owner=ASSESSOR_A)
TABLE: dict[str, list[Case]] = {
    # --- public --------------------------------------------------------------------------------------------
    "public.index": [Case(lambda w: "/", get=expect(anon=200, expert=302, organiser=302, assessor=302, admin=302))],
    "public.home": [Case(lambda w: "/home", get=expect(expert=302, organiser=302, assessor=302, admin=200))],
    "public.framework_version": [
        Case(lambda w: f"/frameworks/{w.framework_slug}/{w.released_label}", get=EVERYONE),
        Case(lambda w: f"/frameworks/{w.framework_slug}/{w.draft_label}", get=NOT_FOUND_FOR_ALL)],
    "public.study_report": [
        Case(lambda w: f"/studies/{w.study_b}/report", get=EVERYONE),
        Case(lambda w: f"/studies/{w.study_a}/report", get=NOT_FOUND_FOR_ALL)],  # not released
    "public.choose_language": [Case(lambda w: "/language", body={"language": "de", "next": "/"}, owner="anon",
                                    # a logged-in person's choice is stored (users.locale): tests/i18n/test_locale.py
                                    post=expect(anon=302, expert=SKIP, organiser=SKIP, assessor=SKIP, admin=SKIP))],
    "healthz": [Case(lambda w: "/healthz", get=EVERYONE)],
    # --- api (read-only, public) -----------------------------------------------------------------------------
    "api.frameworks_index": [Case(lambda w: "/api/v1/frameworks", get=EVERYONE)],
    "api.openapi": [Case(lambda w: "/api/v1/openapi.json", get=EVERYONE)],
    "api.framework_version": [
        Case(lambda w: f"/api/v1/frameworks/{w.framework_slug}/versions/{w.study_b_label}", get=EVERYONE),
        Case(lambda w: f"/api/v1/frameworks/{w.framework_slug}/versions/{w.draft_label}", get=NOT_FOUND_FOR_ALL)],
    # --- auth ----------------------------------------------------------------------------------------------
    "auth.login": [Case(lambda w: "/auth/login", get=EVERYONE, post=EVERYONE, owner="anon")],  # empty form: 200
    "auth.logout": [Case(lambda w: "/auth/logout", post=expect(expert=SKIP, organiser=SKIP, assessor=SKIP,
                                                               admin=SKIP), owner=ORGANISER_A)],
    "auth.reset_request": [Case(lambda w: "/auth/reset", get=EVERYONE, post=EVERYONE, owner="anon")],
    "auth.reset_password": [Case(lambda w: "/auth/reset/not-a-real-token", get=BAD_TOKEN, post=BAD_TOKEN,
                                 owner="anon", owner_get=400)],
    "auth.accept_invitation": [Case(lambda w: "/auth/invite/not-a-real-token", get=BAD_TOKEN, post=BAD_TOKEN,
                                    owner="anon", owner_get=400)],
    # --- admin ---------------------------------------------------------------------------------------------
    "admin.index": [Case(lambda w: "/admin/", get=ADMIN_ONLY, owner=ADMIN)],
    # An empty form is refused by validation: the admin gets the page back and nothing changes.
    "admin.create_organiser": [Case(lambda w: "/admin/organisers", post=expect(expert=403, organiser=403,
                                                                               assessor=403, admin=302), owner=ADMIN)],
    "admin.create_organisation": [Case(lambda w: "/admin/organisations",
                                       post=expect(expert=403, organiser=403, assessor=403, admin=302), owner=ADMIN)],
    "admin.organisation": [Case(lambda w: f"/admin/organisations/{w.org_a}", get=ADMIN_ONLY, post=ADMIN_ONLY,
                                owner=ADMIN)],
    "admin.benchmark": [Case(lambda w: "/admin/benchmark", get=ADMIN_ONLY, owner=ADMIN)],
    # Too few contributors: the admin is told so (302 back to the page) and nothing is published.
    "admin.publish_benchmark": [Case(lambda w: f"/admin/benchmark/{w.shipped_version}/publish",
                                     post=expect(expert=403, organiser=403, assessor=403, admin=302), owner=ADMIN)],
    # --- expert (study A's panel only) -----------------------------------------------------------------------
    "expert.index": [Case(lambda w: "/expert/", get=LOGGED_IN, owner=EXPERT_A)],
    "expert.consent": [Case(lambda w: f"/expert/studies/{w.study_a}/consent", get=PANEL, post=PANEL,
                            owner=EXPERT_A)],
    "expert.round_start": [Case(lambda w: f"/expert/rounds/{w.round_a2}", get=PANEL, owner=EXPERT_A, owner_get=302)],
    "expert.domain_page": [Case(lambda w: f"/expert/rounds/{w.round_a2}/domains/{w.domain_a}", get=PANEL,
                                post=PANEL, owner=EXPERT_A)],
    # JSON endpoints answer an anonymous caller with 401 (the page's script shows it), not a login redirect.
    "expert.autosave": [Case(lambda w: f"/expert/rounds/{w.round_a2}/autosave", post={**PANEL, "anon": 401},
                             owner=EXPERT_A,
                             json=True,
                             body=lambda w: {"item": w.item_a, "question": "agreement", "value": 1})],
    "expert.submit": [Case(lambda w: f"/expert/rounds/{w.round_a2}/submit", post=PANEL, owner=EXPERT_A)],
    # Study A is a classic study: its panel's own expert gets 404 too (tests/web/test_live_feedback.py covers a
    # real-time round, where the panel gets its feedback and nobody else does).
    "expert.live_feedback": [Case(lambda w: f"/expert/rounds/{w.round_a2}/live?items={w.item_a}", get=PANEL,
                                  owner=EXPERT_A, owner_get=404)],
    "expert.choose_language": [Case(lambda w: f"/expert/studies/{w.study_a}/language", post=PANEL, owner=EXPERT_A,
                                    body={"language": "en"})],
    # --- organiser: studies ----------------------------------------------------------------------------------
    "organiser.index": [Case(lambda w: "/organiser/", get=ANY_ORGANISER, owner=ORGANISER_A)],
    "organiser.create_study": [Case(lambda w: "/organiser/studies",  # empty form: flashed message, redirect
                                    post=expect(expert=403, organiser=302, assessor=403, admin=302),
                                    owner=ORGANISER_A)],
    "organiser.study": [Case(_study(""), get=STUDY, owner=ORGANISER_A)],
    "organiser.protocol": [Case(_study("/protocol"), get=STUDY, post=STUDY_POST, owner=ORGANISER_A)],
    "organiser.study_languages": [Case(_study("/languages"), get=STUDY, post=STUDY_POST, owner=ORGANISER_A)],
    "organiser.panel_page": [Case(_study("/panel"), get=STUDY, post=STUDY_POST, owner=ORGANISER_A)],
    "organiser.panel_csv": [Case(_study("/panel/csv"), post=STUDY_POST, owner=ORGANISER_A)],
    "organiser.panel_csv_confirm": [Case(_study("/panel/csv/confirm"), post=STUDY_POST, owner=ORGANISER_A,
                                         body={"rows": '[{"email": "x@example.org", "name": "X"}]'})],
    "organiser.invite_panel": [Case(_study("/panel/invite"), post=STUDY_POST, owner=ORGANISER_A)],
    "organiser.retry_mail": [Case(_study("/panel/mail/retry"), post=STUDY_POST, owner=ORGANISER_A)],
    "organiser.panelist_action": [
        Case(lambda w, a=a: f"/organiser/studies/{w.study_a}/panel/{w.panelist_a}/{a}", post=STUDY_POST,
             owner=ORGANISER_A, body={"reason": "x", "stakeholder_group": "g"})
        for a in ("edit", "withdraw", "reinstate", "invite")],
    "organiser.open_round": [Case(_study("/rounds"), post=STUDY_POST, owner=ORGANISER_A,
                                  body={"deadline": "2099-01-01T12:00"})],
    "organiser.add_item": [Case(_study("/items"), post=STUDY_POST, owner=ORGANISER_A,
                                body={"kind": "indicator", "element_code": "I.1.1"})],
    "organiser.extend_round": [Case(lambda w: f"/organiser/rounds/{w.round_a2}/extend", post=STUDY_POST,
                                    owner=ORGANISER_A, body={"deadline": "2099-01-01T12:00"})],
    "organiser.remind": [Case(lambda w: f"/organiser/rounds/{w.round_a2}/remind", post=STUDY_POST,
                              owner=ORGANISER_A)],
    "organiser.close_round": [Case(lambda w: f"/organiser/rounds/{w.round_a2}/close", post=STUDY_POST,
                                   owner=ORGANISER_A)],
    "organiser.confirm_close_round": [Case(lambda w: f"/organiser/rounds/{w.round_a2}/close", get=STUDY,
                                           owner=ORGANISER_A)],
    "organiser.review_round": [Case(lambda w: f"/organiser/rounds/{w.round_a1}", get=STUDY, owner=ORGANISER_A)],
    "organiser.live_round": [Case(lambda w: f"/organiser/rounds/{w.round_a2}/live", get=STUDY, owner=ORGANISER_A)],
    "organiser.take_snapshot": [Case(lambda w: f"/organiser/rounds/{w.round_a2}/snapshot", post=STUDY_POST,
                                     owner=ORGANISER_A, body={"label": "x"})],
    "organiser.round_progress": [Case(lambda w: f"/organiser/rounds/{w.round_a2}/progress.json", get=STUDY,
                                      owner=ORGANISER_A)],
    "organiser.decide": [Case(lambda w: f"/organiser/rounds/{w.round_a1}/items/{w.item_a}/decision",
                              post=STUDY_POST, owner=ORGANISER_A, body={"decision": "drop", "reason": "x"})],
    "organiser.undo_decision": [Case(lambda w: f"/organiser/rounds/{w.round_a1}/items/{w.item_a}/undo",
                                     post=STUDY_POST, owner=ORGANISER_A)],
    "organiser.decide_many": [Case(lambda w: f"/organiser/rounds/{w.round_a1}/decisions", post=STUDY_POST,
                                   owner=ORGANISER_A, body={"scope": "matching", "decision": "accept",
                                                            "domain": "all"})],
    "organiser.export_ratings": [Case(_study("/ratings.csv"), get=STUDY, owner=ORGANISER_A),
                                 Case(_study("/ratings.xlsx"), get=STUDY, owner=ORGANISER_A)],
    "organiser.export_results": [
        Case(lambda w, fmt=fmt: f"/organiser/rounds/{w.round_a1}/results.{fmt}", get=STUDY, owner=ORGANISER_A)
        for fmt in ("json", "csv", "xlsx")],
    "organiser.audit_log": [Case(_study("/audit"), get=STUDY, owner=ORGANISER_A)],
    "organiser.item_flow": [Case(_study("/flow"), get=STUDY, owner=ORGANISER_A)],
    "organiser.release_study": [Case(_study("/release"), get=STUDY, post=STUDY_POST, owner=ORGANISER_A,
                                     body={"label": "2032"})],
    "organiser.end_study": [Case(_study("/end"), post=STUDY_POST, owner=ORGANISER_A, body={"reason": "abandoned"})],
    "organiser.study_report": [Case(_study("/report"), get=STUDY, owner=ORGANISER_A)],
    "organiser.study_report_pdf": [Case(_study("/report.pdf"), get=STUDY, owner=ORGANISER_A)],
    "organiser.study_data_package": [Case(_study("/data-package.zip"), get=STUDY, owner=ORGANISER_A)],
    # --- organiser: archived studies (a Delphi run elsewhere); without files the form says so: 400 ------------
    "organiser.import_archive": [Case(lambda w: "/organiser/archives/new", get=ANY_ORGANISER, owner=ORGANISER_A)],
    "organiser.preview_archive": [Case(lambda w: "/organiser/archives/preview",
                                       post=expect(expert=403, organiser=400, assessor=403, admin=400),
                                       owner=ORGANISER_A)],
    "organiser.store_archive": [Case(lambda w: "/organiser/archives",
                                     post=expect(expert=403, organiser=400, assessor=403, admin=400),
                                     owner=ORGANISER_A)],
    # --- organiser: frameworks (a draft is its creator's; released versions are every organiser's) -----------
    "organiser.frameworks_index": [Case(lambda w: "/organiser/frameworks", get=ANY_ORGANISER, owner=ORGANISER_A)],
    "organiser.import_framework": [Case(lambda w: "/organiser/frameworks/import", get=ANY_ORGANISER,
                                        post=expect(expert=403, organiser=400, assessor=403, admin=400),
                                        owner=ORGANISER_A)],  # no file: the form says so, 400
    "organiser.view_version": [Case(lambda w: _fw(w, w.draft_label), get=STUDY, owner=ORGANISER_A),
                               Case(lambda w: _fw(w, w.released_label), get=ANY_ORGANISER, owner=ORGANISER_A)],
    "organiser.export_version": [
        Case(lambda w, fmt=fmt: _fw(w, w.draft_label, f"/export/{fmt}"), get=STUDY, owner=ORGANISER_A)
        for fmt in ("json", "csv", "xlsx")] + [
        Case(lambda w: _fw(w, w.released_label, "/export/yaml"), get=ANY_ORGANISER, owner=ORGANISER_A)],
    "organiser.diff_versions": [Case(lambda w: f"/organiser/frameworks/{w.framework_slug}/diff?from="
                                               f"{w.released_label}&to={w.draft_label}",
                                     get=expect(expert=403, organiser=404, assessor=403, admin=200),
                                     owner=ORGANISER_A),
                                Case(lambda w: f"/organiser/frameworks/{w.framework_slug}/diff", get=ANY_ORGANISER,
                                     owner=ORGANISER_A)],
    "organiser.new_draft": [  # an empty label is refused by the form (400)
        Case(lambda w: _fw(w, w.draft_label, "/drafts"), post=expect(expert=403, organiser=404, assessor=403,
                                                                     admin=400), owner=ORGANISER_A),
        Case(lambda w: _fw(w, w.released_label, "/drafts"), post=expect(expert=403, organiser=400, assessor=403,
                                                                        admin=400), owner=ORGANISER_A)],
    "organiser.release_version": [
        Case(lambda w: _fw(w, w.draft_label, "/release"), post=STUDY_POST, owner=ORGANISER_A),
        Case(lambda w: _fw(w, w.released_label, "/release"),
             post=expect(expert=403, organiser=409, assessor=403, admin=409), owner=ORGANISER_A)],
    "organiser.version_translations": [
        Case(lambda w: _fw(w, w.draft_label, "/translations"), get=STUDY, owner=ORGANISER_A),
        Case(lambda w: _fw(w, w.released_label, "/translations"), get=ANY_ORGANISER, owner=ORGANISER_A)],
    "organiser.download_translation": [
        Case(lambda w: _fw(w, w.draft_label, "/translations/download?language=de"), get=STUDY, owner=ORGANISER_A),
        Case(lambda w: _fw(w, w.released_label, "/translations/download?language=de"), get=ANY_ORGANISER,
             owner=ORGANISER_A)],
    "organiser.upload_translation": [  # no file: the form says so (400); a release takes none (409)
        Case(lambda w: _fw(w, w.draft_label, "/translations"),
             post=expect(expert=403, organiser=404, assessor=403, admin=400), owner=ORGANISER_A),
        Case(lambda w: _fw(w, w.released_label, "/translations"),
             post=expect(expert=403, organiser=409, assessor=403, admin=409), owner=ORGANISER_A)],
    "organiser.set_source_language": [
        Case(lambda w: _fw(w, w.draft_label, "/translations/source-language"), post=STUDY_POST, owner=ORGANISER_A),
        Case(lambda w: _fw(w, w.released_label, "/translations/source-language"),
             post=expect(expert=403, organiser=409, assessor=403, admin=409), owner=ORGANISER_A)],
    "organiser.edit_version": [Case(_edit(""), get=STUDY, owner=ORGANISER_A)],
    "organiser.edit_domain": [Case(_edit("/domains/{w.domain_code}"), get=STUDY, owner=ORGANISER_A)],
    "organiser.edit_metadata": _editor_post("/metadata"),
    "organiser.edit_generic_levels": _editor_post("/generic-levels"),
    "organiser.add_glossary_term": _editor_post("/glossary"),
    "organiser.edit_glossary_term": _editor_post("/glossary/{w.term_id}"),
    "organiser.delete_glossary_term": _editor_post("/glossary/{w.term_id}/delete"),
    "organiser.add_domain": _editor_post("/domains"),
    "organiser.add_subdomain": _editor_post("/domains/{w.domain_code}/subdomains"),
    "organiser.add_indicator": _editor_post("/subdomains/{w.subdomain_code}/indicators"),
    "organiser.update_indicator": _editor_post("/indicators/{w.indicator_code}"),
    "organiser.retitle": _editor_post("/elements/{w.domain_code}/title"),
    "organiser.move_element": _editor_post("/elements/{w.indicator_code}/move"),
    "organiser.reorder_element": _editor_post("/elements/{w.indicator_code}/down"),
    "organiser.delete_element": _editor_post("/elements/{w.indicator_code}/delete"),
    # --- assessor (organisation A's members only) ------------------------------------------------------------
    "assessor.index": [Case(lambda w: "/assessor/", get=LOGGED_IN, **A_OWNER)],
    "assessor.organisation": [Case(lambda w: f"/assessor/organisations/{w.org_a}", get=MEMBERS, **A_OWNER)],
    "assessor.progress": [Case(lambda w: f"/assessor/organisations/{w.org_a}/progress", get=MEMBERS, **A_OWNER)],
    "assessor.benchmark_opt_in": [Case(lambda w: f"/assessor/organisations/{w.org_a}/benchmark", post=MEMBERS_ACT,
                                       body={"opt_in": "y"}, **A_OWNER)],
    # Importing an earlier assessment: the lead only, like starting one.
    "assessor.import_baseline": [Case(lambda w: f"/assessor/organisations/{w.org_a}/baseline",
                                      get=MEMBERS_ACT, post=MEMBERS_ACT, **A_OWNER)],
    "assessor.confirm_baseline": [Case(lambda w: f"/assessor/organisations/{w.org_a}/baseline/confirm",
                                       post=MEMBERS_ACT, **A_OWNER)],
    "assessor.new_assessment": [Case(lambda w: f"/assessor/organisations/{w.org_a}/assessments/new",
                                     get=MEMBERS_ACT, post=MEMBERS_ACT, **A_OWNER)],
    "assessor.assessment": [Case(_assessment(), get=MEMBERS, **A_OWNER)],
    "assessor.settings": [Case(_assessment("/settings"), get=MEMBERS_ACT, post=MEMBERS_ACT, **A_OWNER)],
    "assessor.finalise": [Case(_assessment("/finalise"), post=MEMBERS_ACT, **A_OWNER)],
    "assessor.confirm": [Case(_assessment("/finalise"), get=MEMBERS_ACT, **A_OWNER),
                         Case(_assessment("/delete"), get=MEMBERS_ACT, **A_OWNER)],
    "assessor.delete": [Case(_assessment("/delete"), post=MEMBERS_ACT, **A_OWNER)],
    "assessor.answer": [Case(_assessment("/domains/1"), get=MEMBERS, post=MEMBERS_ACT, **A_OWNER)],
    "assessor.autosave": [Case(lambda w: f"/assessor/assessments/{w.assessment_a}/indicators/{w.indicator_id}/answer",
                               post={**MEMBERS_ACT, "anon": 401}, json=True, body={"current_level": "1"},
                               **A_OWNER)],
    "assessor.consensus": [Case(_assessment("/domains/1/consensus"), get=MEMBERS_ACT, post=MEMBERS_ACT,
                                owner_get=302, **A_OWNER)],  # solo mode: the lead is sent to the answer page
    "assessor.results": [Case(_assessment("/results"), get=MEMBERS, **A_OWNER)],
    "assessor.actions": [Case(_assessment("/actions"), get=MEMBERS, post=MEMBERS_ACT,
                              body={"description": "x"}, **A_OWNER)],
    "assessor.edit_action": [Case(lambda w: f"/assessor/assessments/{w.assessment_a}/actions/{w.action_a}",
                                  post=MEMBERS_ACT, **A_OWNER)],
    "assessor.delete_action": [Case(lambda w: f"/assessor/assessments/{w.assessment_a}/actions/{w.action_a}/delete",
                                    post=MEMBERS_ACT, **A_OWNER)],
    "assessor.benchmark": [Case(_assessment("/benchmark"), get=MEMBERS, **A_OWNER)],
    "assessor.export": [Case(_assessment(f"/export.{fmt}"), get=MEMBERS, **A_OWNER)
                        for fmt in ("json", "xlsx", "pdf")],
}
