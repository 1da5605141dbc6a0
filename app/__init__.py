"""The Flask application factory."""

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import cli
from app.config import INSTANCE_DIR, Config
from app.extensions import babel, compress, csrf, db, login_manager, migrate
from app.services import evidence, rubrics
from app.web import assets, errors, i18n, operations, security, template_helpers


def create_app(config_class: type = Config, **overrides) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(config_class)
    app.config.update(overrides)
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)
    evidence.remove_abandoned_files(app.config["UPLOAD_DIR"])
    operations.register(app)  # first, so its timing and request id wrap every other hook
    register_extensions(app)
    security.register_request_parsing(app)
    register_blueprints(app)
    template_helpers.register(app)
    errors.register(app)
    assets.register(app)
    security.register(app)
    cli.register(app)
    trust_proxies(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind PROXY_FIX_X_FOR proxies, the client's address is the one they forward: the login
    limit per client counts each phone, not the proxy everyone comes through."""
    proxies = app.config["PROXY_FIX_X_FOR"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    compress.init_app(app)
    rubrics.register(app)
    with app.app_context():
        security.enable_sqlite_wal(db.engine, app.config["SQLITE_BUSY_TIMEOUT"])


def register_blueprints(app: Flask) -> None:
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.assess import bp as assess_bp
    from app.auth import bp as auth_bp
    from app.ops import bp as ops_bp
    from app.photos import bp as photos_bp
    from app.plans import bp as plans_bp
    from app.pwa import bp as pwa_bp
    from app.reports import bp as reports_bp
    from app.share import bp as share_bp
    from app.station import bp as station_bp
    from app.verify import bp as verify_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(assess_bp)
    app.register_blueprint(station_bp)
    app.register_blueprint(verify_bp)
    app.register_blueprint(photos_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(pwa_bp)
    app.register_blueprint(share_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(api_bp, url_prefix="/api")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(plans_bp)
