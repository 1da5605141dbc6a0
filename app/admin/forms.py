from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, EmailField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from app.extensions import db
from app.forms import TOO_LONG, DateRangeForm, Form, strip
from app.models import Station, User
from app.password_field import new_password_field
from app.services.people import ROLE_LABELS


class StationForm(Form):
    code = StringField(
        _l("Code"),
        validators=[InputRequired(_l("Enter the station's code.")), Length(max=32, message=TOO_LONG)],
        filters=[strip],
    )
    name = StringField(
        _l("Name"),
        validators=[InputRequired(_l("Enter the station's name.")), Length(max=200, message=TOO_LONG)],
        filters=[strip],
    )
    address = StringField(_l("Address"), validators=[Length(max=300, message=TOO_LONG)], filters=[strip])
    contact = StringField(
        _l("Contact person and phone"), validators=[Length(max=200, message=TOO_LONG)], filters=[strip]
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


class ImportForm(Form):
    file = FileField(_l("CSV or XLSX file"), validators=[FileRequired(_l("Choose a file to import."))])


class OutboxImportForm(Form):
    file = FileField(
        _l("Export file from a phone (.json)"), validators=[FileRequired(_l("Choose a file to import."))]
    )


class ImportConfirmForm(Form):
    rows = HiddenField()


class _ProfileFields(Form):
    display_name = StringField(
        _l("Full name"), validators=[Length(max=100, message=TOO_LONG)], filters=[strip]
    )
    email = EmailField(
        _l("E-mail (for rectification notices; optional)"),
        validators=[
            Optional(),
            Length(max=200, message=TOO_LONG),
            Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter an e-mail address.")),
        ],
        filters=[strip],
    )
    role = SelectField(_l("Role"), choices=[SelectChoice(key, label) for key, label in ROLE_LABELS.items()])
    station_code = StringField(
        _l("Station code (station staff only)"),
        validators=[Length(max=32, message=TOO_LONG)],
        filters=[strip],
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
        filters=[strip],
    )
    password = new_password_field(_l("Password"))

    def validate_username(self, field):
        if db.session.scalar(db.select(User.id).filter_by(username=field.data)):
            raise ValidationError(_l("This username is taken."))


class UserEditForm(_ProfileFields):
    pass


class PasswordResetForm(Form):
    password = new_password_field(_l("New password"))

    def __init__(self, *args, username: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.policy_username = username


class PeriodForm(DateRangeForm):
    """The dashboard's period."""

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])
