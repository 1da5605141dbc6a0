"""Read stations from a CSV or XLSX file and sort its rows into good ones and rejected ones.

A row is rejected with every reason that applies, so one pass over the report is enough to fix
the file. Nothing here touches the database except the look-up of codes that exist already.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from app.extensions import db
from app.models import Region, Station, User
from app.services import regions
from app.services.refusals import ImportFileError

FIELDS = ("code", "name", "address", "contact")
HEADERS = {
    "code": "code",
    "代码": "code",
    "name": "name",
    "名称": "name",
    "address": "address",
    "地址": "address",
    "contact": "contact",
    "联系人": "contact",
    "region": "region",
    "区域": "region",
}
MAX_LENGTHS = {"code": 32, "name": 200, "address": 300, "contact": 200, "region": 32}
FIELD_LABELS = {
    "code": _l("Code"),
    "name": _l("Name"),
    "address": _l("Address"),
    "contact": _l("Contact"),
    "region": _l("Region"),
}
MAX_ROWS = 5000
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
# An XLSX is read within these bounds whatever its <dimension> claims: the header is looked for in
# the first columns only, empty rows count towards the rows read, and the unzipped parts are capped.
MAX_COLUMNS = 26
MAX_ROWS_READ = 20_000
MAX_XLSX_UNZIPPED_BYTES = 50 * 1024 * 1024
DOCTYPE_MARKS = tuple(b"<!DOCTYPE".decode().encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))
# What openpyxl raises on a damaged workbook: broken zip or XML (ParseError is a SyntaxError), a
# missing part (KeyError), a shared string or style index past its table (IndexError), bad values.
UNREADABLE_XLSX = (InvalidFileException, zipfile.BadZipFile, LookupError, SyntaxError, ValueError, OSError)


@dataclass
class Row:
    number: int
    code: str = ""
    name: str = ""
    address: str = ""
    contact: str = ""
    region: str = ""
    problems: list = field(default_factory=list)

    def values(self) -> dict:
        return {name: getattr(self, name) for name in FIELDS}


@dataclass
class CheckedRows:
    good: list[Row]
    rejected: list[Row]

    @property
    def total(self) -> int:
        return len(self.good) + len(self.rejected)


def read_rows(filename: str, data: bytes) -> list[Row]:
    """The file's data rows with their row numbers as a spreadsheet shows them (the header is row 1)."""
    return _rows_from_table(read_table(filename, data))


def read_table(filename: str, data: bytes) -> list[list[str]]:
    """A CSV or XLSX file's cells as text, row by row, within the limits above (the region import
    reads its files with this too)."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ImportFileError(_l("Choose a CSV or XLSX file (.csv or .xlsx)."))
    if not data.strip():
        raise ImportFileError(_l("The file is empty."))
    return _xlsx_table(data) if suffix == ".xlsx" else _csv_table(data)


def check(rows: list[Row], actor: User | None = None) -> CheckedRows:
    """Reject rows with a missing or too long value, a code used twice in the file, a code in use,
    or a region the importing administrator does not see (an empty region is their own)."""
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
    _reject_codes_repeated_in_file(rows)
    _reject_codes_in_use(rows)
    _reject_unknown_regions(rows, actor)
    return CheckedRows(good=[r for r in rows if not r.problems], rejected=[r for r in rows if r.problems])


def _reject_codes_repeated_in_file(rows: list[Row]) -> None:
    numbers: dict[str, list[int]] = {}
    for row in rows:
        if row.code:
            numbers.setdefault(row.code, []).append(row.number)
    for row in rows:
        repeated = numbers.get(row.code, [])
        if len(repeated) > 1:
            row.problems.append(
                _l(
                    "The code %(code)s appears more than once in the file (rows %(rows)s).",
                    code=row.code,
                    rows=", ".join(str(n) for n in repeated),
                )
            )


def _reject_codes_in_use(rows: list[Row]) -> None:
    codes = sorted({row.code for row in rows if row.code})
    in_use = set()
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        in_use.update(db.session.scalars(db.select(Station.code).where(Station.code.in_(chunk))))
    for row in rows:
        if row.code in in_use:
            row.problems.append(_l("A station with the code %(code)s exists already.", code=row.code))


def _reject_unknown_regions(rows: list[Row], actor: User | None) -> None:
    codes = sorted({row.region for row in rows if row.region})
    seen = set()
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        seen.update(
            db.session.scalars(
                db.select(Region.code).where(Region.code.in_(chunk), regions.region_clause(actor))
            )
        )
    for row in rows:
        if row.region and row.region not in seen:
            row.problems.append(_l("There is no region with code %(code)s.", code=row.region))


def _csv_table(data: bytes) -> list[list[str]]:
    # A NUL anywhere, not only in the first 4 KB: PostgreSQL cannot store one.
    if b"\x00" in data or data.startswith((b"PK\x03\x04", XLS_MAGIC)):
        raise ImportFileError(_l("This file is not a CSV text file. Save the sheet as CSV or XLSX."))
    text = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        return [list(record) for record in csv.reader(io.StringIO(text, newline=""), dialect)]
    except csv.Error as error:
        raise ImportFileError(
            _l("The CSV file could not be read: %(problem)s", problem=str(error))
        ) from error


def _decode(data: bytes) -> str:
    """UTF-8 first; Excel in a Chinese locale saves CSV as GB18030 (GBK), so try that next."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_l("The CSV file's text encoding could not be read. Save it as UTF-8."))


