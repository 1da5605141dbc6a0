from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp, throttle
from app.auth.forms import LoginForm
from app.errors import error_response, wants_json
from app.extensions import db, login_manager
from app.i18n import LANGUAGE_COOKIE
from app.models import User
from app.web import safe_next


@login_manager.user_loader
def load_user(user_id: str):
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():
        return error_response(401, _("Please log in first."))
    return redirect(url_for("auth.login", next=request.full_path))


@bp.get("/")
def index():
    """Send each person to the page their role starts from."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role == "staff":
        return redirect(url_for("station.home"))
    if current_user.is_admin:
        return redirect(url_for("admin.dashboard_page"))
    return redirect(url_for("assess.home"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with username and password; repeated failures have to wait."""
    form = LoginForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("auth/login.html", form=form), status
    username = form.username.data.strip()
    wait = throttle.seconds_to_wait(username)
    if wait:
        form.form_errors.append(_("Too many failed logins. Try again in %(n)d seconds.", n=wait))
        return render_template("auth/login.html", form=form), 429
    user = db.session.scalar(db.select(User).filter_by(username=username))
    if user is None or not user.check_password(form.password.data) or not user.active:
        throttle.record_failure(username)
        form.form_errors.append(_("Wrong username or password, or the account is deactivated."))
        return render_template("auth/login.html", form=form), 401
    throttle.clear_failures(username)
    db.session.commit()
    session.permanent = True
    login_user(user)
    return redirect(safe_next(url_for("auth.index")))


@bp.post("/logout")
@login_required
def logout():
    """End the session."""
    logout_user()
    flash(_("You are logged out."))
    return redirect(url_for("auth.login"))


@bp.post("/language")
def set_language():
    """Remember the chosen UI language in a cookie and go back where the user was."""
    language = request.form.get("language", "")
    response = redirect(safe_next(url_for("auth.index")))
    if language in current_app.config["LANGUAGES"]:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
