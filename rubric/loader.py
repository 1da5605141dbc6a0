"""Load a rubric from its TOML file and check it against the form's own arithmetic.

Every problem found is collected, each named by where it is, and reported together
so one run shows everything wrong with a file.
"""

import tomllib
from collections import Counter
from dataclasses import replace
from itertools import pairwise
from os import PathLike
from pathlib import Path

from .errors import RubricError
from .model import (
    DERIVATION_KINDS,
    ERROR_RATE,
    NA_FULL_POINTS,
    NA_NOT_ALLOWED,
    NA_SCALE_CATEGORY,
    NOT_APPLICABLE,
    NOT_APPLICABLE_LABEL,
    NOT_APPLICABLE_POLICIES,
    PROBLEM_COUNT,
    Band,
    Category,
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
_ITEM_KEYS = {
    "id",
    "code",
    "text",
    "points",
    "method",
    "method_continued",
    "outcomes",
    "derive",
    "not_applicable",
    "not_applicable_points",
}
_OUTCOME_KEYS = {"key", "label", "points"}
_BAND_KEYS = {"max", "outcome"}
_DERIVE_KEYS = {
    PROBLEM_COUNT: {"kind", "bands", "otherwise", "serious_outcome", "max_count"},
    ERROR_RATE: {"kind", "threshold_percent", "below", "otherwise", "max_count"},
}


def load_rubric(path: str | PathLike) -> Rubric:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise RubricError(f"cannot read the rubric file: {error}", source=str(path)) from error
    problems: list[str] = []
    rubric = _read_rubric(data, problems)
    if problems:
        raise RubricError(problems, source=str(path))
    return rubric


class _Reader:
    """Reads the fields of one TOML table, noting each problem with where it was found."""

    def __init__(self, table: dict, where: str, problems: list[str]):
        self.table = table
        self.where = where
        self.problems = problems

    def problem(self, message: str) -> None:
        self.problems.append(f"{self.where}: {message}")

    def reject_unexpected(self, allowed: set[str]) -> None:
        for key in self.table:
            if key not in allowed:
                self.problem(f"unexpected key '{key}'")

    def text(self, key: str, required: bool = True) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(f"'{key}' must be a non-empty string, got {value!r}")
            return None
        return value

    def integer(self, key: str, minimum: int) -> int | None:
        value = self._get(key, required=True)
        if value is None:
            return None
        if not _is_int(value):
            self.problem(f"'{key}' must be an integer, got {value!r}")
            return None
        if value < minimum:
            self.problem(f"'{key}' must be at least {minimum}, got {value}")
            return None
        return value

    def tables(self, key: str) -> list[dict]:
        value = self._get(key, required=True)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
            self.problem(f"'{key}' must be an array of tables")
            return []
        if not value:
            self.problem(f"'{key}' is empty")
        return value

    def _get(self, key: str, required: bool) -> object:
        value = self.table.get(key)
        if value is None and required:
            self.problem(f"'{key}' is missing")
        return value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _where(kind: str, table: dict, key: str, position: int, parent: str = "") -> str:
    """Name a table by its own code or id, or by its position when it has none."""
    name = table.get(key)
    if isinstance(name, str) and name:
        return f"{kind} {name}"
    return f"{parent} {kind} #{position}".strip()


def _read_rubric(data: dict, problems: list[str]) -> Rubric | None:
    reader = _Reader(data, "rubric", problems)
    reader.reject_unexpected(_RUBRIC_KEYS)
    rubric_id = reader.text("id")
    version = reader.text("version")
    title = reader.text("title")
    max_points = reader.integer("max_points", minimum=1)
    categories = [
        _read_category(table, position, problems)
        for position, table in enumerate(reader.tables("categories"), start=1)
    ]
    if max_points is not None:
        _check_total(reader, max_points, categories)
    _check_unique_codes(categories, problems)
    if problems:
        return None
    return Rubric(rubric_id, version, title, max_points, tuple(categories))


def _check_total(reader: _Reader, max_points: int, categories: list[Category | None]) -> None:
    if max_points != FORM_MAX_POINTS:
        reader.problem(f"max_points is {max_points}, the form totals {FORM_MAX_POINTS}")
    if categories and None not in categories:
        category_sum = sum(category.points for category in categories)
        if category_sum != max_points:
            reader.problem(f"categories sum to {category_sum}, max_points says {max_points}")


def _check_unique_codes(categories: list[Category | None], problems: list[str]) -> None:
    known = [category for category in categories if category is not None]
    for code, count in Counter(category.code for category in known).items():
        if count > 1:
            problems.append(f"category {code}: code used {count} times")
    item_ids = Counter(item.id for category in known for item in category.items)
    for item_id, count in item_ids.items():
        if count > 1:
            problems.append(f"item {item_id}: id used {count} times")


def _read_category(table: dict, position: int, problems: list[str]) -> Category | None:
    reader = _Reader(table, _where("category", table, "code", position), problems)
    reader.reject_unexpected(_CATEGORY_KEYS)
    code = reader.text("code")
    title = reader.text("title")
    points = reader.integer("points", minimum=1)
    groups = []
    items = []
    for group_position, group_table in enumerate(reader.tables("groups"), start=1):
        group, group_items = _read_group(group_table, group_position, code, reader.where, problems)
        groups.append(group)
        items.extend(group_items)
    if points is not None and items and None not in items:
        item_sum = sum(item.points for item in items)
        if item_sum != points:
            reader.problem(f"items sum to {item_sum}, category says {points}")
    if None in (code, title, points) or None in groups or None in items:
        return None
    return Category(code, title, points, tuple(groups), tuple(items))


def _read_group(
    table: dict, position: int, category_code: str | None, category_where: str, problems: list[str]
) -> tuple[Group | None, list[Item | None]]:
    reader = _Reader(table, _where("group", table, "code", position, category_where), problems)
    reader.reject_unexpected(_GROUP_KEYS)
    code = reader.text("code")
    title = reader.text("title")
    table_name = reader.text("table")
    group = None
    if None not in (code, title, table_name, category_code):
        group = Group(code, title, table_name, category_code)
    items = [
        _read_item(item_table, item_position, group, reader.where, problems)
        for item_position, item_table in enumerate(reader.tables("items"), start=1)
    ]
    _check_merged_methods(items, reader)
    return group, items


def _check_merged_methods(items: list[Item | None], reader: _Reader) -> None:
    """A method cell merged over several rows continues the row above, with the same text."""
    for previous, item in zip([None, *items], items, strict=False):
        if item is None or not item.method_continued:
            continue
        if previous is None:
            reader.problem(f"item {item.id}: method_continued, but no item above it in its group")
        elif previous.method != item.method:
            reader.problem(f"item {item.id}: method_continued, but its method differs from {previous.id}'s")


def _read_item(
    table: dict, position: int, group: Group | None, group_where: str, problems: list[str]
) -> Item | None:
    """Read one item; it is None only when a field it is built from cannot be read."""
    reader = _Reader(table, _where("item", table, "id", position, group_where), problems)
    reader.reject_unexpected(_ITEM_KEYS)
    item_id = reader.text("id")
    code = reader.text("code")
    text = reader.text("text")
    method = reader.text("method")
    points = reader.integer("points", minimum=1)
    outcomes = _read_outcomes(reader, points)
    derive = _read_derivation(reader, outcomes) if "derive" in table else None
    policy = _read_not_applicable_policy(reader)
    not_applicable_points = _read_not_applicable_points(reader, points, policy)
    method_continued = table.get("method_continued", False)
    if not isinstance(method_continued, bool):
        reader.problem(f"'method_continued' must be true or false, got {method_continued!r}")
    if None in (item_id, code, text, method, points, outcomes, not_applicable_points, group, policy):
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
        method_continued is True,
        policy,
    )


