"""Where a value of a form came from, so that every problem found names its place.

A form is read as data (the TOML file's shape) whatever it came from; a path such as
("categories", 0, "groups", 1, "items", 2, "points") names a value in it. Each source
turns a path into its own place: a line of the TOML text, a cell of a workbook, or
just the path for data from the database.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass

Path = tuple[str | int, ...]


def path_text(path: Path) -> str:
    """("categories", 0, "points") -> "categories[0].points"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass(frozen=True)
class Location:
    """A place in a form's source: a TOML line, a workbook cell, or only a key path."""

    path: str = ""
    line: int | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    column_title: str | None = None

    def __str__(self) -> str:
        if self.sheet is not None:
            cell = f"sheet {self.sheet}"
            if self.row is not None:
                cell += f", row {self.row}"
            if self.column is not None:
                cell += f", column {self.column}"
                if self.column_title:
                    cell += f" ({self.column_title})"
            return cell
        if self.line is not None:
            return f"line {self.line}" + (f" ({self.path})" if self.path else "")
        return self.path or "form"


class Problem(str):
    """One problem found in a form: reads as "<location>: <message>", and keeps both apart."""

    location: Location
    message: str

    def __new__(cls, location: Location, message: str) -> "Problem":
        problem = super().__new__(cls, f"{location}: {message}")
        problem.location = location
        problem.message = message
        return problem


Locator = Callable[[Path], Location]


def nearest(places: dict, path: Path) -> object:
    """The place noted for `path`, or else for the nearest table or key enclosing it."""
    for end in range(len(path), -1, -1):
        place = places.get(path[:end])
        if place is not None:
            return place
    return None


def data_locator(path: Path) -> Location:
    """Data without a text behind it (the database's copy): the key path is the place."""
    return Location(path=path_text(path))


class TomlLines:
    """The line each table and key of a TOML text starts on, found by reading its lines.

    It reads only what a form file uses: [table] and [[array]] headers, `key = value`
    lines, and arrays of inline tables spread over several lines (one element a line).
    A path it did not see is placed at the nearest enclosing table or key it did see.
    """

    def __init__(self, text: str):
        self.lines: dict[Path, int] = {}
        self._tables: dict[tuple[str, ...], Path] = {(): ()}
        self._counts: dict[Path, int] = {}
        self._read(text)

    def __call__(self, path: Path) -> Location:
        return Location(path=path_text(path), line=nearest(self.lines, path))

    def _read(self, text: str) -> None:
        current: Path = ()
        open_array: tuple[Path, int] | None = None
        depth = 0
        in_multiline: str | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            if in_multiline is not None:
                if in_multiline in raw:
                    in_multiline = None
                continue
            line, in_multiline = _strip_strings(raw)
            stripped = line.strip()
            if depth > 0 and open_array is not None:
                if stripped.startswith("{"):
                    array_path, index = open_array
                    self.lines.setdefault(array_path + (index,), number)
                    open_array = (array_path, index + 1)
                depth += line.count("[") - line.count("]")
                continue
            if stripped.startswith("[["):
                current = self._array_header(stripped, number)
            elif stripped.startswith("["):
                current = self._table_header(stripped, number)
            elif "=" in stripped:
                key, value = (part.strip() for part in stripped.split("=", 1))
                key_path = current + tuple(_key_parts(key))
                self.lines.setdefault(key_path, number)
                depth = value.count("[") - value.count("]")
                open_array = (key_path, 0) if depth > 0 else None

    def _array_header(self, header: str, number: int) -> Path:
        names = _key_parts(header.strip("[] \t"))
        parent = self._tables.get(tuple(names[:-1]), ())
        array_path = parent + (names[-1],)
        index = self._counts.get(array_path, 0)
        self._counts[array_path] = index + 1
        path = array_path + (index,)
        self.lines.setdefault(array_path, number)
        self.lines[path] = number
        self._tables[tuple(names)] = path
        return path

    def _table_header(self, header: str, number: int) -> Path:
        names = _key_parts(header.strip("[] \t"))
        path = self._tables.get(tuple(names[:-1]), ()) + (names[-1],)
        self.lines[path] = number
        self._tables[tuple(names)] = path
        return path


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')


def _strip_strings(line: str) -> tuple[str, str | None]:
    """The line with strings and comment removed, and the quote of a multi-line string it opens."""
    for quote in ('"""', "'''"):
        start = line.find(quote)
        if start != -1 and line.find(quote, start + 3) == -1:
            return line[:start], quote
    line = _STRING.sub('""', line)
    return line.split("#", 1)[0], None


def _key_parts(key: str) -> list[str]:
    return [part.strip().strip("\"'") for part in key.split(".")]
