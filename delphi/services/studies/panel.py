"""The expert panel: adding people (a CSV file: panel_csv.py), pseudonyms, invitations, reminders, consent."""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from delphi import bulk, i18n
from delphi.db import utcnow
from delphi.errors import InvalidInput
from delphi.extensions import db
from delphi.models import MailLog, Panelist, Participation, Round, RoundStatus, Study, TokenPurpose, User
from delphi.services.accounts import audit, mail, users
from delphi.services.frameworks import translations
from delphi.services.studies import design, languages



def _next_pseudonym(study: Study) -> str:
    count = db.session.scalar(select(func.count(Panelist.id)).where(Panelist.study_id == study.id)) or 0
    width = 2 if count < 99 else 3
    return f"E{count + 1:0{width}d}"


def add(study: Study, email: str, name: str, *, by: User | None, stakeholder_group: str = "", country: str = "",
        expertise: str = "", language: str = "") -> Panelist:
    design.require_live(study)
    language = offered_language(study, language)
    user = users.get_or_create_user(email, name)[0]
    if db.session.scalar(select(Panelist.id).where(Panelist.study_id == study.id, Panelist.user_id == user.id)):
        raise InvalidInput(_("%(email)s is already on this panel.", email=user.email))
    panelist = Panelist(study_id=study.id, user_id=user.id, pseudonym=_next_pseudonym(study), name=name.strip(),
                        stakeholder_group=stakeholder_group.strip(), country=country.strip(),
                        expertise=expertise.strip(), language=language)
    db.session.add(panelist)
    db.session.flush()
    audit.record(by, "add_panelist", "study", study.id, after={"pseudonym": panelist.pseudonym,
                                                                "email": user.email})
    return panelist


class Withdrawn(InvalidInput):
    status_code = 409

    def __init__(self):
        super().__init__(_("You have withdrawn from this study: your answers are kept as they were and can no "
                           "longer change. Write to the organiser to take part again."))


class NotConsented(InvalidInput):
    status_code = 403

    def __init__(self):
        super().__init__(_("Accept the study's terms first (the consent page); nothing was saved."))


def require_active(panelist: Panelist) -> None:
    """Every rating write checks this: a panelist who has not consented, or has withdrawn, changes nothing."""
    if panelist.consented_at is None:
        raise NotConsented()
    if panelist.withdrawn_at is not None:
        raise Withdrawn()


def offered_language(study: Study, language: str | None) -> str:
    """'' (the expert chooses) or one of the study's languages; refused otherwise."""
    if not (language or "").strip():
        return ""
    tag = translations.normalise_language(language)
    offered = languages.offered(study)
    if tag not in offered:
        raise InvalidInput(_("%(language)s is not offered by this study (offered: %(offered)s).",
                             language=tag, offered=", ".join(offered)))
    return tag


def edit(panelist: Panelist, *, by: User, name: str | None = None, stakeholder_group: str = "",
         country: str = "", expertise: str = "", language: str | None = None) -> None:
    """The organiser corrects a panelist's details. Until the expert consents, the name is the organiser's own
    label (never the account's); from consent on it is the person's own (one account for every study)."""
    design.require_live(panelist.study)
    before = {"group": panelist.stakeholder_group, "country": panelist.country, "expertise": panelist.expertise,
              "name": panelist.shown_name, "language": panelist.language}
    if language is not None:
        language = offered_language(panelist.study, language)
    name = (name or "").strip()
    if name and name != panelist.shown_name:
        if panelist.consented_at is not None:
            raise InvalidInput(_("%(pseudonym)s has joined the study: their name is theirs to change. Group, "
                                 "country and expertise were not changed either; save them without the name.",
                                 pseudonym=panelist.pseudonym))
        panelist.name = name
        if panelist.user.last_login_at is None and not panelist.user.password_hash:
            panelist.user.name = name  # an account nobody has used yet: its greeting follows the correction
    panelist.stakeholder_group = (stakeholder_group or "").strip()
    panelist.country = (country or "").strip()
    panelist.expertise = (expertise or "").strip()
    if language is not None:
        panelist.language = language
    db.session.flush()
    audit.record(by, "edit_panelist", "study", panelist.study_id, before={"pseudonym": panelist.pseudonym, **before},
                 after={"pseudonym": panelist.pseudonym, "group": panelist.stakeholder_group,
                        "country": panelist.country, "expertise": panelist.expertise, "name": panelist.shown_name,
                        "language": panelist.language})


