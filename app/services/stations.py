"""Changes to the list of stations, each one written to the audit trail; the caller commits."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.extensions import db
from app.models import Region, Station, User
from app.services import audit, regions
from app.services.refusals import Refused
from app.services.search import contains
from app.services.station_import import FIELDS, CheckedRows, Row, check

IMPORT_MAX_AGE = 3600


def search(query: str, *, actor: User | None, active_only: bool = False, region: Region | None = None):
    """Stations the actor sees whose code or name contains the query, by code; `active_only`
    leaves out deactivated ones, `region` narrows to that region's subtree."""
    statement = db.select(Station).where(regions.station_clause(actor)).order_by(Station.code)
    if regions.narrowing(region) is not None:
        statement = statement.where(Station.region_id.in_(regions.subtree_ids(region.id)))
    if active_only:
        statement = statement.where(Station.active)
    query = (query or "").strip()
    if query:
        statement = statement.where(contains(query, Station.code, Station.name))
    return statement


def check_code_free(code: str, station: Station | None = None) -> None:
    """No two stations share a code; `station` may keep its own."""
    other = db.session.scalar(db.select(Station).filter_by(code=code))
    if other is not None and other is not station:
        raise Refused(422, _l("A station with the code %(code)s exists already.", code=code), field="code")


def _region(values: dict, actor: User | None) -> Region:
    """The station's region: one the actor sees, their own when none is given (the root on the CLI)."""
    region = values.get("region")
    if region is None:
        return regions.region_for(actor, None)
    if actor is not None and not regions.can_see_region(actor, region):
        message = _l("There is no region with code %(code)s.", code=region.code)
        raise Refused(422, message, field="region_code")
    return region


def create(values: dict, actor: User | None) -> Station:
    """A station; `values` has its FIELDS and, optionally, its `region` (a Region)."""
    check_code_free(values.get("code") or "")
    region = _region(values, actor)
    station = Station(**{name: values.get(name) or "" for name in FIELDS}, region=region)
    db.session.add(station)
    db.session.flush()
    audit.record("station.create", subject=station.code, after=station.as_dict(), user=actor)
    return station


def update(station: Station, values: dict, actor: User | None) -> None:
    check_code_free(values.get("code") or "", station)
    region = _region({"region": values.get("region") or station.region}, actor)
    before = station.as_dict()
    for name in FIELDS:
        setattr(station, name, values.get(name) or "")
    station.region = region
    after = station.as_dict()
    if after != before:
        audit.record("station.update", subject=station.code, before=before, after=after, user=actor)


def set_active(station: Station, active: bool, actor: User | None) -> None:
    if station.active == active:
        return
    station.active = active
    action = "station.reactivate" if active else "station.deactivate"
    audit.record(
        action, subject=station.code, before={"active": not active}, after={"active": active}, user=actor
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="station-import")


def sign_good_rows(report: CheckedRows, filename: str) -> str:
    """The good rows, signed, for the confirm step to import without uploading the file again."""
    rows = [[row.number, *row.values().values(), row.region] for row in report.good]
    return _serializer().dumps({"file": filename, "rows": rows})


def unsign_rows(token: str) -> tuple[str, list[Row]]:
    try:
        data = _serializer().loads(token or "", max_age=IMPORT_MAX_AGE)
    except BadSignature as error:
        raise Refused(400, _l("This import has expired or was changed. Choose the file again.")) from error
    return data["file"], [Row(number, *values) for number, *values in data["rows"]]


def import_rows(rows: list[Row], filename: str, actor: User | None) -> CheckedRows:
    """Check the rows again and add them all, or none when one has become bad since the preview.
    A row without a region goes to the importing administrator's own region."""
    report = check(rows, actor)
    if report.rejected or not report.good:
        return report
    home = regions.region_for(actor, None)
    stations = [Station(**row.values(), region=regions.by_code(row.region) or home) for row in report.good]
    db.session.add_all(stations)
    db.session.flush()
    audit.record(
        "station.import",
        subject=filename[:100],
        after={"count": len(stations), "codes": [s.code for s in stations]},
        user=actor,
    )
    return report
