"""The study protocol: what is rated, the questions, the consensus rule, stopping — fixed before round 1.

A protocol is a plain JSON document stored on the study; `validate()` normalises it and raises InvalidInput with
a message naming the field. Locking stores its timestamp and a SHA-256 of its canonical JSON.
"""
from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from delphi import stats
from delphi.errors import InvalidInput
from delphi.models import ItemKind

SCALE_POINTS = (3, 5, 7, 9)
# What the pages and the report show (lazy: read in the reader's language); the keys are what the protocol stores.
KIND_LABELS = {
    ItemKind.DOMAIN: _l("Domains"),
    ItemKind.SUBDOMAIN: _l("Subdomains"),
    ItemKind.INDICATOR: _l("Indicators"),
    ItemKind.LEVEL_SET: _l("Each indicator's set of five levels (one item)"),
    ItemKind.LEVEL: _l("Individual level descriptions"),
}
STOPPING_RULES = {
    "all_decided_or_stable": _l("Stop when every item is decided, or the undecided items are stable, "
                                "or the maximum number of rounds is reached"),
    "fixed_rounds": _l("Run exactly the maximum number of rounds"),
}
RESPONDENTS = {
    "any_rating": _l("a panelist who gave at least one rating in the round; every rating counts, and those who did "
                     "not submit are reported as partial responders"),
    "submitted": _l("a panelist who submitted the round; ratings of those who did not submit are left out of the "
                    "statistics and reported as such"),
}
# The scale's labels are stored in the protocol (and fixed by its checksum): the study's own text, not translated.
DEFAULT_LABELS = {
    3: ["Disagree", "Neither agree nor disagree", "Agree"],
    5: ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"],
    7: ["Strongly disagree", "Disagree", "Somewhat disagree", "Neutral", "Somewhat agree", "Agree",
        "Strongly agree"],
    9: ["1 Not important", "2", "3", "4", "5", "6", "7", "8", "9 Critical"],
}


def default_bands(points: int) -> tuple[list[int], list[int]]:
    """Agree band = top third (3 on 1–3, 4–5 on 1–5, 5–7 on 1–7, 7–9 on 1–9); disagree mirrors it."""
    lo, hi = stats.config.default_agree_band(1, points)
    return [lo, hi], [1 + points - hi, 1 + points - lo]


def default_protocol() -> dict[str, Any]:
    """The design of the 1+MG MLM Delphi: agreement on a 3-point scale, rule mlm-2021, two rounds."""
    agree, disagree = default_bands(3)
    return {
        "rated_kinds": [ItemKind.DOMAIN.value, ItemKind.SUBDOMAIN.value, ItemKind.INDICATOR.value,
                        ItemKind.LEVEL_SET.value],
        "questions": [{"key": "agreement", "label": "Do you agree with this item as worded?",
                       "points": 3, "labels": DEFAULT_LABELS[3], "allow_unable": True,
                       "agree": agree, "disagree": disagree}],
        "rule": "mlm-2021",
        "stability_threshold": 0.15,
        "stopping": "all_decided_or_stable",
        "max_rounds": 3,
        "quartiles": "linear",
        "drop_decided": True,
        "comment_required_at_or_below": None,
        "respondents": "any_rating",
        "publish_interests": False,
        "publish_panel_attributes": False,
        "withdrawn_ratings": "keep",
        "feedback_by_group": False,
        "prefill_previous": False,
        "reminder_days_before": [3, 1],
    }


