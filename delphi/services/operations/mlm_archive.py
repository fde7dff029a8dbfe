"""The demo's archived study: round 1 of the 1+MG MLM's own validation Delphi (July 2021, 14 experts completed),
rebuilt from the agreement per indicator it published. No individual ratings exist, so the ratings are
synthetic: for each indicator the fewest abstentions (n = 14, else 13, …) and the number of "agree" answers k
for which round(100 · k / n) is the published percentage; of the rest, one "disagree" when the indicator was
classified "reformulated" after round 1 (the rule needs disagreement for that), the others "neither". Answers
are dealt to E01…E14 in a fixed rotation, so the study is the same on every installation. It is labelled
everywhere as reconstructed from published percentages, not real ratings; its comments (which the rule's
"reformulated" also needs) are not reconstructed, so such items come out "reevaluate".

Data: data/mlm-round1-agreement.json (from the published round-1 page, matched by text; see its README).
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from delphi.extensions import db
from delphi.models import FrameworkVersion, Study, User
from delphi.services.frameworks import versions
from delphi.services.studies import archive, archive_input, design

TITLE = "1+MG MLM validation Delphi, round 1 (2021) — archived, reconstructed"
PANEL = 14
NOTE = ("Reconstructed from published percentages, not real ratings: synthetic answers of 14 panelists whose "
        "agreement per indicator matches the published round-1 agreement.")
SOURCE = "its published round-1 agreement per indicator, mlm-round1-agreement.json"
TOOL = "the 1+MG MLM validation Delphi, B1MG project, 2021"
AGREE, NEITHER, DISAGREE = 3, 2, 1


def published() -> list[dict]:
    return json.loads((Path(__file__).parent / "data" / "mlm-round1-agreement.json").read_text(encoding="utf-8"))


def answers_for(percent: int, panel: int = PANEL) -> tuple[int, int]:
    """(respondents n, agree answers k) with round(100 k / n) == percent, the fewest abstentions first."""
    for n in range(panel, 0, -1):
        for k in range(n + 1):
            if round(100 * k / n) == percent:
                return n, k
    raise ValueError(f"no panel of at most {panel} gives {percent} %")


def ratings() -> pd.DataFrame:
    """The synthetic long table: round, item, panelist, rating (empty = unable to rate)."""
    rows = []
    for index, entry in enumerate(published()):
        n, k = answers_for(int(entry["round1_percent_agreement"]))
        disagree = 1 if entry["indicator_class"] == "reformulated" and n > k else 0
        values = [AGREE] * k + [DISAGREE] * disagree + [NEITHER] * (n - k - disagree) + [None] * (PANEL - n)
        for seat in range(PANEL):
            value = values[(seat + 5 * index) % PANEL]  # a fixed rotation: not the same panelists always agreeing
            rows.append({"round": 1, "item": entry["code"], "panelist": f"P{seat + 1:02d}", "rating": value})
    frame = pd.DataFrame(rows)
    frame["rating"] = frame["rating"].astype("float64")
    frame["item"] = pd.Categorical(frame["item"], categories=list(dict.fromkeys(frame["item"])))
    frame["panelist"] = pd.Categorical(frame["panelist"])
    return frame


def seed(organiser: User, shipped: FrameworkVersion) -> Study:
    """The archived demo study (idempotent: found by title)."""
    existing = db.session.scalar(select(Study).where(Study.title == TITLE))
    if existing is not None:
        return existing
    settings = archive_input.Settings(shape="long", points=3, rule="mlm-2021", tool=TOOL)
    plan = archive_input.Plan(settings=settings, sources=[SOURCE], doc=versions.to_document(shipped), base=shipped)
    for kind, element, domain, level in design.rated_elements(plan.doc, ["indicator"]):
        plan.codes[design.item_code(kind, element, level)] = (kind, element, domain, level)
    archive_input.complete(plan, ratings())
    return archive.store(plan, TITLE, by=organiser, note=NOTE,
                         aims="Round 1 of the Delphi that validated the 1+MG MLM, rebuilt as a demonstration of an "
                              "archived study from the agreement per indicator the project published.")