def _read_not_applicable_policy(reader: _Reader) -> str | None:
    if "not_applicable" not in reader.table:
        return NA_FULL_POINTS
    policy = reader.text("not_applicable")
    if policy is not None and policy not in NOT_APPLICABLE_POLICIES:
        reader.problem(f"not_applicable '{policy}' is unknown (known: {', '.join(NOT_APPLICABLE_POLICIES)})")
        return None
    return policy


def _read_not_applicable_points(reader: _Reader, points: int | None, policy: str | None) -> int | None:
    """Points 不适用 gives: set only under the full-points policy; left out or refused items give none."""
    if "not_applicable_points" not in reader.table:
        return 0 if policy in (NA_SCALE_CATEGORY, NA_NOT_ALLOWED) else points
    if policy != NA_FULL_POINTS:
        reader.problem(f"not_applicable_points applies only with not_applicable = '{NA_FULL_POINTS}'")
    value = reader.integer("not_applicable_points", minimum=0)
    if value is not None and points is not None and value > points:
        reader.problem(f"not_applicable_points is {value}, more than the item's {points}")
    return value


def _read_outcomes(item_reader: _Reader, points: int | None) -> tuple[Outcome, ...] | None:
    outcomes = []
    for position, table in enumerate(item_reader.tables("outcomes"), start=1):
        key = table.get("key")
        name = f"'{key}'" if isinstance(key, str) and key else f"#{position}"
        reader = _Reader(table, f"{item_reader.where} outcome {name}", item_reader.problems)
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
        reader.problem(f"'{NOT_APPLICABLE}' is added by the loader; do not declare it")
    if points is not None and item_points is not None and points > item_points:
        reader.problem(f"gives {points} points, more than the item's {item_points}")
    if None in (key, label, points):
        return None
    return Outcome(key, label, points)