def validate(raw: dict[str, Any]) -> dict[str, Any]:
    """A normalised copy of raw, or InvalidInput naming what is wrong."""
    p = copy.deepcopy(raw)
    kinds = p.get("rated_kinds") or []
    valid_kinds = {k.value for k in ItemKind}
    if not kinds:
        raise InvalidInput(_("Choose at least one kind of element to rate."))
    if unknown := [k for k in kinds if k not in valid_kinds]:
        raise InvalidInput(_("Unknown kind of element to rate: %(kinds)s.", kinds=", ".join(map(str, unknown))))
    p["rated_kinds"] = [k.value for k in ItemKind if k.value in kinds]

    questions = p.get("questions") or []
    if not questions:
        raise InvalidInput(_("Ask at least one question of each item."))
    keys = set()
    for i, q in enumerate(questions, 1):
        key = str(q.get("key", "")).strip().lower()
        if not key or not key.replace("_", "").isalnum() or len(key) > 40:
            raise InvalidInput(_("Question %(number)s: give a short key of letters and digits (e.g. relevance).",
                                 number=i))
        if key in keys:
            raise InvalidInput(_("Question %(number)s: the key '%(key)s' is used twice.", number=i, key=key))
        keys.add(key)
        q["key"] = key
        q["label"] = str(q.get("label") or key.title()).strip()
        points = q.get("points")
        if points not in SCALE_POINTS:
            raise InvalidInput(_("Question '%(key)s': the scale must have 3, 5, 7 or 9 points.", key=key))
        labels = [str(x).strip() for x in (q.get("labels") or DEFAULT_LABELS[points])]
        if len(labels) != points or not all(labels):
            raise InvalidInput(_("Question '%(key)s': give exactly %(points)s scale labels, one per point.", key=key,
                                 points=points))
        q["labels"] = labels
        agree, disagree = default_bands(points)
        q["agree"] = [int(x) for x in (q.get("agree") or agree)]
        q["disagree"] = [int(x) for x in (q.get("disagree") or disagree)]
        q["allow_unable"] = bool(q.get("allow_unable", True))
        try:
            analysis_config(p, q)
        except (stats.StatsInputError, ValueError) as exc:
            raise InvalidInput(_("Question '%(key)s': %(reason)s", key=key, reason=exc)) from None

    rule = p.get("rule") or "mlm-2021"
    if not (isinstance(rule, dict) or (isinstance(rule, str) and rule in stats.PRESETS)):
        raise InvalidInput(_("Consensus rule: give a preset name or a JSON object with clauses (presets: "
                             "%(presets)s); a rule is never read from a file here.", presets=", ".join(stats.PRESETS)))
    try:
        stats.load_rule(rule)
    except (stats.StatsInputError, ValueError) as exc:
        raise InvalidInput(_("Consensus rule: %(reason)s", reason=exc)) from None
    try:
        threshold = float(p.get("stability_threshold", 0.15))
    except (TypeError, ValueError):
        raise InvalidInput(_("The stability threshold must be a number such as 0.15.")) from None
    if not 0 < threshold <= 1:
        raise InvalidInput(_("The stability threshold is a fraction between 0 and 1 (e.g. 0.15 for 15 %)."))
    p["stability_threshold"] = threshold
    if p.get("stopping") not in STOPPING_RULES:
        raise InvalidInput(_("Choose a stopping rule."))
    try:
        p["max_rounds"] = int(p.get("max_rounds"))
    except (TypeError, ValueError):
        raise InvalidInput(_("The maximum number of rounds must be a whole number.")) from None
    if not 1 <= p["max_rounds"] <= 10:
        raise InvalidInput(_("The maximum number of rounds must be between 1 and 10."))
    if p.get("quartiles") not in ("linear", "weibull"):
        raise InvalidInput(_("The quartile method is 'linear' (numpy, type 7) or 'weibull' (SPSS, type 6)."))
    p["drop_decided"] = bool(p.get("drop_decided", True))
    p["publish_interests"] = bool(p.get("publish_interests", False))
    p["publish_panel_attributes"] = bool(p.get("publish_panel_attributes", False))
    p["feedback_by_group"] = bool(p.get("feedback_by_group", False))
    p["prefill_previous"] = bool(p.get("prefill_previous", False))
    try:
        days = sorted({int(d) for d in (p.get("reminder_days_before") or [])}, reverse=True)
    except (TypeError, ValueError):
        raise InvalidInput(_("Automatic reminders are whole numbers of days before the deadline, e.g. 3, 1.")) from None
    if any(not 1 <= d <= 60 for d in days):
        raise InvalidInput(_("Automatic reminders go out 1 to 60 days before the deadline."))
    p["reminder_days_before"] = days
    p["withdrawn_ratings"] = p.get("withdrawn_ratings") or "keep"
    if p["withdrawn_ratings"] not in WITHDRAWN:
        raise InvalidInput(_("A withdrawn panelist's ratings are either kept ('keep') or left out ('exclude')."))
    chosen = p.get("default_actions") or {}
    if not isinstance(chosen, dict) or any(v not in ACTIONS for v in chosen.values()):
        raise InvalidInput(_("A default action per outcome is one of accept, revise, drop or rerate."))
    p["default_actions"] = default_actions(p)
    p["respondents"] = p.get("respondents") or "any_rating"
    if p["respondents"] not in RESPONDENTS:
        raise InvalidInput(_("Who counts as a respondent: 'any_rating' (gave a rating) or 'submitted' (submitted "
                             "the round)."))
    low = p.get("comment_required_at_or_below")
    p["comment_required_at_or_below"] = int(low) if low not in (None, "") else None
    _validate_languages(p)
    _validate_mode(p)
    return p


