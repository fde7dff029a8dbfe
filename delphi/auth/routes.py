"""Log in and out, accept an invitation, reset a password."""
from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from delphi.auth.forms import AcceptInvitationForm, LoginForm, NewPasswordForm, ResetRequestForm
from delphi.errors import InvalidInput
from delphi.extensions import db, limiter
from delphi.forms import EmptyForm
from delphi.models import TokenPurpose
from delphi.security import safe_next
from delphi.services.accounts import users

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _token_limit() -> str:
    return current_app.config["TOKEN_RATE_LIMIT"]


def _start_session(user, remember: bool = False) -> None:
    # A fresh session on every login: nothing an attacker planted before it survives (session fixation).
    session.clear()
    login_user(user, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data)
        if user is None:
            db.session.commit()  # the account's count of failed logins
            cfg = current_app.config
            # One message for every failure, so it tells no-one whether the account exists or is locked.
            flash(_("Wrong e-mail or password. After %(attempts)s failed attempts an account is locked for "
                    "%(minutes)s minutes and its owner is told by e-mail; a new password (Forgot your password?) "
                    "lifts the lock.", attempts=cfg["LOGIN_LOCK_AFTER"], minutes=cfg["LOGIN_LOCK_MINUTES"]),
                  "error")
            return render_template("auth/login.html", form=form), 401
        _start_session(user, remember=form.remember.data)
        db.session.commit()
        return redirect(safe_next(form.next.data) or url_for("public.home"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        users.end_sessions(current_user)  # a copied cookie (or another device) is logged out too
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You are logged out, on this and every other device."), "info")
    return redirect(url_for("public.index"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        start = time.perf_counter()
        users.send_password_reset(form.email.data)
        db.session.commit()
        users.answer_no_sooner_than(start)  # a known address (token, commit, mail) takes as long as an unknown
        flash(_("If an account exists for that address, we have sent it a link to choose a new password."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_token_limit)
def reset_password(token: str):
    try:
        tok = users.peek_token(token, TokenPurpose.PASSWORD_RESET)
    except users.TokenInvalid as exc:
        return render_template("auth/token_invalid.html", message=exc.message), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            users.check_password_policy(form.password.data)
            users.consume_token(token, TokenPurpose.PASSWORD_RESET)
            users.set_password(tok.user, form.password.data)
        except InvalidInput as exc:
            db.session.rollback()
            form.password.errors.append(exc.message)
            return render_template("auth/reset_password.html", form=form), 400
        _start_session(tok.user)
        db.session.commit()
        flash(_("Your password has been changed and you are logged in."), "success")
        return redirect(url_for("public.home"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(_token_limit)
def accept_invitation(token: str):
    try:
        tok = users.peek_token(token, TokenPurpose.INVITATION)
    except users.TokenInvalid as exc:
        return render_template("auth/token_invalid.html", message=exc.message), 400
    form = AcceptInvitationForm()
    if request.method == "GET":
        form.name.data = tok.user.name
    if form.validate_on_submit():
        user = tok.user
        try:
            users.consume_token(token, TokenPurpose.INVITATION)
            if form.password.data:  # after the consumption: a new password voids every other link still out
                users.set_password(user, form.password.data)
        except InvalidInput as exc:
            db.session.rollback()
            form.password.errors.append(exc.message)
            return render_template("auth/accept_invitation.html", form=form, invited=tok.user), 400
        user.name = form.name.data.strip()
        _start_session(user)
        db.session.commit()
        flash(_("Welcome, %(name)s.", name=user.name), "success")
        return redirect(safe_next(tok.next_path) or url_for("public.home"))
    return render_template("auth/accept_invitation.html", form=form, invited=tok.user)