def _check_outcomes_fit(reader: _Reader, outcomes: list[Outcome], points: int) -> None:
    for key, count in Counter(outcome.key for outcome in outcomes).items():
        if count > 1:
            reader.problem(f"outcome '{key}' declared {count} times")
    by_key = {outcome.key: outcome for outcome in outcomes}
    for key, expected in (("full", points), ("zero", 0)):
        if key not in by_key:
            reader.problem(f"has no '{key}' outcome")
        elif by_key[key].points != expected:
            reader.problem(f"outcome '{key}' gives {by_key[key].points} points, must give {expected}")


def _read_derivation(item_reader: _Reader, outcomes: tuple[Outcome, ...] | None) -> Derivation | None:
    table = item_reader.table["derive"]
    if not isinstance(table, dict):
        item_reader.problem("'derive' must be a table")
        return None
    reader = _Reader(table, f"{item_reader.where} derive", item_reader.problems)
    kind = reader.text("kind")
    if kind is None:
        return None
    if kind not in DERIVATION_KINDS:
        reader.problem(f"kind '{kind}' is unknown (known: {', '.join(DERIVATION_KINDS)})")
        return None
    reader.reject_unexpected(_DERIVE_KEYS[kind])
    derivation = _read_problem_count(reader) if kind == PROBLEM_COUNT else _read_error_rate(reader)
    if derivation is not None and "max_count" in table:
        derivation = replace(derivation, max_count=reader.integer("max_count", minimum=1))
    if derivation is not None and outcomes is not None:
        _check_outcome_references(reader, derivation, outcomes)
    return derivation


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
        band_reader = _Reader(table, f"{reader.where} band #{position}", reader.problems)
        band_reader.reject_unexpected(_BAND_KEYS)
        maximum = band_reader.integer("max", minimum=0)
        outcome = band_reader.text("outcome")
        bands.append(None if None in (maximum, outcome) else Band(maximum, outcome))
    if not bands or None in bands:
        return None
    for lower, upper in pairwise(bands):
        if upper.max <= lower.max:
            reader.problem(f"bands must rise: max {upper.max} follows max {lower.max}")
    return tuple(bands)


def _read_error_rate(reader: _Reader) -> Derivation | None:
    threshold = reader.integer("threshold_percent", minimum=1)
    if threshold is not None and threshold > 100:
        reader.problem(f"'threshold_percent' must be at most 100, got {threshold}")
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
