"""Forms more than one blueprint shows, and the pieces every form uses."""

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto
from werkzeug.datastructures import CombinedMultiDict
from wtforms import DateField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from app.services import passwords
from app.services.assessments import STATUS_LABELS
from app.services.refusals import Refused

TOO_LONG = _l("At most %(max)d characters.")
SUBMIT_METHODS = ("POST", "PUT", "PATCH", "DELETE")
FIRST_YEAR, LAST_YEAR = 2000, 2199


def strip(value):
    return value.strip() if isinstance(value, str) else value


class Form(FlaskForm):
    """The base of every form: it reads what a browser form sends, and nothing else.

    Flask-WTF would take a JSON body as the form's data, and a JSON list, string or number
    there makes it fail; here a JSON body is an empty form, which the validators refuse.
    """

    class Meta:
        def wrap_formdata(self, form, formdata):
            if formdata is not _Auto:
                return formdata
            if request.method not in SUBMIT_METHODS:
                return None
            return CombinedMultiDict((request.files, request.form))


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
    """The one field every new password is typed into (admin's new user and reset, one's own change)."""
    return PasswordField(label, validators=[InputRequired(_l("Enter a password.")), PasswordPolicy()])


class ReopenForm(Form):
    reason = TextAreaField(
        _l("Reason for reopening"),
        validators=[InputRequired(_l("Give a reason for reopening.")), Length(max=2000, message=TOO_LONG)],
        filters=[strip],
    )


class QueryForm(Form):
    """A GET form read from the query string: nothing changes, so no CSRF token."""

    class Meta:
        csrf = False

    def __init__(self, args):
        super().__init__(formdata=args)


class DateRangeForm(QueryForm):
    """A filter with `start` and `end` dates within FIRST_YEAR..LAST_YEAR, the end not before the start.

    Dates at the ends of the calendar cannot be turned into the times the queries compare with.
    """

    def validate_start(self, field):
        check_year(field.data)

    def validate_end(self, field):
        check_year(field.data)
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_l("The end of the period comes before its start."))


def check_year(day) -> None:
    if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValidationError(
            _l("Enter a date from the year %(first)d to %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)
        )


class AssessmentFilterForm(DateRangeForm):
    """Filters for the list of assessments."""

    region = SelectField(_l("Region"), choices=[SelectChoice("", _l("Any region"))], default="")
    station = StringField(_l("Station code or name"), filters=[strip])
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

    def offer_regions(self, nodes) -> "AssessmentFilterForm":
        """The regions the user sees (app.services.regions.visible), indented by depth."""
        self.region.choices = [SelectChoice("", _l("Any region"))] + [
            SelectChoice(node.region.code, "\u3000" * node.depth + node.region.name) for node in nodes
        ]
        return self

    def filters(self) -> dict:
        """The keyword arguments for assessment_list.search; none when the filters don't validate."""
        if not self.validate():
            return {}
        return self.valid_filters()

    def required_filters(self) -> dict:
        """The same, for an export: filters that don't validate refuse it rather than export everything."""
        if not self.validate():
            problems = [
                str(_l("%(field)s: %(problem)s", field=field.label.text, problem=error))
                for field in self
                for error in field.errors
            ]
            raise Refused(422, " ".join(problems))
        return self.valid_filters()

    def valid_filters(self) -> dict:
        return {
            "region": self.region.data or "",
            "station": self.station.data or "",
            "status": self.status.data or "",
            "assessor_id": int(self.assessor.data) if self.assessor.data else None,
            "start": self.start.data,
            "end": self.end.data,
        }
