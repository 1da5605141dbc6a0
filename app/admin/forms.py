from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, EmailField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from app.models import Region, Station, User
from app.services import people, regions, stations
from app.services.people import ROLE_LABELS
from app.services.refusals import Refused
from app.web.forms import TOO_LONG, DateRangeForm, Form, new_password_field, strip


def region_choices(nodes, empty_label=None) -> list[SelectChoice]:
    """The regions of `regions.visible`, indented by depth under their parents."""
    choices = [SelectChoice("", empty_label)] if empty_label is not None else []
    return choices + [
        SelectChoice(node.region.code, "\u3000" * node.depth + f"{node.region.name} ({node.region.code})")
        for node in nodes
    ]


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
    region_code = SelectField(_l("Region"), choices=[], default="", validate_choice=False)

    def __init__(self, *args, station: Station | None = None, nodes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.station = station
        self.region_code.choices = region_choices(nodes)
        self.codes = {node.region.code for node in nodes}

    def validate_code(self, field):
        as_field_error(stations.check_code_free, field.data, self.station)

    def validate_region_code(self, field):
        """A region the administrator sees; none chosen keeps the station's, or is their own."""
        if field.data and field.data not in self.codes:
            raise ValidationError(_l("There is no region with code %(code)s.", code=field.data))

    def values(self) -> dict:
        values = {name: getattr(self, name).data for name in ("code", "name", "address", "contact")}
        return values | {"region": regions.by_code(self.region_code.data)}


class RegionForm(Form):
    code = StringField(
        _l("Code"),
        validators=[
            InputRequired(_l("Enter the region's code.")),
            Length(max=regions.CODE_MAX_LENGTH, message=TOO_LONG),
        ],
        filters=[strip],
    )
    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(_l("Enter the region's name.")),
            Length(max=regions.NAME_MAX_LENGTH, message=TOO_LONG),
        ],
        filters=[strip],
    )
    parent_code = SelectField(_l("Parent region"), choices=[], default="", validate_choice=False)

    def __init__(self, *args, region: Region | None = None, nodes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.region = region
        self.parent_code.choices = region_choices(nodes)
        self.codes = {node.region.code for node in nodes}

    def validate_code(self, field):
        as_field_error(regions.check_code_free, field.data, self.region)

    def validate_parent_code(self, field):
        if field.data and field.data not in self.codes:
            raise ValidationError(_l("There is no region with code %(code)s.", code=field.data))


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
    region_code = SelectField(
        _l("Region (administrators and assessors)"), choices=[], default="", validate_choice=False
    )

    station = None
    region = None

    def __init__(self, *args, actor: User | None = None, nodes=(), user: User | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.user = user
        self.region_code.choices = region_choices(nodes, _l("Your own region"))

    def validate_station_code(self, field):
        self.station = None
        self.station = as_field_error(people.station_for, self.role.data, field.data, self.actor)

    def validate_region_code(self, field):
        """A region the administrator sees (an administrator's strictly below their own); none
        chosen is the administrator's own region."""
        self.region = None
        editing_oneself = self.user is not None and self.user.id == getattr(self.actor, "id", None)
        if self.role.data == "staff" or editing_oneself:
            return  # one's own region stays: only an administrator above moves it
        if field.data:
            self.region = as_field_error(regions.region_for, self.actor, field.data)
        region = self.region or (regions.home(self.actor) if self.actor else None)
        as_field_error(regions.check_region_for_role, self.actor, self.role.data, region)


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


class FormUploadForm(Form):
    file = FileField(
        _l("Form file (.toml or .xlsx)"), validators=[FileRequired(_l("Choose a file to upload."))]
    )