# Study modes (issue 18). Real-time Delphi after Gordon & Pease (2006), "RT Delphi: an efficient, 'round-less'
# almost real time Delphi method", Technological Forecasting and Social Change 73(4): 321-333.
MODES = {
    "classic": _l("Classic rounds: experts see the panel's answers from the next round on"),
    "realtime": _l("Real-time: one open round; each expert sees the group's answers once they have answered and may "
                   "change theirs as often as they like until the study closes"),
    "hybrid": _l("Hybrid: rounds as in a classic study, with the group's answers shown live within each round"),
}
MIN_LIVE_ANSWERS = 2  # below this an item's live distribution would be one expert's answer


def _validate_mode(p: dict[str, Any]) -> None:
    p["mode"] = p.get("mode") or "classic"
    if p["mode"] not in MODES:
        raise InvalidInput(_("The study mode is 'classic', 'realtime' or 'hybrid'."))
    live = p.get("live") or {}
    try:
        least = int(live.get("min_answers", 3))
        refresh = int(live.get("refresh_seconds", 3))
    except (TypeError, ValueError):
        raise InvalidInput(_("Live feedback: the least number of answers and the refresh interval are whole "
                             "numbers.")) from None
    if least < MIN_LIVE_ANSWERS:
        raise InvalidInput(_("Live feedback shows an item once at least %(least)s experts have answered it, so that "
                             "no single answer is exposed.", least=MIN_LIVE_ANSWERS))
    if not 2 <= refresh <= 60:
        raise InvalidInput(_("Live feedback refreshes every 2 to 60 seconds."))
    p["live"] = {"min_answers": least, "after_own_answer": bool(live.get("after_own_answer", True)),
                 "refresh_seconds": refresh}
    if p["mode"] == "realtime":
        p["max_rounds"] = 1  # no rounds: the one round stays open until the organiser closes the study


def is_live(protocol: dict[str, Any]) -> bool:
    """Whether experts see the group's answers while the round is open (real-time and hybrid studies)."""
    return (protocol.get("mode") or "classic") in ("realtime", "hybrid")


