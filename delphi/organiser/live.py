"""The organiser's live page of a round: statistics as they stand, convergence over time, and snapshots.

Made for real-time studies (one round open until the organiser closes it), but every round has an answer
history, so it works for any open or closed round."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import Length, Optional

from delphi.errors import DomainError
from delphi.extensions import db
from delphi.organiser.blueprint import bp
from delphi.organiser.dashboard import round_items
from delphi.organiser.responses import fail
from delphi.permissions import is_organiser, load_round_for_organiser, require
from delphi.services.studies import convergence, protocols, results


class SnapshotForm(FlaskForm):
    label = StringField(_l("Label (optional)"), validators=[Optional(), Length(max=convergence.MAX_LABEL)])
    submit = SubmitField(_l("Take a snapshot"))


def _when(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def question_view(q: dict[str, Any], data: dict[str, Any], rows: dict, codes: list[str],
                  decided: set[str]) -> dict[str, Any]:
    """One question's page data: the panel series (one value list per chart), and per item the current
    statistics, the outcome the rule gives now, revisions and agreement at each moment."""
    view = convergence.panel_view(q, data)
    n_moments = len(view["moments"])
    over_time: dict[str, list[float | None]] = {code: [None] * n_moments for code in codes}
    for row in data["items"]:
        if row["item"] in over_time:
            over_time[row["item"]][row["moment"]] = row["agree_pct"] if row["n"] else None
    revisions = {row["item"]: row for row in data["revisions"]}
    stability = {row["item"]: row for row in data["first_last"]}
    items = []
    for code in codes:
        now = rows.get(code, {}).get(q["key"])
        items.append({"code": code, "now": now, "outcome": now.get("outcome") if now else None,
                      "decided": bool(now) and now.get("outcome") in decided,
                      "revisions": revisions.get(code), "first_last": stability.get(code),
                      "agreement": over_time[code],
                      "agree_first": next((v for v in over_time[code] if v is not None), None)})
    return {**view, "rows": items}


@bp.get("/rounds/<int:round_id>/live")
@require(is_organiser)
def live_round(round_id: int):
    """Current statistics per item, convergence charts with their numbers, and the round's snapshots."""
    rnd = load_round_for_organiser(round_id)
    study = rnd.study
    codes = [ri.item.code for ri in round_items(rnd)]
    computed = convergence.current(rnd)
    rows = convergence.current_rows(rnd, computed)
    series = convergence.series(rnd)
    decided = results.decided_outcomes(rnd)
    views = [question_view(q, series[q["key"]], rows, codes, decided) for q in study.protocol["questions"]]
    return render_template("organiser/live.html", rnd=rnd, study=study, views=views,
                           live=protocols.is_live(study.protocol),
                           mode_text=protocols.MODES.get(study.protocol.get("mode") or "classic"),
                           snapshots=[convergence.snapshot_summary(rnd.number, s) for s in convergence.snapshots(rnd)],
                           form=SnapshotForm(formdata=None), computed_at=_when(computed.get("computed_at")),
                           respondents=computed.get("respondents") or {})


@bp.post("/rounds/<int:round_id>/snapshot")
@require(is_organiser)
def take_snapshot(round_id: int):
    rnd = load_round_for_organiser(round_id)
    form = SnapshotForm()
    if not form.validate_on_submit():
        flash(_("The snapshot's label can have at most %(max)s characters.", max=convergence.MAX_LABEL), "error")
        return redirect(url_for("organiser.live_round", round_id=rnd.id))
    try:
        snapshot = convergence.take_snapshot(rnd, form.label.data or "", by=current_user)
    except DomainError as exc:
        return fail(exc, "organiser.live_round", round_id=rnd.id)
    db.session.commit()
    flash(_("Snapshot taken: the statistics on the answers as they stand are stored with the round."), "success")
    return redirect(url_for("organiser.live_round", round_id=rnd.id, _anchor=f"snapshot-{snapshot.id}"))
