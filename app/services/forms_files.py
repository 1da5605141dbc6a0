"""A form version's files: reading an upload (TOML or XLSX), writing the XLSX, storing its data.

Thin over the domain (`rubric`): the kind of a file is told by its name, and every problem the
domain finds comes back with where it is, for the page and the JSON alike.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from rubric import (
    Rubric,
    RubricError,
    compare_rubrics,
    load_rubric_data,
    load_rubric_toml,
    read_rubric_xlsx,
    rubric_data,
    write_rubric_xlsx,
)
from rubric.compare import ROW_HEADINGS

TOML, XLSX = "toml", "xlsx"
KINDS = {".toml": TOML, ".xlsx": XLSX}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class FormProblem:
    """One problem of an uploaded form: where it is, and what is wrong there."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class FormFileError(Exception):
    """The uploaded file is not a valid form; `problems` lists every problem found."""

    def __init__(self, problems: list[FormProblem]):
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems


def kind_of(filename: str) -> str | None:
    name = (filename or "").lower()
    return next((kind for suffix, kind in KINDS.items() if name.endswith(suffix)), None)


def read_form(filename: str, content: bytes) -> tuple[Rubric, str]:
    """The form in an uploaded file, and the file's kind; FormFileError names every problem."""
    kind = kind_of(filename)
    if kind is None:
        raise FormFileError([FormProblem("", str(_l("Choose a .toml or .xlsx file.")))])
    try:
        if kind == XLSX:
            return read_rubric_xlsx(content), kind
        return _read_toml(content), kind
    except RubricError as error:
        raise FormFileError([_as_problem(problem) for problem in error.problems]) from error


def _read_toml(content: bytes) -> Rubric:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RubricError(f"file: not UTF-8 text (byte {error.start})") from error
    return load_rubric_toml(text)


def _as_problem(problem) -> FormProblem:
    location = getattr(problem, "location", None)
    if location is not None:
        return FormProblem(str(location), str(problem.message))
    where, _, message = str(problem).partition(": ")
    return FormProblem(where, message) if message else FormProblem("", where)


def rubric_from_data(data: dict) -> Rubric:
    return load_rubric_data(data)


def data_of(rubric: Rubric) -> dict:
    return rubric_data(rubric)


def xlsx_of(rubric: Rubric) -> bytes:
    return write_rubric_xlsx(rubric)


def comparison_rows(old: Rubric | None, new: Rubric) -> list[dict]:
    """Each change from `old` to `new` as a row headed by COMPARISON_HEADINGS; a new form (no `old`)
    adds every item."""
    rows = compare_rubrics(old, new).rows() if old is not None else _all_added(new)
    return [dict(zip(COMPARISON_HEADINGS, row, strict=True)) for row in rows]


COMPARISON_HEADINGS = ROW_HEADINGS


def _all_added(new: Rubric) -> list[tuple]:
    return [("added", item.id, "", "", item.text) for item in new.items]