def _validate_languages(p: dict[str, Any]) -> None:
    """`languages`: the tags offered besides the framework's source language; `texts`: the study's own texts in
    each ({tag: {"consent": str, "questions": {key: {"label": str, "labels": [one per point]}}}}). Whether the
    framework has those translations is checked against the version (services/studies/languages.py)."""
    from delphi.services.frameworks.translations import normalise_language

    tags = p.get("languages") or []
    if not isinstance(tags, list):
        raise InvalidInput(_('The languages offered are a list of language tags, e.g. ["de", "pt"].'))
    p["languages"] = list(dict.fromkeys(normalise_language(str(t)) for t in tags))
    texts = p.get("texts") or {}
    if not isinstance(texts, dict):
        raise InvalidInput(_("The texts per language are an object keyed by language tag."))
    questions = {q["key"]: q for q in p["questions"]}
    clean: dict[str, Any] = {}
    for tag, entry in texts.items():
        tag = normalise_language(str(tag))
        if tag not in p["languages"] or not isinstance(entry, dict):
            continue  # texts of a language no longer offered are dropped
        out: dict[str, Any] = {"consent": str(entry.get("consent") or "").strip(), "questions": {}}
        for key, given in (entry.get("questions") or {}).items():
            q = questions.get(key)
            if q is None or not isinstance(given, dict):
                continue
            labels = [str(x).strip() for x in (given.get("labels") or [])]
            if len(labels) != q["points"] or not all(labels):
                labels = []  # e.g. the scale changed since: the languages page asks for them again
            out["questions"][key] = {"label": str(given.get("label") or "").strip(), "labels": labels}
        clean[tag] = out
    p["texts"] = clean


def analysis_config(protocol: dict[str, Any], question: dict[str, Any], panel_size: int | None = None
                    ) -> stats.AnalysisConfig:
    """The statistics engine's configuration for one question of the protocol."""
    rule = protocol.get("rule") or "mlm-2021"
    return stats.AnalysisConfig(
        scale_min=1, scale_max=int(question["points"]),
        agree=tuple(question["agree"]), disagree=tuple(question["disagree"]),
        rule=stats.load_rule(rule), quartiles=protocol.get("quartiles", "linear"),
        panel_size=panel_size, max_rounds=protocol.get("max_rounds"),
        stability_threshold=float(protocol.get("stability_threshold", 0.15)))


ACTIONS = ("accept", "revise", "drop", "rerate")  # what an outcome may suggest (merge needs a target: never a default)


def rule_outcomes(protocol: dict[str, Any]) -> list[str]:
    """Every outcome the protocol's consensus rule can give, in the rule's order."""
    rule = stats.load_rule(protocol.get("rule") or "mlm-2021").to_dict()
    names = [c["outcome"] for c in rule.get("clauses", [])] + [rule.get("otherwise")]
    return list(dict.fromkeys(n for n in names if n))


def _guess_action(outcome: str, decided: set[str]) -> str:
    name = outcome.lower()
    if any(w in name for w in ("out", "inappropriate", "drop", "exclude", "reject")):
        return "drop"
    if "reformulat" in name or "revis" in name:
        return "revise"
    return "accept" if outcome in decided else "rerate"


def default_actions(protocol: dict[str, Any]) -> dict[str, str]:
    """Outcome -> the decision the dashboard pre-selects (and "apply the defaults" makes, for accept/re-rate);
    the protocol's own choice where it has one, else a guess from the rule (decided outcomes are accepted)."""
    rule = stats.load_rule(protocol.get("rule") or "mlm-2021")
    decided = set(rule.decided or ())
    chosen = protocol.get("default_actions") or {}
    return {o: chosen.get(o) if chosen.get(o) in ACTIONS else _guess_action(o, decided)
            for o in rule_outcomes(protocol)}


WITHDRAWN = {"keep": _l("ratings given before withdrawing count"),
             "exclude": _l("ratings of panelists who withdrew are left out of the statistics of every round")}


def counted(protocol: dict[str, Any]) -> dict[str, bool | None]:
    """Which ratings the statistics count, as filters for ratings.frame: by submission and by withdrawal."""
    return {"submitted": True if respondents(protocol) == "submitted" else None,
            "withdrawn": False if protocol.get("withdrawn_ratings") == "exclude" else None}


def respondents(protocol: dict[str, Any]) -> str:
    """The study's one definition of a respondent (see RESPONDENTS); protocols before it existed: any_rating."""
    return protocol.get("respondents") or "any_rating"


def rule_summary(protocol: dict[str, Any]) -> dict[str, Any]:
    return stats.load_rule(protocol.get("rule") or "mlm-2021").to_dict()


def checksum(protocol: dict[str, Any]) -> str:
    canonical = json.dumps(protocol, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
