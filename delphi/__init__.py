"""The Delphi consensus platform: create_app() builds the Flask application."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from delphi.version import __version__

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type | str | None = None) -> Flask:
    """Build the app. config: a config class, a name from config.CONFIGS, or FLASK_ENV-like DELPHI_ENV."""
    from config import CONFIGS, DevelopmentConfig, ProductionConfig

    if config is None:
        config = os.environ.get("DELPHI_ENV") or None
    # Development only when asked for (DELPHI_ENV=development, as make run sets it): an unset DELPHI_ENV still
    # gets the development defaults, but not the public signing key (security.check_startup).
    development = config == "development" or (isinstance(config, type) and issubclass(config, DevelopmentConfig))
    if config is None or isinstance(config, str):
        config = CONFIGS[config or "development"]
    production = isinstance(config, type) and issubclass(config, ProductionConfig)
    if production:
        ProductionConfig.check()

    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder="static",
                instance_path=str(Path(config.INSTANCE_PATH).resolve()))
    app.config.from_object(config)
    from delphi.jsonsafe import SafeRequest

    app.request_class = SafeRequest  # request.get_json(): a hostile body is a 400, never a 500
    from delphi.security import check_startup

    check_startup(app, development=development, production=production)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    if app.config.get("PROXY_FIX_HOPS"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_extensions(app)
    register_jobs(app)
    register_blueprints(app)
    register_cli(app)
    register_errors(app)
    register_observability(app)
    return app


def register_extensions(app: Flask) -> None:
    from delphi import models  # noqa: F401  (the metadata must be complete for Alembic)
    from delphi.extensions import csrf, db, limiter, login_manager, migrate
    from delphi.security import register_security_headers

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"

    @login_manager.unauthorized_handler
    def _unauthorized():
        """JSON callers (autosave, API) get a 401 they can show; pages redirect to the login form."""
        from flask import flash, jsonify, redirect, request, url_for
        from flask_babel import gettext as _

        if request.is_json or request.path.endswith("/autosave") or request.path.startswith("/api/"):
            message = _("Your session has ended. Log in again; answers you saved before are kept.")
            return jsonify({"ok": False, "error": message, "status": 401}), 401
        flash(str(login_manager.login_message), login_manager.login_message_category)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        from delphi.models import User
        from delphi.security import parse_login_id

        identity = parse_login_id(user_id)
        user = db.session.get(User, identity[0]) if identity else None
        # A changed password or logout bumps the version; a deactivated account loses its sessions.
        if user is None or user.session_version != identity[1] or not user.active:
            return None
        return user

    register_security_headers(app)
    from delphi import i18n

    i18n.init_app(app)

    @app.context_processor
    def _template_globals():
        from flask_login import current_user

        from delphi.forms import EmptyForm
        from delphi.permissions import landings_for

        landings = landings_for(current_user) if current_user.is_authenticated else []
        # formdata=None: the button form only renders its token; reading the request body here would raise
        # again on the 413 page of an over-size upload.
        return {"role_landings": landings, "button_form": EmptyForm(formdata=None), "app_version": __version__}


def register_jobs(app: Flask) -> None:
    from delphi.jobs import init_app

    init_app(app)


def register_blueprints(app: Flask) -> None:
    from delphi.admin import bp as admin_bp
    from delphi.api import bp as api_bp
    from delphi.assessor import bp as assessor_bp
    from delphi.auth import bp as auth_bp
    from delphi.expert import bp as expert_bp
    from delphi.organiser import bp as organiser_bp
    from delphi.converters import BoundedInt
    from delphi.public import bp as public_bp

    app.url_map.converters["int"] = BoundedInt
    for bp in (public_bp, auth_bp, admin_bp, organiser_bp, expert_bp, assessor_bp, api_bp):
        app.register_blueprint(bp)


def register_cli(app: Flask) -> None:
    from delphi.cli import delphi_cli

    app.cli.add_command(delphi_cli)


def register_observability(app: Flask) -> None:
    from delphi.observability import register_observability as _register

    _register(app)


def register_errors(app: Flask) -> None:
    from delphi.errors import register_errors as _register

    _register(app)
