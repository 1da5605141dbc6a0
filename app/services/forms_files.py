"""A form version's files: reading an upload (TOML or XLSX), writing the XLSX, storing its data.

Thin over the domain (`rubric`): the kind of a file is told by its name, and every problem the
domain finds comes back with where it is, for the page and the JSON alike.
"""

import tomllib
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from rubric import NOT_APPLICABLE, Rubric, RubricError
from rubric.loader import _read_rubric

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
            return _read_xlsx(content), kind
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
    raise NotImplementedError


def _read_xlsx(content: bytes) -> Rubric:
    raise RubricError("file: XLSX forms are not readable yet")


# Stand-ins for the domain's functions until they land (see /work/brief/forms-requests.md).


def load_rubric_toml(text: str) -> Rubric:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RubricError(f"file: {error}") from error
    return load_rubric_data(data)


def load_rubric_data(data: dict) -> Rubric:
    problems: list[str] = []
    rubric = _read_rubric(data, problems)
    if problems:
        raise RubricError(problems)
    return rubric


def rubric_data(rubric: Rubric) -> dict:
    return {
        "id": rubric.id,
        "version": rubric.version,
        "title": rubric.title,
        "max_points": rubric.max_points,
        "categories": [
            {
                "code": category.code,
                "title": category.title,
                "points": category.points,
                "groups": [
                    {
                        "code": group.code,
                        "title": group.title,
                        "table": group.table,
                        "items": [_item_data(item) for item in category.items if item.group == group],
                    }
                    for group in category.groups
                ],
            }
            for category in rubric.categories
        ],
    }


def _item_data(item) -> dict:
    data = {
        "id": item.id,
        "code": item.code,
        "text": item.text,
        "points": item.points,
        "method": item.method,
        "outcomes": [
            {"key": o.key, "label": o.label, "points": o.points}
            for o in item.outcomes
            if o.key != NOT_APPLICABLE
        ],
        "not_applicable": item.not_applicable,
    }
    if item.method_continued:
        data["method_continued"] = True
    if item.not_applicable == "full_points":
        data["not_applicable_points"] = item.not_applicable_points
    if item.derive is not None:
        data["derive"] = _derive_data(item.derive)
    return data


def _derive_data(derive) -> dict:
    data = {"kind": derive.kind, "otherwise": derive.otherwise}
    if derive.bands:
        data["bands"] = [{"max": band.max, "outcome": band.outcome} for band in derive.bands]
    for name in ("serious_outcome", "threshold_percent", "below", "max_count"):
        if getattr(derive, name) is not None:
            data[name] = getattr(derive, name)
    return data


class _Comparison:
    def __init__(self, rows):
        self._rows = rows

    def rows(self) -> list[dict]:
        return self._rows


def compare_rubrics(old: Rubric | None, new: Rubric) -> _Comparison:
    old_items = {item.id: item for item in old.items} if old else {}
    new_items = {item.id: item for item in new.items}
    rows = []
    for item in new.items:
        before = old_items.get(item.id)
        if before is None:
            rows.append({"change": "added", "item": item.id, "field": "", "before": "", "after": item.text})
            continue
        for name in ("code", "text", "points", "method", "not_applicable", "not_applicable_points"):
            if getattr(before, name) != getattr(item, name):
                rows.append(
                    {
                        "change": "changed",
                        "item": item.id,
                        "field": name,
                        "before": str(getattr(before, name)),
                        "after": str(getattr(item, name)),
                    }
                )
        if before.group.code != item.group.code:
            rows.append(
                {"change": "moved", "item": item.id, "field": "group", "before": before.group.code, "after": item.group.code}
            )
        outcomes = lambda it: "; ".join(f"{o.label} {o.points}" for o in it.outcomes)  # noqa: E731
        if outcomes(before) != outcomes(item):
            rows.append(
                {"change": "changed", "item": item.id, "field": "outcomes", "before": outcomes(before), "after": outcomes(item)}
            )
    for item in old.items if old else ():
        if item.id not in new_items:
            rows.append({"change": "removed", "item": item.id, "field": "", "before": item.text, "after": ""})
    return _Comparison(rows)