def withdraw(panelist: Panelist, reason: str, *, by: User) -> None:
    design.require_live(panelist.study)  # an archived panel is part of the stored results
    if panelist.withdrawn_at is not None:
        raise InvalidInput(_("%(pseudonym)s has already withdrawn.", pseudonym=panelist.pseudonym))
    panelist.withdrawn_at = utcnow()
    panelist.withdrawal_reason = (reason or "").strip() or None
    db.session.flush()
    audit.record(by, "withdraw_panelist", "study", panelist.study_id,
                 after={"pseudonym": panelist.pseudonym, "reason": panelist.withdrawal_reason})


def reinstate(panelist: Panelist, *, by: User) -> None:
    design.require_live(panelist.study)  # an archived panel is part of the stored results
    if panelist.withdrawn_at is None:
        raise InvalidInput(_("%(pseudonym)s has not withdrawn.", pseudonym=panelist.pseudonym))
    panelist.withdrawn_at = None
    panelist.withdrawal_reason = None
    db.session.flush()
    audit.record(by, "reinstate_panelist", "study", panelist.study_id, after={"pseudonym": panelist.pseudonym})


def resend_invitation(panelist: Panelist, *, by: User) -> None:
    """A new single-use link for one panelist who has not accepted yet (the old link stops working)."""
    if panelist.consented_at is not None:
        raise InvalidInput(_("%(pseudonym)s has already accepted the invitation; they log in as usual.",
                               pseudonym=panelist.pseudonym))
    if panelist.withdrawn_at is not None:
        raise InvalidInput(_("%(pseudonym)s has withdrawn; reinstate them first.", pseudonym=panelist.pseudonym))
    from delphi.models import Token, TokenPurpose

    now = utcnow()
    db.session.execute(update(Token).where(  # the earlier link to this study stops working
        Token.user_id == panelist.user_id, Token.purpose == TokenPurpose.INVITATION, Token.used_at.is_(None),
        Token.next_path == f"/expert/studies/{panelist.study_id}/consent", Token.expires_at > now)
        .values(expires_at=now))
    panelist.invited_at = None
    invite(panelist.study, [panelist], by=by)


def invite(study: Study, panelists: list[Panelist], *, by: User | None) -> int:
    """E-mail a single-use invitation link to each panelist not yet invited, in their language; returns how many
    were sent. The text is composed once per language (reading the draft once), not once per panelist."""
    design.require_live(study)
    sent = 0
    todo = [p for p in panelists if p.invited_at is None and p.withdrawn_at is None]
    # Every account in one query, held here so p.user comes from the session, not one query per panelist.
    ids = [p.user_id for p in todo]
    accounts = db.session.scalars(select(User).where(bulk.among(User.id, ids))).all() if todo else []
    next_path = f"/expert/studies/{study.id}/consent"
    tokens = users.issue_tokens(ids, TokenPurpose.INVITATION, users.invitation_ttl(), next_path)
    logged, now = [], utcnow()
    facts = _InvitationFacts.of(study) if todo else None
    for language, group in _by_language(zip(todo, tokens, strict=True), key=lambda pair: pair[0]).items():
        with force_locale(language):
            purpose, details = invitation_purpose(study, facts)
            invitation = users.Invitation.of(by, purpose, details)
            for p, raw in group:
                mail.send(p.user.email, invitation.subject, invitation.body(p.user.name, users.invitation_link(raw)),
                          kind="invitation", study_id=study.id, panelist_id=p.id)
                set_committed_value(p, "invited_at", now)  # written below in one UPDATE, not one per panelist
                logged.append(dict(study_id=study.id, panelist_id=p.id, kind="invitation", sent_at=now,
                                   subject=invitation.subject[:300], sent_by_id=by.id if by else None))
                sent += 1
    if logged:  # one UPDATE and one INSERT for the whole panel (a 2,000-expert invitation answers in < 1 s)
        db.session.execute(update(Panelist).where(bulk.among(Panelist.id, [row["panelist_id"] for row in logged]))
                           .values(invited_at=now).execution_options(synchronize_session=False))
        bulk.insert_rows(MailLog.__table__, logged)
    db.session.flush()
    del accounts
    if sent:
        audit.record(by, "invite_panel", "study", study.id, after={"sent": sent})
    return sent


