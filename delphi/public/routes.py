"""The front page, and /home which sends a person to the landing page of their role(s)."""
from flask import redirect, render_template, url_for
from flask_login import current_user, login_required

from delphi.permissions import landings_for
from delphi.public import bp


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    return render_template("public/index.html")


@bp.get("/home")
@login_required
def home():
    landings = landings_for(current_user)
    if len(landings) == 1:
        return redirect(url_for(landings[0].endpoint))
    return render_template("public/home.html", landings=landings)
