"""One world with two of everything, for the access sweep, the CSRF sweep and the backup round trip.

Side A is what the sweep attacks: study A (organiser A, experts A1/A2, round 1 closed with results, round 2
open), a draft framework version of organiser A, organisation A with its lead assessor, an assessment and an
action. Side B is where the visitors come from: study B (organiser B, expert B; released, so its report is
public), organisation B with its lead assessor. Plus a platform admin. Everything goes through the services
and commits, as a route would. This module holds no tests.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select, text

from tests.conftest import PASSWORD

ADMIN = "admin@example.org"
ORGANISER_A, ORGANISER_B = "olga@example.org", "otto@example.org"
EXPERT_A, EXPERT_A2, EXPERT_B = "erin@example.org", "emil@example.org", "ezra@example.org"
ASSESSOR_A, ASSESSOR_B = "alma@a.example", "abel@b.example"


@dataclass(frozen=True)
class World:
    study_a: int
    study_b: int
    round_a1: int          # closed, with results and decisions
    round_a2: int          # open
    item_a: int            # an item of study A, in both rounds
    domain_a: str          # a domain code of round 2's items
    framework_slug: str
    released_label: str    # the shipped release (public)
    study_b_label: str     # study B's released version (public)
    draft_label: str       # organiser A's own draft (not study-bound), hidden from everyone else
    domain_code: str       # elements of that draft, for the editor routes
    subdomain_code: str
    indicator_code: str
    term_id: int           # a glossary term of that draft
    org_a: int
    org_b: int
    assessment_a: int
    indicator_id: int      # an indicator of assessment A's version
    action_a: int
    panelist_a: int = 0    # a panelist of study A
    shipped_version: int = 0  # the shipped release's id (assessments and the benchmark use it)


def build(app, *, finalise_assessment: bool = False, title_a: str = "Study A", comment: str | None = None,
          names: dict[str, str] | None = None, groups: tuple[str, str] = ("clinician", "policy"),
          evidence: str = "") -> World:
    """Build the world; `comment` is written by every expert on every item of round 1, `names` overrides
    people's names and titles (the escaping tests put script in them), `groups` are the stakeholder groups
    and `evidence` the evidence of every answer of the assessment."""
    from delphi.db import utcnow
    from delphi.extensions import db
    from delphi.models import Decision, OrganisationRole, PlatformRole
    from delphi.services.accounts import organisations, users
    from delphi.services.assessments import actions, answers, lifecycle
    from delphi.services.frameworks import editing, versions
    from delphi.services.release import publication
    from delphi.services.studies import decisions, design, panel, ratings, rounds
    from delphi.services.assessments.answers import SOLO_FIELDS, AnswerInput

    names = names or {}

    def user(email: str, *roles: PlatformRole):
        u = users.create_user(email, names.get(email, email.split("@")[0].title()), PASSWORD)
        for role in roles:
            users.grant_role(u, role)
        return u

    with app.app_context():
        user(ADMIN, PlatformRole.ADMIN)
        org_a, org_b = user(ORGANISER_A, PlatformRole.ORGANISER), user(ORGANISER_B, PlatformRole.ORGANISER)
        for email in (EXPERT_A, EXPERT_A2, EXPERT_B, ASSESSOR_A, ASSESSOR_B):
            user(email)
        shipped = versions.ensure_shipped()

        def study(title, organiser, experts):
            st = design.create(title, shipped, by=organiser)
            protocol = dict(st.protocol)
            protocol["rated_kinds"] = ["indicator"]
            design.set_protocol(st, protocol, by=organiser)
            for i, email in enumerate(experts):
                p = panel.add(st, email, names.get(email, email), by=organiser,
                              stakeholder_group=groups[i % 2])
                panel.consent(p, None)
            db.session.flush()
            return st

        def closed_round(st, organiser, values):
            rnd = rounds.open_round(st, utcnow() + timedelta(days=7), by=organiser)
            for k, p in enumerate(st.panelists):
                for j, ri in enumerate(rnd.round_items):
                    ratings.save(rnd, p, ri.item_id, ratings={"agreement": values[(k + j) % len(values)]},
                                 comment=comment)
            rounds.close(rnd, by=organiser)
            return rnd

        # Study B: one round, everything accepted, released (its report is public).
        st_b = study("Study B", org_b, [EXPERT_B])
        rnd_b = closed_round(st_b, org_b, [3])
        for ri in rnd_b.round_items:
            decisions.decide(rnd_b, ri.item, Decision.ACCEPT, by=org_b)
        released_b = publication.publish(st_b, "2031", "", by=org_b)

        # Study A: round 1 closed with results and decisions, round 2 open.
        st_a = study(title_a, org_a, [EXPERT_A, EXPERT_A2])
        rnd_a1 = closed_round(st_a, org_a, [3, 2, 1])
        for ri in rnd_a1.round_items:
            decisions.decide(rnd_a1, ri.item, Decision.RERATE if ri.position <= 3 else Decision.ACCEPT, by=org_a)
        rnd_a2 = rounds.open_round(st_a, utcnow() + timedelta(days=7), by=org_a)
        first = rnd_a2.round_items[0]

        # Organiser A's own draft with a glossary term, for the framework editor routes.
        draft = versions.new_draft(shipped, "draft-a", by=org_a)
        editing.add_glossary_term(draft, "Genome", "All of an organism's DNA.")
        tree = versions.to_document(draft)
        domain = tree.domains[0]
        subdomain = domain.subdomains[0]
        term_id = versions.load_tree(draft).glossary[0].id

        # Organisations: A with a lead assessor, an assessment on the shipped release and an action; B likewise
        # without an assessment.
        orga = organisations.create(names.get("Organisation A", "Organisation A"))
        orgb = organisations.create("Organisation B")
        organisations.add_member(orga, users.find_by_email(ASSESSOR_A), OrganisationRole.LEAD)
        organisations.add_member(orgb, users.find_by_email(ASSESSOR_B), OrganisationRole.LEAD)
        lead = users.find_by_email(ASSESSOR_A)
        assessment = lifecycle.create(orga, shipped, title=names.get("Baseline A", "Baseline A"),
                                        scope=names.get("scope", ""), reference_date=date(2024, 6, 30),
                                        team_user_ids=[lead.id], team_mode=False, by=lead)
        atree = lifecycle.tree(shipped)
        for n, ind in enumerate(atree.indicators):
            cur = 1 + n % 5
            answers.save(assessment, ind, AnswerInput(current_level=cur, target_level=min(5, cur + 1),
                                                                 evidence=evidence),
                                    fields=SOLO_FIELDS, by=lead)
        action = actions.add(assessment, atree, indicator_id=atree.indicators[0].id,
                                        description=names.get("action", "Write the national plan"),
                                        owner=names.get("owner", "Ministry"), by=lead)
        if finalise_assessment:
            lifecycle.finalise(assessment, by=lead)
        db.session.commit()
        return World(
            study_a=st_a.id, study_b=st_b.id, round_a1=rnd_a1.id, round_a2=rnd_a2.id, item_a=first.item_id,
            domain_a=first.item.domain_code, framework_slug=shipped.framework.slug, released_label=shipped.label,
            study_b_label=released_b.label, draft_label=draft.label, domain_code=domain.code,
            subdomain_code=subdomain.code, indicator_code=subdomain.indicators[0].code, term_id=term_id,
            org_a=orga.id, org_b=orgb.id, assessment_a=assessment.id, indicator_id=atree.indicators[0].id,
            action_a=action.id, panelist_a=st_a.panelists[0].id, shipped_version=shipped.id)


def row_counts(app) -> dict[str, int]:
    """Rows per table (every table of the metadata)."""
    from delphi.extensions import db

    with app.app_context():
        with db.engine.connect() as conn:
            return {t.name: conn.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def fingerprint(app) -> dict[str, str]:
    """A hash of every row of every table: any insert, update or delete changes it."""
    from delphi.extensions import db

    out = {}
    with app.app_context():
        with db.engine.connect() as conn:
            for table in db.metadata.sorted_tables:
                rows = conn.execute(text(f"SELECT * FROM {table.name} ORDER BY 1")).all()
                out[table.name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    return out