def _by_language(items: Iterable, key=lambda p: p) -> dict[str, list]:
    """Panelists (or pairs, key giving the panelist) by the language to write to them, in their order: their
    account's setting, else the language they rate in when the interface speaks it."""
    groups: dict[str, list] = {}
    for item in items:
        p = key(item)
        language = i18n.supported(p.user.locale) or i18n.supported(p.language) or i18n.DEFAULT
        groups.setdefault(language, []).append(item)
    return groups


@dataclass(frozen=True)
class _InvitationFacts:
    """What a study's invitation tells, the same in every language (read once for a whole panel)."""
    n_items: int
    minutes: int | None
    round_number: int | None
    deadline: datetime | None
    max_rounds: int | None

    @classmethod
    def of(cls, study: Study) -> _InvitationFacts:
        n_items = rated_count(study)
        rnd = study.current_round
        is_open = rnd is not None and rnd.is_open
        return cls(n_items=n_items,
                   minutes=time_estimate(n_items, len(study.protocol.get("questions") or ())) if n_items else None,
                   round_number=rnd.number if is_open else None, deadline=rnd.deadline if is_open else None,
                   max_rounds=study.protocol.get("max_rounds"))


def invitation_purpose(study: Study, facts: _InvitationFacts | None = None) -> tuple[str, str]:
    """What the invitation says is asked ("to join …", the end of the inviting sentence), and the sentences after
    it: by when and how long it takes. In the current locale."""
    facts = facts or _InvitationFacts.of(study)
    when = (" " + _("Round %(number)s is open until %(deadline)s UTC.", number=facts.round_number,
                    deadline=i18n.moment(facts.deadline)) if facts.round_number is not None
            else " " + _("You will be told by e-mail when round 1 opens."))
    size = (" " + _("Each round asks you to rate about %(count)s items of the framework (%(minutes)s minutes or so; "
                    "you can stop and continue at any time).", count=facts.n_items, minutes=facts.minutes)
            if facts.n_items else "")
    if study.protocol.get("mode") == "realtime":
        purpose = _("to join the expert panel of the real-time Delphi study “%(title)s”: once you have answered an "
                    "item you see the panel's answers, and you may change yours until the study closes",
                    title=study.title)
    else:
        purpose = _("to join the expert panel of the Delphi study “%(title)s”, in up to %(rounds)s rounds",
                    title=study.title, rounds=facts.max_rounds)
    return purpose, size + when + " " + _("Your answers are anonymous to the other panelists.")


def rated_count(study: Study) -> int:
    """How many items a round asks for: the study's live items once round 1 has opened, else what the protocol
    would make of the framework draft."""
    if study.items:
        return sum(1 for i in study.items if i.state.value in ("active", "accepted"))
    from delphi.services.frameworks import versions
    from delphi.services.studies import design

    doc = versions.to_document(study.framework_version)
    return sum(1 for _element in design.rated_elements(doc, study.protocol.get("rated_kinds") or ()))


def non_completers(rnd: Round) -> list[Panelist]:
    submitted = select(Participation.panelist_id).where(Participation.round_id == rnd.id,
                                                        Participation.submitted_at.is_not(None))
    return list(db.session.scalars(select(Panelist).where(Panelist.study_id == rnd.study_id,
                                                          Panelist.id.not_in(submitted),
                                                          Panelist.withdrawn_at.is_(None))
                                   .order_by(Panelist.pseudonym)))


