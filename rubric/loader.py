"""Load a rubric from its TOML text (or the same shape as data) and check it against the form's arithmetic.

Every problem found is collected, each named by where it is (the TOML line, the
workbook cell, or the key path, as the source allows), and reported together so one
run shows everything wrong with a form.
"""

import re
import tomllib
from collections import Counter
from dataclasses import replace
from itertools import pairwise
from os import PathLike
from pathlib import Path

from .counts import MAX_COUNT
from .errors import RubricError
from .locations import Location, Locator, Problem, TomlLines, data_locator
from .locations import Path as KeyPath
from .model import (
    COUNTED_INPUTS,
    DERIVATION_KINDS,
    ERROR_RATE,
    ITEM_FIELDS,
    NA_FULL_POINTS,
    NA_NOT_ALLOWED,
    NA_SCALE_CATEGORY,
    NOT_APPLICABLE,
    NOT_APPLICABLE_LABEL,
    NOT_APPLICABLE_POLICIES,
    PROBLEM_COUNT,
    Band,
    Category,
    Dependency,
    Derivation,
    Group,
    Item,
    Outcome,
    Rubric,
)

FORM_MAX_POINTS = 100

_RUBRIC_KEYS = {"id", "version", "title", "max_points", "categories"}
_CATEGORY_KEYS = {"code", "title", "points", "groups"}
_GROUP_KEYS = {"code", "title", "table", "items"}
_ITEM_KEYS = {"id", *ITEM_FIELDS, "earlier_ids", "why"}
_DEPENDENCY_KEYS = {"item", "outcomes"}
_OUTCOME_KEYS = {"key", "label", "points"}
_BAND_KEYS = {"max", "outcome"}
_DERIVE_KEYS = {
    PROBLEM_COUNT: {"kind", "bands", "otherwise", "serious_outcome", "max_count", "limits"},
    ERROR_RATE: {"kind", "threshold_percent", "below", "otherwise", "max_count", "limits"},
}
_TOML_LINE = re.compile(r"at line (\d+)")


def load_rubric(path: str | PathLike) -> Rubric:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RubricError(f"cannot read the rubric file: {error}", source=str(path)) from error
    try:
        return load_rubric_toml(text)
    except RubricError as error:
        raise RubricError(error.problems, source=str(path)) from error


