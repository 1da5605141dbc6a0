from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length

from app.web.forms import Form, new_password_field


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class PasswordChangeForm(Form):
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Enter your current password.")), Length(max=200)],
    )
    password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("New password again"),
        validators=[EqualTo("password", message=_l("The two new passwords differ."))],
    )

    def __init__(self, *args, username: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.policy_username = username