def remind(rnd: Round, *, by: User | None, base_url: str) -> int:
    """Remind those who have not submitted the open round (and only them)."""
    targets = non_completers(rnd)
    _remind(rnd, targets, base_url.rstrip("/"), kind="reminder", by=by)
    db.session.flush()
    audit.record(by, "remind_panel", "round", rnd.id, after={"sent": len(targets)})
    return len(targets)


def _remind(rnd: Round, panelists: list[Panelist], base: str, *, kind: str, by: User | None) -> None:
    """Each a reminder in their language (composed once per language)."""
    study = rnd.study
    link = f"{base}/expert/rounds/{rnd.id}"
    for language, group in _by_language(panelists).items():
        with force_locale(language):
            deadline = format_datetime(rnd.deadline, "dd MMMM y HH:mm")  # "02 December 2026 14:05"
            subject = _("Reminder: round %(number)s of “%(title)s” closes %(deadline)s UTC", number=rnd.number,
                        title=study.title, deadline=deadline)
            text = (_("Round %(number)s of the Delphi study “%(title)s” is open until %(deadline)s UTC and we have "
                      "not yet received your submission.", number=rnd.number, title=study.title, deadline=deadline)
                    + "\n\n" + _("Continue where you left off: %(link)s", link=link) + "\n\n"
                    + _("Everything you have already answered is saved.") + "\n")
            for p in group:
                mail.send(p.user.email, subject, _("Hello %(name)s,", name=p.user.name) + "\n\n" + text,
                          kind=kind[:30], study_id=study.id, panelist_id=p.id)
                db.session.add(MailLog(study_id=study.id, panelist_id=p.id, kind=kind, round_number=rnd.number,
                                       subject=subject[:300], sent_by_id=by.id if by else None))


SECONDS_PER_ANSWER = 20  # a considered rating with the odd comment; the mail says "about", rounded up to 5 minutes


def time_estimate(n_items: int, n_questions: int) -> int:
    """Minutes a round of this size takes, rounded up to five (never under five)."""
    minutes = math.ceil(n_items * max(n_questions, 1) * SECONDS_PER_ANSWER / 60)
    return max(5, math.ceil(minutes / 5) * 5)


def announce_round(rnd: Round, *, by: User | None, base_url: str | None = None) -> int:
    """Tell every consented panelist that a round has opened: the study, the deadline, how much there is to rate,
    about how long it takes, and the link. Returns how many were told."""
    study = rnd.study
    base = (base_url or current_app.config["BASE_URL"]).rstrip("/")
    n_items = len(rnd.round_items)
    minutes = time_estimate(n_items, len(study.protocol.get("questions") or ()))
    told = 0
    # not yet on board (their invitation leads to the round after consent), or withdrawn: not told
    targets = [p for p in sorted(study.panelists, key=lambda p: p.pseudonym)
               if p.consented_at is not None and p.withdrawn_at is None]
    for language, group in _by_language(targets).items():
        with force_locale(language):  # composed once per language
            deadline = i18n.moment(rnd.deadline)
            subject = _("Round %(number)s of “%(title)s” is open until %(deadline)s UTC", number=rnd.number,
                        title=study.title, deadline=deadline)
            feedback = (_("You will see how the panel rated each item in the previous round, and may keep or change "
                          "your rating.") + "\n\n" if rnd.number > 1 else "")
            text = (_("Round %(number)s of the Delphi study “%(title)s” is open until %(deadline)s UTC.",
                      number=rnd.number, title=study.title, deadline=deadline) + "\n\n"
                    + _("There are %(count)s items to rate; that takes about %(minutes)s minutes, and you can stop "
                        "and continue at any time: every answer is saved as you give it.", count=n_items,
                        minutes=minutes) + "\n\n"
                    + feedback + _("Start here: %(link)s", link=f"{base}/expert/rounds/{rnd.id}") + "\n\n"
                    + (_("Other panelists never see who you are. Questions: %(contact)s.", contact=study.contact)
                       if study.contact else
                       _("Other panelists never see who you are. Questions: reply to this e-mail.")) + "\n")
            for p in group:
                mail.send(p.user.email, subject, _("Hello %(name)s,", name=p.user.name) + "\n\n" + text,
                          kind="round_open", study_id=study.id, panelist_id=p.id)
                db.session.add(MailLog(study_id=study.id, panelist_id=p.id, kind="round_open",
                                       round_number=rnd.number, subject=subject[:300],
                                       sent_by_id=by.id if by else None))
                told += 1
    db.session.flush()
    return told