def load_rubric_toml(text: str) -> Rubric:
    """The rubric a TOML text writes; RubricError lists each problem with its line and key path."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = _TOML_LINE.search(str(error))
        location = Location(line=int(found.group(1))) if found else Location()
        raise RubricError([Problem(location, f"cannot read the rubric file: {error}")]) from error
    return load_rubric_data(data, TomlLines(text))


def load_rubric_data(data: dict, locate: Locator = data_locator) -> Rubric:
    """The rubric this data writes (the TOML file's shape, as `rubric_data` gives it).

    `locate` turns a key path into a place in the data's source, for the problems found.
    """
    if not isinstance(data, dict):
        raise RubricError([Problem(locate(()), "a form must be a table of keys, got " + type(data).__name__)])
    context = _Context(locate)
    rubric = _read_rubric(data, context)
    if context.problems:
        raise RubricError(context.problems)
    return rubric


class _Context:
    """What the readers of one form share: the problems found and how to place them."""

    def __init__(self, locate: Locator):
        self.locate = locate
        self.problems: list[Problem] = []
        self.item_paths: dict[str, KeyPath] = {}

    def problem(self, path: KeyPath, message: str) -> None:
        self.problems.append(Problem(self.locate(path), message))


class _Reader:
    """Reads the fields of one table, noting each problem with where it was found."""

    def __init__(self, table: dict, where: str, path: KeyPath, context: _Context):
        self.table = table
        self.where = where
        self.path = path
        self.context = context

    def child(self, table: dict, where: str, *path: str | int) -> "_Reader":
        return _Reader(table, where, self.path + path, self.context)

    def problem(self, message: str, key: str | int | None = None) -> None:
        path = self.path if key is None else self.path + (key,)
        self.context.problem(path, f"{self.where}: {message}")

    def reject_unexpected(self, allowed: set[str]) -> None:
        for key in self.table:
            if key not in allowed:
                self.problem(f"unexpected key '{key}'", key)

    def text(self, key: str, required: bool = True) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(f"'{key}' must be a non-empty string, got {value!r}", key)
            return None
        return value

    def integer(self, key: str, minimum: int, maximum: int | None = None) -> int | None:
        value = self._get(key, required=True)
        if value is None:
            return None
        if not _is_int(value):
            self.problem(f"'{key}' must be an integer, got {value!r}", key)
            return None
        if value < minimum:
            self.problem(f"'{key}' must be at least {minimum}, got {value}", key)
            return None
        if maximum is not None and value > maximum:
            self.problem(f"'{key}' must be at most {maximum}, got {value}", key)
            return None
        return value

    def flag(self, key: str, default: bool) -> bool | None:
        value = self.table.get(key, default)
        if not isinstance(value, bool):
            self.problem(f"'{key}' must be true or false, got {value!r}", key)
            return None
        return value

    def texts(self, key: str) -> tuple[str, ...] | None:
        """An optional list of non-empty strings, each named once."""
        value = self.table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(f"'{key}' must be a list of non-empty strings, got {value!r}", key)
            return None
        for entry, count in Counter(value).items():
            if count > 1:
                self.problem(f"'{key}' names '{entry}' {count} times", key)
        return tuple(value)

    def tables(self, key: str) -> list[dict]:
        value = self._get(key, required=True)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
            self.problem(f"'{key}' must be an array of tables", key)
            return []
        if not value:
            self.problem(f"'{key}' is empty", key)
        return value

    def _get(self, key: str, required: bool) -> object:
        value = self.table.get(key)
        if value is None and required:
            self.problem(f"'{key}' is missing", key)
        return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _where(kind: str, table: dict, key: str, position: int, parent: str = "") -> str:
    """Name a table by its own code or id, or by its position when it has none."""
    name = table.get(key)
    if isinstance(name, str) and name:
        return f"{kind} {name}"
    return f"{parent} {kind} #{position}".strip()


def _read_rubric(data: dict, context: _Context) -> Rubric | None:
    reader = _Reader(data, "rubric", (), context)
    reader.reject_unexpected(_RUBRIC_KEYS)
    rubric_id = reader.text("id")
    version = reader.text("version")
    title = reader.text("title")
    max_points = reader.integer("max_points", minimum=1)
    categories = [
        _read_category(reader, table, position)
        for position, table in enumerate(reader.tables("categories"), start=1)
    ]
    if max_points is not None:
        _check_total(reader, max_points, categories)
    _check_unique_codes(reader, categories)
    if not context.problems:
        _check_dependencies(reader, categories)
    if context.problems:
        return None
    return Rubric(rubric_id, version, title, max_points, tuple(categories))


def _check_total(reader: _Reader, max_points: int, categories: list[Category | None]) -> None:
    if max_points != FORM_MAX_POINTS:
        reader.problem(f"max_points is {max_points}, the form totals {FORM_MAX_POINTS}", "max_points")
    if categories and None not in categories:
        category_sum = sum(category.points for category in categories)
        if category_sum != max_points:
            reader.problem(f"categories sum to {category_sum}, max_points says {max_points}", "max_points")


def _check_unique_codes(reader: _Reader, categories: list[Category | None]) -> None:
    known = [(position, c) for position, c in enumerate(categories) if c is not None]
    for code, count in Counter(category.code for _, category in known).items():
        if count > 1:
            last = max(position for position, category in known if category.code == code)
            reader.context.problem(("categories", last, "code"), f"category {code}: code used {count} times")
    item_ids = Counter(item.id for _, category in known for item in category.items)
    for item_id, count in item_ids.items():
        if count > 1:
            path = reader.context.item_paths[item_id] + ("id",)
            reader.context.problem(path, f"item {item_id}: id used {count} times")


def _check_dependencies(reader: _Reader, categories: list[Category]) -> None:
    """Each dependency names another item of the form and outcomes it has; no two items wait on each other."""
    items = {item.id: item for category in categories for item in category.items}
    for item in items.values():
        if item.depends_on is None:
            continue
        path = reader.context.item_paths[item.id] + ("depends_on",)
        other = items.get(item.depends_on.item_id)
        if other is None:
            reader.context.problem(
                path,
                f"item {item.id}: depends on item '{item.depends_on.item_id}', which the form does not have",
            )
            continue
        if other.id == item.id:
            reader.context.problem(path, f"item {item.id}: depends on itself")
            continue
        for key in item.depends_on.outcomes:
            if other.outcome(key) is None:
                reader.context.problem(
                    path, f"item {item.id}: depends on outcome '{key}', which item {other.id} does not have"
                )
        if _depends_in_a_circle(item, items):
            reader.context.problem(path, f"item {item.id}: its dependencies lead back to it")


def _depends_in_a_circle(item: Item, items: dict[str, Item]) -> bool:
    seen = {item.id}
    current = items.get(item.depends_on.item_id)
    while current is not None and current.depends_on is not None:
        if current.depends_on.item_id in seen:
            return current.depends_on.item_id == item.id
        seen.add(current.id)
        current = items.get(current.depends_on.item_id)
    return False


def _read_category(rubric_reader: _Reader, table: dict, position: int) -> Category | None:
    reader = rubric_reader.child(
        table, _where("category", table, "code", position), "categories", position - 1
    )
    reader.reject_unexpected(_CATEGORY_KEYS)
    code = reader.text("code")
    title = reader.text("title")
    points = reader.integer("points", minimum=1)
    groups = []
    items = []
    for group_position, group_table in enumerate(reader.tables("groups"), start=1):
        group, group_items = _read_group(reader, group_table, group_position, code)
        groups.append(group)
        items.extend(group_items)
    if points is not None and items and None not in items:
        item_sum = sum(item.points for item in items)
        if item_sum != points:
            reader.problem(f"items sum to {item_sum}, category says {points}", "points")
    if None in (code, title, points) or None in groups or None in items:
        return None
    return Category(code, title, points, tuple(groups), tuple(items))


def _read_group(
    category_reader: _Reader, table: dict, position: int, category_code: str | None
) -> tuple[Group | None, list[Item | None]]:
    where = _where("group", table, "code", position, category_reader.where)
    reader = category_reader.child(table, where, "groups", position - 1)
    reader.reject_unexpected(_GROUP_KEYS)
    code = reader.text("code")
    title = reader.text("title")
    table_name = reader.text("table")
    group = None
    if None not in (code, title, table_name, category_code):
        group = Group(code, title, table_name, category_code)
    items = [
        _read_item(reader, item_table, item_position, group)
        for item_position, item_table in enumerate(reader.tables("items"), start=1)
    ]
    _check_merged_methods(items, reader)
    return group, items


def _check_merged_methods(items: list[Item | None], reader: _Reader) -> None:
    """A method cell merged over several rows continues the row above, with the same text."""
    for position, (previous, item) in enumerate(zip([None, *items], items, strict=False)):
        if item is None or not item.method_continued:
            continue
        if previous is None:
            problem = "no item above it in its group"
        elif previous.method != item.method:
            problem = f"its method differs from {previous.id}'s"
        else:
            continue
        reader.context.problem(
            reader.path + ("items", position, "method_continued"),
            f"{reader.where}: item {item.id}: method_continued, but {problem}",
        )


def _read_item(group_reader: _Reader, table: dict, position: int, group: Group | None) -> Item | None:
    """Read one item; it is None only when a field it is built from cannot be read."""
    where = _where("item", table, "id", position, group_reader.where)
    reader = group_reader.child(table, where, "items", position - 1)
    reader.reject_unexpected(_ITEM_KEYS)
    item_id = reader.text("id")
    if item_id is not None:
        reader.context.item_paths.setdefault(item_id, reader.path)
    code = reader.text("code")
    text = reader.text("text")
    method = reader.text("method")
    points = reader.integer("points", minimum=1)
    outcomes = _read_outcomes(reader, points)
    derive = _read_derivation(reader, outcomes) if "derive" in table else None
    policy = _read_not_applicable_policy(reader)
    not_applicable_points = _read_not_applicable_points(reader, points, policy)
    reason_required = _read_reason_required(reader, policy)
    depends_on = _read_dependency(reader) if "depends_on" in table else None
    earlier_ids = reader.texts("earlier_ids")
    why = reader.text("why") if "why" in table else ""
    method_continued = reader.flag("method_continued", default=False)
    fields = (item_id, code, text, method, points, outcomes, not_applicable_points, group, policy)
    if None in fields + (reason_required, earlier_ids, why, method_continued):
        return None
    if "depends_on" in table and depends_on is None:
        return None
    if policy != NA_NOT_ALLOWED:
        outcomes += (Outcome(NOT_APPLICABLE, NOT_APPLICABLE_LABEL, not_applicable_points),)
    return Item(
        item_id,
        code,
        text,
        points,
        method,
        outcomes,
        derive,
        not_applicable_points,
        group.category_code,
        group,
        method_continued,
        policy,
        reason_required,
        depends_on,
        earlier_ids,
        why,
    )


def _read_not_applicable_policy(reader: _Reader) -> str | None:
    if "not_applicable" not in reader.table:
        return NA_FULL_POINTS
    policy = reader.text("not_applicable")
    if policy is not None and policy not in NOT_APPLICABLE_POLICIES:
        reader.problem(
            f"not_applicable '{policy}' is unknown (known: {', '.join(NOT_APPLICABLE_POLICIES)})",
            "not_applicable",
        )
        return None
    return policy


def _read_not_applicable_points(reader: _Reader, points: int | None, policy: str | None) -> int | None:
    """Points 不适用 gives: set only under the full-points policy; left out or refused items give none."""
    if "not_applicable_points" not in reader.table:
        return 0 if policy in (NA_SCALE_CATEGORY, NA_NOT_ALLOWED) else points
    if policy != NA_FULL_POINTS:
        reader.problem(
            f"not_applicable_points applies only with not_applicable = '{NA_FULL_POINTS}'",
            "not_applicable_points",
        )
    value = reader.integer("not_applicable_points", minimum=0)
    if value is not None and points is not None and value > points:
        reader.problem(
            f"not_applicable_points is {value}, more than the item's {points}", "not_applicable_points"
        )
    return value


def _read_reason_required(reader: _Reader, policy: str | None) -> bool | None:
    """Whether 不适用 needs a written reason: it does, unless the form says otherwise where it is offered."""
    key = "not_applicable_reason_required"
    if key not in reader.table:
        return True
    required = reader.flag(key, default=True)
    if policy == NA_NOT_ALLOWED:
        reader.problem(
            f"{key} applies only where 不适用 is offered (not_applicable is '{NA_NOT_ALLOWED}')", key
        )
        return None
    return required


def _read_dependency(item_reader: _Reader) -> Dependency | None:
    table = item_reader.table["depends_on"]
    if not isinstance(table, dict):
        item_reader.problem(
            '\'depends_on\' must be a table: { item = "<id>", outcomes = ["<key>", ...] }', "depends_on"
        )
        return None
    reader = item_reader.child(table, f"{item_reader.where} depends_on", "depends_on")
    reader.reject_unexpected(_DEPENDENCY_KEYS)
    other = reader.text("item")
    if "outcomes" not in table:
        reader.problem(
            "'outcomes' is missing: name the outcomes of the other item that make this one score 0",
            "outcomes",
        )
        return None
    outcomes = reader.texts("outcomes")
    if outcomes == ():
        reader.problem("'outcomes' is empty", "outcomes")
        return None
    if other is None or outcomes is None:
        return None
    return Dependency(other, outcomes)


def _read_outcomes(item_reader: _Reader, points: int | None) -> tuple[Outcome, ...] | None:
    outcomes = []
    for position, table in enumerate(item_reader.tables("outcomes"), start=1):
        key = table.get("key")
        name = f"'{key}'" if isinstance(key, str) and key else f"#{position}"
        reader = item_reader.child(table, f"{item_reader.where} outcome {name}", "outcomes", position - 1)
        outcomes.append(_read_outcome(reader, points))
    if not outcomes or None in outcomes:
        return None
    if points is not None:
        _check_outcomes_fit(item_reader, outcomes, points)
    return tuple(outcomes)


def _read_outcome(reader: _Reader, item_points: int | None) -> Outcome | None:
    reader.reject_unexpected(_OUTCOME_KEYS)
    key = reader.text("key")
    label = reader.text("label")
    points = reader.integer("points", minimum=0)
    if key == NOT_APPLICABLE:
        reader.problem(f"'{NOT_APPLICABLE}' is added by the loader; do not declare it", "key")
    if points is not None and item_points is not None and points > item_points:
        reader.problem(f"gives {points} points, more than the item's {item_points}", "points")
    if None in (key, label, points):
        return None
    return Outcome(key, label, points)


def _check_outcomes_fit(reader: _Reader, outcomes: list[Outcome], points: int) -> None:
    for key, count in Counter(outcome.key for outcome in outcomes).items():
        if count > 1:
            reader.problem(f"outcome '{key}' declared {count} times", "outcomes")
    by_key = {outcome.key: outcome for outcome in outcomes}
    for key, expected in (("full", points), ("zero", 0)):
        if key not in by_key:
            reader.problem(f"has no '{key}' outcome", "outcomes")
        elif by_key[key].points != expected:
            position = outcomes.index(by_key[key])
            reader.context.problem(
                reader.path + ("outcomes", position, "points"),
                f"{reader.where}: outcome '{key}' gives {by_key[key].points} points, must give {expected}",
            )


def _read_derivation(item_reader: _Reader, outcomes: tuple[Outcome, ...] | None) -> Derivation | None:
    table = item_reader.table["derive"]
    if not isinstance(table, dict):
        item_reader.problem("'derive' must be a table", "derive")
        return None
    reader = item_reader.child(table, f"{item_reader.where} derive", "derive")
    kind = reader.text("kind")
    if kind is None:
        return None
    if kind not in DERIVATION_KINDS:
        reader.problem(f"kind '{kind}' is unknown (known: {', '.join(DERIVATION_KINDS)})", "kind")
        return None
    reader.reject_unexpected(_DERIVE_KEYS[kind])
    derivation = _read_problem_count(reader) if kind == PROBLEM_COUNT else _read_error_rate(reader)
    if derivation is not None and "max_count" in table:
        derivation = replace(derivation, max_count=reader.integer("max_count", minimum=1, maximum=MAX_COUNT))
    if derivation is not None and "limits" in table:
        derivation = replace(derivation, limits=_read_limits(reader, kind))
    if derivation is not None and outcomes is not None:
        _check_outcome_references(reader, derivation, outcomes)
    return derivation


def _read_limits(derive_reader: _Reader, kind: str) -> tuple[tuple[str, int], ...]:
    """Per counted input, the largest count it accepts: { papers_checked = 2000, ... }.

    A problem is noted where a limit cannot be read; the limits read are returned either way.
    """
    table = derive_reader.table["limits"]
    if not isinstance(table, dict) or not table:
        derive_reader.problem("'limits' must be a table of counted inputs and their largest counts", "limits")
        return ()
    reader = derive_reader.child(table, f"{derive_reader.where} limits", "limits")
    counted = COUNTED_INPUTS[kind]
    reader.reject_unexpected(set(counted))
    limits = ((name, reader.integer(name, minimum=1, maximum=MAX_COUNT)) for name in counted if name in table)
    return tuple((name, value) for name, value in limits if value is not None)


def _read_problem_count(reader: _Reader) -> Derivation | None:
    bands = _read_bands(reader)
    otherwise = reader.text("otherwise")
    serious_outcome = reader.text("serious_outcome", required=False)
    if bands is None or otherwise is None:
        return None
    return Derivation(PROBLEM_COUNT, otherwise, bands=bands, serious_outcome=serious_outcome)


def _read_bands(reader: _Reader) -> tuple[Band, ...] | None:
    bands = []
    for position, table in enumerate(reader.tables("bands"), start=1):
        band_reader = reader.child(table, f"{reader.where} band #{position}", "bands", position - 1)
        band_reader.reject_unexpected(_BAND_KEYS)
        maximum = band_reader.integer("max", minimum=0)
        outcome = band_reader.text("outcome")
        bands.append(None if None in (maximum, outcome) else Band(maximum, outcome))
    if not bands or None in bands:
        return None
    for lower, upper in pairwise(bands):
        if upper.max <= lower.max:
            reader.problem(f"bands must rise: max {upper.max} follows max {lower.max}", "bands")
    return tuple(bands)


def _read_error_rate(reader: _Reader) -> Derivation | None:
    threshold = reader.integer("threshold_percent", minimum=1, maximum=100)
    below = reader.text("below")
    otherwise = reader.text("otherwise")
    if None in (threshold, below, otherwise):
        return None
    return Derivation(ERROR_RATE, otherwise, threshold_percent=threshold, below=below)


def _check_outcome_references(reader: _Reader, derivation: Derivation, outcomes: tuple[Outcome, ...]) -> None:
    declared = {outcome.key for outcome in outcomes}
    for key in dict.fromkeys(derivation.outcome_keys):
        if key not in declared:
            reader.problem(f"refers to outcome '{key}', which the item does not declare")
