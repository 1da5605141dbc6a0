from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, EmailField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from app.models import Station
from app.services import people, stations
from app.services.people import ROLE_LABELS
from app.services.refusals import Refused
from app.web.forms import TOO_LONG, DateRangeForm, Form, new_password_field, strip


def as_field_error(rule, *args):
    """Run a service's rule on a field; what it refuses shows as the field's error."""
    try:
        return rule(*args)
    except Refused as refused:
        raise ValidationError(refused.message) from refused


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
        as_field_error(stations.check_code_free, field.data, self.station)

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


# A bare address, as the Bcc header of a notice takes it: no display name ("x<y@z.cn>" would send
# to y@z.cn), no list, no quoting, and a domain of dot-separated labels.
PLAIN_EMAIL = (
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,}\Z"
)


class _ProfileFields(Form):
    display_name = StringField(
        _l("Full name"), validators=[Length(max=100, message=TOO_LONG)], filters=[strip]
    )
    email = EmailField(
        _l("E-mail (for rectification notices; optional)"),
        validators=[
            Optional(),
            Length(max=200, message=TOO_LONG),
            Regexp(PLAIN_EMAIL, message=_l("Enter an e-mail address.")),
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
        self.station = as_field_error(people.station_for, self.role.data, field.data)


class UserCreateForm(_ProfileFields):
    username = StringField(
        _l("Username"),
        validators=[InputRequired(_l("Enter a username."))],
        filters=[strip],
        render_kw={"maxlength": people.USERNAME_MAX_LENGTH},
    )
    password = new_password_field(_l("Password"))

    def validate_username(self, field):
        as_field_error(people.check_username, field.data)


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
