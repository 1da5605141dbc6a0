"""What changed between two versions of a form, item by item.

An item keeps its identity by id across versions, whatever its text becomes. A new
version may say which earlier items an item continues under another id (its
`earlier_ids`): a renumbered item, one split in two, or two merged into one. The
comparison uses that lineage, and so can figures that follow an item across versions.
"""

from dataclasses import dataclass
from functools import cached_property

from .data import derivation_data
from .model import ITEM_FIELDS, NA_FULL_POINTS, NOT_APPLICABLE, Item, Rubric

FORM = "form"
CATEGORY = "category"
ADDED = "added"
REMOVED = "removed"
MOVED = "moved"
CHANGED = "changed"
RENUMBERED = "renumbered"
SPLIT = "split"
MERGED = "merged"
CHANGE_KINDS = (FORM, CATEGORY, ADDED, REMOVED, MOVED, CHANGED, RENUMBERED, SPLIT, MERGED)

ROW_HEADINGS = ("change", "item", "field", "before", "after")


@dataclass(frozen=True)
class Change:
    """One difference; `item` is the new id (the old one for a removed item; a form field's name)."""

    kind: str
    item: str
    field: str
    before: object
    after: object


@dataclass(frozen=True)
class RubricComparison:
    old: Rubric
    new: Rubric
    changes: tuple[Change, ...]

    def of_kind(self, kind: str) -> tuple[Change, ...]:
        return tuple(change for change in self.changes if change.kind == kind)

    @property
    def added(self) -> tuple[Change, ...]:
        return self.of_kind(ADDED)

    @property
    def removed(self) -> tuple[Change, ...]:
        return self.of_kind(REMOVED)

    @property
    def moved(self) -> tuple[Change, ...]:
        return self.of_kind(MOVED)

    @property
    def changed(self) -> tuple[Change, ...]:
        return self.of_kind(CHANGED)

    @cached_property
    def _lineage(self) -> dict[str, tuple[str, ...]]:
        return lineage(self.old, self.new)

    def predecessors(self, new_id: str) -> tuple[str, ...]:
        """The old version's items the new item continues (its own id first, when the old version has it)."""
        return self._lineage.get(new_id, ())

    def successors(self, old_id: str) -> tuple[str, ...]:
        """The new version's items that continue the old item."""
        return tuple(new_id for new_id, earlier in self._lineage.items() if old_id in earlier)

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """A flat table, one change a row (headings: ROW_HEADINGS), every cell text: for a CSV or XLSX."""
        return [
            (change.kind, change.item, change.field, _cell(change.before), _cell(change.after))
            for change in self.changes
        ]


def lineage(old: Rubric, new: Rubric) -> dict[str, tuple[str, ...]]:
    """Each new item's id -> the old version's item ids it continues (same id, then its earlier_ids)."""
    result = {}
    for item in new.items:
        earlier = [item.id] if old.item(item.id) is not None else []
        earlier += [
            earlier_id
            for earlier_id in item.earlier_ids
            if old.item(earlier_id) and earlier_id not in earlier
        ]
        result[item.id] = tuple(earlier)
    return result


def compare_rubrics(old: Rubric, new: Rubric) -> RubricComparison:
    changes = _form_changes(old, new) + _category_changes(old, new)
    links = lineage(old, new)
    successors: dict[str, list[str]] = {}
    for new_id, earlier in links.items():
        for old_id in earlier:
            successors.setdefault(old_id, []).append(new_id)
    for item in new.items:
        earlier = links[item.id]
        if not earlier:
            changes.append(Change(ADDED, item.id, "item", None, _item_summary(item)))
            continue
        if earlier != (item.id,):
            changes.append(_lineage_change(item, earlier, successors))
        counterpart = _counterpart(item, earlier, successors)
        if counterpart is not None:
            changes += _item_changes(old.item(counterpart), item)
    for item in old.items:
        if item.id not in successors:
            changes.append(Change(REMOVED, item.id, "item", _item_summary(item), None))
    return RubricComparison(old, new, tuple(changes))


def _form_changes(old: Rubric, new: Rubric) -> list[Change]:
    return [
        Change(FORM, field, field, getattr(old, field), getattr(new, field))
        for field in ("id", "version", "title", "max_points")
        if getattr(old, field) != getattr(new, field)
    ]


def _category_changes(old: Rubric, new: Rubric) -> list[Change]:
    changes = []
    for category in new.categories:
        before = old.category(category.code)
        if before is None:
            changes.append(
                Change(CATEGORY, category.code, "category", None, f"{category.title} {category.points}")
            )
            continue
        for field in ("title", "points"):
            if getattr(before, field) != getattr(category, field):
                changes.append(
                    Change(CATEGORY, category.code, field, getattr(before, field), getattr(category, field))
                )
    for category in old.categories:
        if new.category(category.code) is None:
            changes.append(
                Change(CATEGORY, category.code, "category", f"{category.title} {category.points}", None)
            )
    return changes


def _lineage_change(item: Item, earlier: tuple[str, ...], successors: dict[str, list[str]]) -> Change:
    if len(earlier) > 1:
        kind = MERGED
    elif len(successors[earlier[0]]) > 1:
        kind = SPLIT
    else:
        kind = RENUMBERED
    return Change(kind, item.id, "id", list(earlier), item.id)


def _counterpart(item: Item, earlier: tuple[str, ...], successors: dict[str, list[str]]) -> str | None:
    """The old item whose fields this one's are compared with: same id, or the one item it renumbers."""
    if earlier[0] == item.id:
        return item.id
    if len(earlier) == 1 and successors[earlier[0]] == [item.id]:
        return earlier[0]
    return None


def _item_changes(before: Item, after: Item) -> list[Change]:
    changes = []
    for field in ("category", "group"):
        if _place(before, field) != _place(after, field):
            changes.append(Change(MOVED, after.id, field, _place(before, field), _place(after, field)))
    for field in ITEM_FIELDS:
        old_value, new_value = _field(before, field), _field(after, field)
        if old_value != new_value and not _follows_the_policy(field, before, after):
            changes.append(Change(CHANGED, after.id, field, old_value, new_value))
    return changes


def _follows_the_policy(field: str, before: Item, after: Item) -> bool:
    """不适用's points only mean something under the full-points policy: a policy change says it all."""
    return field == "not_applicable_points" and before.not_applicable != after.not_applicable


def _place(item: Item, field: str) -> str:
    if field == "category":
        return item.category_code
    return f"{item.group.code} {item.group.title}"


def _field(item: Item, field: str) -> object:
    """The field's value as plain data (lists, dicts, text, numbers), comparable and JSON-serialisable."""
    if field == "outcomes":
        return [f"{o.key} | {o.points} | {o.label}" for o in item.outcomes if o.key != NOT_APPLICABLE]
    if field == "derive":
        return derivation_data(item.derive) if item.derive else None
    if field == "depends_on":
        rule = item.depends_on
        return f"{rule.item_id}: {', '.join(rule.outcomes)}" if rule else None
    if field == "not_applicable_points" and item.not_applicable != NA_FULL_POINTS:
        return None
    return getattr(item, field)


def _item_summary(item: Item) -> str:
    return f"{item.code} {item.text} ({item.points})"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "\n".join(_cell(entry) for entry in value)
    if isinstance(value, dict):
        return ", ".join(f"{key} = {_cell(entry)}" for key, entry in value.items())
    return str(value)