def _xlsx_table(data: bytes) -> list[list[str]]:
    if data.startswith(XLS_MAGIC):
        raise ImportFileError(_l("Old Excel .xls files cannot be read. Save the sheet as .xlsx or CSV."))
    _check_xlsx_parts(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except UNREADABLE_XLSX as error:
        raise ImportFileError(_l("The file could not be read as an XLSX workbook.")) from error
    try:
        return _sheet_table(workbook.worksheets[0])
    except UNREADABLE_XLSX as error:
        raise ImportFileError(_l("The file could not be read as an XLSX workbook.")) from error
    finally:
        workbook.close()


def _sheet_table(sheet) -> list[list[str]]:
    """The sheet's first MAX_COLUMNS columns, row by row, refusing a sheet longer than the limits."""
    table = []
    filled = 0
    for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
        table.append([_cell_text(value) for value in values])
        filled += any(table[-1])
        if filled > MAX_ROWS + 1 or len(table) > MAX_ROWS_READ:
            raise _too_many_rows()
    return table


def _check_xlsx_parts(data: bytes) -> None:
    """Refuse a DOCTYPE in any part (entity expansion) and parts that unzip to more than the cap."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            if sum(member.file_size for member in members) > MAX_XLSX_UNZIPPED_BYTES:
                raise ImportFileError(_l("The workbook is too large once unpacked. Save it as CSV."))
            for member in members:
                if _has_doctype(archive, member):
                    raise ImportFileError(
                        _l(
                            "The workbook contains a DOCTYPE declaration, which is not accepted. "
                            "Save the sheet again from Excel or WPS, or as CSV."
                        )
                    )
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise ImportFileError(_l("The file could not be read as an XLSX workbook.")) from error


def _has_doctype(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    overlap = b""
    with archive.open(member) as part:
        while chunk := part.read(1024 * 1024):
            window = overlap + chunk
            if any(mark in window.upper() for mark in DOCTYPE_MARKS):
                return True
            overlap = window[-32:]
    return False


def _too_many_rows() -> ImportFileError:
    return ImportFileError(_l("The file has more than %(n)d rows. Split it into smaller files.", n=MAX_ROWS))


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _rows_from_table(table: list[list[str]]) -> list[Row]:
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
            _l(
                "The first row must name the columns: code, name, address, contact, region "
                "(or 代码, 名称, 地址, 联系人, 区域)."
            )
        )
    rows = []
    for index in range(header_at + 1, len(table)):
        cells = table[index]
        if not any(c.strip() for c in cells):
            continue
        row = Row(number=index + 1)
        for name, position in columns.items():
            # One line: a cell written with Alt+Enter in Excel holds line breaks.
            setattr(row, name, " ".join(cells[position].split()) if position < len(cells) else "")
        rows.append(row)
    if not rows:
        raise ImportFileError(_l("The file has no station rows below its header."))
    if len(rows) > MAX_ROWS:
        raise _too_many_rows()
    return rows
