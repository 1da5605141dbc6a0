"""The one form field every new password is typed into, with the password policy as its validator."""

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField
from wtforms.validators import InputRequired, ValidationError

from app.services import passwords


class PasswordPolicy:
    """Refuses what `passwords.problem` refuses; the username is the form's `username` field or
    the form's `policy_username` (a reset or a change of an existing account)."""

    def __call__(self, form, field):
        username = getattr(form, "policy_username", "") or getattr(
            getattr(form, "username", None), "data", ""
        )
        problem = passwords.problem(field.data or "", username or "")
        if problem:
            raise ValidationError(problem)


def new_password_field(label) -> PasswordField:
    return PasswordField(label, validators=[InputRequired(_l("Enter a password.")), PasswordPolicy()])