@dataclass(frozen=True)
class ExpertStatus:
    """One panelist's standing, for the organiser: never a rating, only where they are."""
    per_round: dict[int, str]  # round number -> "submitted" | "started" | "not started" (in the reader's language)
    last_activity: datetime | None


def statuses(study: Study) -> dict[int, ExpertStatus]:
    """Per panelist id: their progress in every round and their last activity (two queries, any panel size)."""
    from delphi.models import Rating

    numbers = {r.id: r.number for r in study.rounds}
    seen: dict[int, dict[int, str]] = {}
    last: dict[int, datetime] = {}
    for round_id, panelist_id, started, submitted in db.session.execute(
            select(Participation.round_id, Participation.panelist_id, Participation.started_at,
                   Participation.submitted_at).where(Participation.round_id.in_(list(numbers) or [-1]))):
        seen.setdefault(panelist_id, {})[numbers[round_id]] = _("submitted") if submitted else _("started")
        for moment in (started, submitted):
            if moment is not None and (panelist_id not in last or moment > last[panelist_id]):
                last[panelist_id] = moment
    for panelist_id, moment in db.session.execute(
            select(Rating.panelist_id, func.max(Rating.updated_at)).where(Rating.round_id.in_(list(numbers) or [-1]))
            .group_by(Rating.panelist_id)):
        if moment is not None and (panelist_id not in last or moment > last[panelist_id]):
            last[panelist_id] = moment
    not_started = _("not started")
    return {p.id: ExpertStatus(per_round={n: seen.get(p.id, {}).get(n, not_started) for n in numbers.values()},
                               last_activity=last.get(p.id))
            for p in study.panelists}


def send_due_reminders(now: datetime | None = None, *, base_url: str | None = None) -> list[tuple[Round, int, int]]:
    """The protocol's automatic reminders (`reminder_days_before`, e.g. [3, 1]): once a round is within N days of
    its deadline, each panelist who has not submitted gets reminder N — once (the mail log remembers it).
    Returns (round, days, sent) for every reminder that went out; for cron: `flask delphi send-reminders`."""
    now = now or utcnow()
    base = (base_url or current_app.config["BASE_URL"]).rstrip("/")
    out = []
    for rnd in db.session.scalars(select(Round).where(Round.status == RoundStatus.OPEN, Round.deadline > now)):
        for days in sorted(set(rnd.study.protocol.get("reminder_days_before") or ()), reverse=True):
            if now < rnd.deadline - timedelta(days=days):
                continue
            kind = f"auto_reminder_{days}d"
            done = set(db.session.scalars(select(MailLog.panelist_id).where(
                MailLog.study_id == rnd.study_id, MailLog.kind == kind, MailLog.round_number == rnd.number)))
            targets = [p for p in non_completers(rnd) if p.consented_at is not None and p.id not in done]
            _remind(rnd, targets, base, kind=kind, by=None)
            if targets:
                out.append((rnd, days, len(targets)))
    db.session.flush()
    return out


def consent(panelist: Panelist, interests: str | None) -> None:
    if panelist.consented_at is None:
        panelist.consented_at = utcnow()
    panelist.interests = (interests or "").strip() or None
    db.session.flush()
