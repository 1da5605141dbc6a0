"""Import a tree of regions from a CSV or XLSX file: preview the good and the rejected rows, then
add all the good ones in one transaction, or none when one has become bad since the preview.

Columns `code, name, parent` (or 代码, 名称, 上级). A row's parent is a region the administrator
sees already or another row of the file, in any order; an empty parent is the administrator's own
region (the root for the root administrator). The caller commits.
"""

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.extensions import db
from app.models import Region, User
from app.services import audit, regions
from app.services.refusals import ImportFileError, Refused
from app.services.station_import import MAX_ROWS, CheckedRows, read_table

FIELDS = ("code", "name", "parent")
HEADERS = {
    "code": "code",
    "代码": "code",
    "name": "name",
    "名称": "name",
    "parent": "parent",
    "上级": "parent",
    "上级区域": "parent",
}
MAX_LENGTHS = {
    "code": regions.CODE_MAX_LENGTH,
    "name": regions.NAME_MAX_LENGTH,
    "parent": regions.CODE_MAX_LENGTH,
}
FIELD_LABELS = {"code": _l("Code"), "name": _l("Name"), "parent": _l("Parent region")}
IMPORT_MAX_AGE = 3600


@dataclass
class RegionRow:
    number: int
    code: str = ""
    name: str = ""
    parent: str = ""
    problems: list = field(default_factory=list)

    def values(self) -> dict:
        return {name: getattr(self, name) for name in FIELDS}


def read_rows(filename: str, data: bytes) -> list[RegionRow]:
    """The file's data rows, numbered as a spreadsheet shows them (the header is row 1)."""
    table = read_table(filename, data)
    header_at = next((i for i, cells in enumerate(table) if any(c.strip() for c in cells)), None)
    if header_at is None:
        raise ImportFileError(_l("The file is empty."))
    columns = {}
    for position, heading in enumerate(table[header_at]):
        name = HEADERS.get(heading.strip().lstrip("\ufeff").lower())
        if name and name not in columns:
            columns[name] = position
    if "code" not in columns or "name" not in columns:
        raise ImportFileError(
            _l("The first row must name the columns: code, name, parent (or 代码, 名称, 上级).")
        )
    rows = []
    for index in range(header_at + 1, len(table)):
        cells = table[index]
        if not any(c.strip() for c in cells):
            continue
        row = RegionRow(number=index + 1)
        for name, position in columns.items():
            setattr(row, name, cells[position].strip() if position < len(cells) else "")
        rows.append(row)
    if not rows:
        raise ImportFileError(_l("The file has no region rows below its header."))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(
            _l("The file has more than %(n)d rows. Split it into smaller files.", n=MAX_ROWS)
        )
    return rows


def check(rows: list[RegionRow], actor: User | None) -> CheckedRows:
    """Reject rows with a missing or too long value, a code twice in the file or in use already,
    a parent that is neither a region the administrator sees nor a row of the file, rows that are
    each other's parents, and rows whose parent row is rejected."""
    for row in rows:
        row.problems = []
        if not row.code:
            row.problems.append(_l("The code is missing."))
        if not row.name:
            row.problems.append(_l("The name is missing."))
        for name, limit in MAX_LENGTHS.items():
            if len(getattr(row, name)) > limit:
                row.problems.append(
                    _l("%(field)s is too long (at most %(n)d characters).", field=FIELD_LABELS[name], n=limit)
                )
    by_code: dict[str, list[RegionRow]] = {}
    for row in rows:
        if row.code:
            by_code.setdefault(row.code, []).append(row)
    for code, repeated in by_code.items():
        if len(repeated) > 1:
            for row in repeated:
                row.problems.append(
                    _l(
                        "The code %(code)s appears more than once in the file (rows %(rows)s).",
                        code=code,
                        rows=", ".join(str(r.number) for r in repeated),
                    )
                )
    codes = sorted(by_code)
    in_use = set(db.session.scalars(db.select(Region.code).where(Region.code.in_(codes)))) if codes else set()
    parents = sorted({row.parent for row in rows if row.parent and row.parent not in by_code})
    seen = (
        set(
            db.session.scalars(
                db.select(Region.code).where(Region.code.in_(parents), regions.region_clause(actor))
            )
        )
        if parents
        else set()
    )
    for row in rows:
        if row.code in in_use:
            row.problems.append(_l("A region with the code %(code)s exists already.", code=row.code))
        if row.parent and row.parent not in by_code and row.parent not in seen:
            row.problems.append(_l("There is no region with code %(code)s.", code=row.parent))
    _reject_cycles(rows, by_code)
    _reject_below_rejected(rows, by_code)
    return CheckedRows(good=[r for r in rows if not r.problems], rejected=[r for r in rows if r.problems])


def _reject_cycles(rows: list[RegionRow], by_code: dict[str, list[RegionRow]]) -> None:
    """A row whose chain of parents within the file comes back to it."""
    for row in rows:
        chain, current = [row], row
        while current.parent in by_code:
            current = by_code[current.parent][0]
            if current is row:
                numbers = ", ".join(str(r.number) for r in sorted(chain, key=lambda r: r.number))
                row.problems.append(_l("Rows %(rows)s are each other's parents.", rows=numbers))
                break
            if any(current is seen for seen in chain):
                break
            chain.append(current)


def _reject_below_rejected(rows: list[RegionRow], by_code: dict[str, list[RegionRow]]) -> None:
    changed = True
    while changed:
        changed = False
        for row in rows:
            parent_rows = by_code.get(row.parent) or []
            if not row.problems and parent_rows and any(p.problems for p in parent_rows):
                row.problems.append(_l("Its parent region (row %(n)d) is rejected.", n=parent_rows[0].number))
                changed = True


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="region-import")


def sign_good_rows(report: CheckedRows, filename: str) -> str:
    rows = [[row.number, *row.values().values()] for row in report.good]
    return _serializer().dumps({"file": filename, "rows": rows})


def unsign_rows(token: str) -> tuple[str, list[RegionRow]]:
    try:
        data = _serializer().loads(token or "", max_age=IMPORT_MAX_AGE)
    except BadSignature as error:
        raise Refused(400, _l("This import has expired or was changed. Choose the file again.")) from error
    return data["file"], [RegionRow(number, *values) for number, *values in data["rows"]]


def import_rows(rows: list[RegionRow], filename: str, actor: User | None) -> CheckedRows:
    """Check the rows again and add them all, parents first, or none when one has become bad."""
    report = check(rows, actor)
    if report.rejected or not report.good:
        return report
    home = regions.region_for(actor, None)
    made: dict[str, Region] = {}
    waiting = list(report.good)
    while waiting:
        ready = [row for row in waiting if not row.parent or row.parent not in {r.code for r in waiting}]
        for row in ready:
            parent = made.get(row.parent) or regions.by_code(row.parent) or home
            made[row.code] = Region(code=row.code, name=row.name, parent=parent)
            db.session.add(made[row.code])
        done = {id(row) for row in ready}
        waiting = [row for row in waiting if id(row) not in done]
    db.session.flush()
    audit.record(
        "region.import", subject=filename[:100], after={"count": len(made), "codes": list(made)}, user=actor
    )
    return report
