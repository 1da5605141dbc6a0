from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, EmailField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from app.extensions import db
from app.models import Station, User
from app.services.assessments import STATUS_LABELS
from app.services.people import PASSWORD_MIN_LENGTH, ROLE_LABELS

TOO_LONG = _l("At most %(max)d characters.")


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class StationForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[InputRequired(_l("Enter the station's code.")), Length(max=32, message=TOO_LONG)],
        filters=[_strip],
    )
    name = StringField(
        _l("Name"),
        validators=[InputRequired(_l("Enter the station's name.")), Length(max=200, message=TOO_LONG)],
        filters=[_strip],
    )
    address = StringField(_l("Address"), validators=[Length(max=300, message=TOO_LONG)], filters=[_strip])
    contact = StringField(
        _l("Contact person and phone"), validators=[Length(max=200, message=TOO_LONG)], filters=[_strip]
    )

    def __init__(self, *args, station: Station | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.station = station

    def validate_code(self, field):
        other = db.session.scalar(db.select(Station).filter_by(code=field.data))
        if other is not None and other is not self.station:
            raise ValidationError(_l("A station with this code exists already."))

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in ("code", "name", "address", "contact")}


class ImportForm(FlaskForm):
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a file to import."))])


class OutboxImportForm(FlaskForm):
    file = FileField(
        _l("Export file from a phone (.json)"), validators=[FileRequired(_l("Choose a file to import."))]
    )


class ImportConfirmForm(FlaskForm):
    rows = HiddenField()


def _password_field(label):
    return PasswordField(
        label,
        validators=[
            InputRequired(_l("Enter a password.")),
            Length(
                min=PASSWORD_MIN_LENGTH,
                max=200,
                message=_l("The password needs at least %(min)d characters."),
            ),
        ],
    )


class _ProfileFields(FlaskForm):
    display_name = StringField(
        _l("Full name"), validators=[Length(max=100, message=TOO_LONG)], filters=[_strip]
    )
    email = EmailField(
        _l("E-mail (for rectification notices; optional)"),
        validators=[
            Optional(),
            Length(max=200, message=TOO_LONG),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address.")),
        ],
        filters=[_strip],
    )
    role = SelectField(_l("Role"), choices=[SelectChoice(key, label) for key, label in ROLE_LABELS.items()])
    station_code = StringField(
        _l("Station code (station staff only)"),
        validators=[Length(max=32, message=TOO_LONG)],
        filters=[_strip],
    )

    station = None

    def validate_station_code(self, field):
        self.station = None
        if self.role.data != "staff":
            return
        if not field.data:
            raise ValidationError(_l("Station staff need the code of their station."))
        self.station = db.session.scalar(db.select(Station).filter_by(code=field.data))
        if self.station is None:
            raise ValidationError(_l("There is no station with this code."))


class UserCreateForm(_ProfileFields):
    username = StringField(
        _l("Username"),
        validators=[
            InputRequired(_l("Enter a username.")),
            Length(max=64, message=TOO_LONG),
            Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Use letters, digits, dot, dash or underscore.")),
        ],
        filters=[_strip],
    )
    password = _password_field(_l("Password"))

    def validate_username(self, field):
        if db.session.scalar(db.select(User.id).filter_by(username=field.data)):
            raise ValidationError(_l("This username is taken."))


class UserEditForm(_ProfileFields):
    pass


class PasswordResetForm(FlaskForm):
    password = _password_field(_l("New password"))


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for reopening"),
        validators=[InputRequired(_l("Give a reason for reopening.")), Length(max=2000, message=TOO_LONG)],
        filters=[_strip],
    )


class QueryForm(FlaskForm):
    """A GET form read from the query string: nothing changes, so no CSRF token."""

    class Meta:
        csrf = False

    def __init__(self, args):
        super().__init__(formdata=args)


class DateRangeForm(QueryForm):
    """A filter with `start` and `end` dates, where the end may not come before the start."""

    def validate_end(self, field):
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The end of the period comes before its start."))


class PeriodForm(DateRangeForm):
    """The dashboard's period."""

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])


class AssessmentFilterForm(DateRangeForm):
    """Filters for the list of assessments."""

    station = StringField(_l("Station code or name"), filters=[_strip])
    status = SelectField(
        _l("Status"),
        choices=[SelectChoice("", _l("Any status"))] + [SelectChoice(k, v) for k, v in STATUS_LABELS.items()],
        default="",
    )
    assessor = SelectField(_l("Assessor"), choices=[SelectChoice("", _l("Any assessor"))], default="")
    start = DateField(_l("Started from"), validators=[Optional()])
    end = DateField(_l("Started until"), validators=[Optional()])

    def offer_assessors(self, assessors) -> "AssessmentFilterForm":
        self.assessor.choices = [SelectChoice("", _l("Any assessor"))] + [
            SelectChoice(str(u.id), u.name) for u in assessors
        ]
        return self

    def filters(self) -> dict:
        """The keyword arguments for assessment_list.search; none when the filters don't validate."""
        if not self.validate():
            return {}
        return {
            "station": self.station.data or "",
            "status": self.status.data or "",
            "assessor_id": int(self.assessor.data) if self.assessor.data else None,
            "start": self.start.data,
            "end": self.end.data,
        }
