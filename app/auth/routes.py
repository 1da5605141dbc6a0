from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import bp
from app.auth.forms import LoginForm, PasswordChangeForm
from app.extensions import db, login_manager
from app.models import User
from app.services import login_throttle, passwords, sessions
from app.web.errors import error_response, wants_json
from app.web.i18n import LANGUAGE_COOKIE
from app.web.requests import safe_next
from app.web.security import fresh_session


@login_manager.user_loader
def load_user(session_token: str):
    """The cookie names a server-side session, which logout, a new password or deactivation end."""
    return sessions.user_for(session_token)


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
    wait = login_throttle.seconds_to_wait(username, request.remote_addr)
    if wait:
        form.form_errors.append(_("Too many failed logins. Try again in %(n)d seconds.", n=wait))
        return render_template("auth/login.html", form=form), 429
    user = db.session.scalar(db.select(User).filter_by(username=username))
    if not passwords.verify(user, form.password.data) or not user.active:
        form.form_errors.append(_("Wrong username or password, or the account is deactivated."))
        return render_template("auth/login.html", form=form), 401
    login_throttle.succeeded(username, request.remote_addr)
    start_session(user)
    return redirect(safe_next(url_for("auth.index")))


def start_session(user: User) -> None:
    """A fresh server-side session for this device; the cookie carries only its token."""
    user.session_token = sessions.start(user)
    db.session.commit()
    fresh_session()
    session.permanent = True
    login_user(user)


@bp.post("/logout")
@login_required
def logout():
    """End this device's session on the server too, so a copy of the cookie is worth nothing."""
    sessions.end(current_user.session_token)
    db.session.commit()
    logout_user()
    fresh_session()
    flash(_("You are logged out."))
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change one's own password; every other device this account is logged in on is logged out."""
    form = PasswordChangeForm(username=current_user.username)
    if form.validate_on_submit():
        if passwords.verify(current_user, form.current_password.data):
            passwords.change_own(current_user, form.password.data)
            db.session.commit()
            flash(_("Your password was changed. Your other devices are logged out."))
            return redirect(url_for("auth.index"))
        form.current_password.errors.append(_("The current password is not right."))
    status = 422 if request.method == "POST" else 200
    return render_template("auth/password.html", form=form), status


@bp.post("/language")
def set_language():
    """Remember the chosen UI language in a cookie and go back where the user was."""
    language = request.form.get("language", "")
    response = redirect(safe_next(url_for("auth.index")))
    if language in current_app.config["LANGUAGES"]:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
