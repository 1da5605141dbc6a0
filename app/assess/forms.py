from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length


class ReopenForm(FlaskForm):
    reason = TextAreaField(_l("Reason for reopening"), validators=[Length(max=2000)])
