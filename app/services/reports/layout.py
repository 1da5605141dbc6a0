"""The official form's tables 表1-1 to 表1-6, row by row, with each item's result beside it.

The printed form merges the 大项 cell over all rows of a category within a table, the 中项
cell over the rows of a group, and some method cells over the rows that print them empty; a
category that runs on into the next table (6 over 表1-4 to 表1-6) is printed again at the top
of each table.
"""

from dataclasses import dataclass
from itertools import takewhile

from rubric import Category, Group, Item, ItemScore, Rubric, Scorecard

METHOD_HEADING = "评估方法和标准"
# 表1-2 prints 评估内容 over its method column (see the top of the form's TOML file).
METHOD_HEADINGS = {"表1-2": "评估内容"}


@dataclass(frozen=True)
class Row:
    item: Item
    result: ItemScore | None
    category: Category | None = None
    category_rows: int = 0
    group: Group | None = None
    group_rows: int = 0
    method_rows: int = 1

    @property
    def explained(self) -> bool:
        """A deduction or 不适用: the result column carries the outcome and the note."""
        return self.result is not None and self.result.needs_note


@dataclass(frozen=True)
class Table:
    name: str
    method_heading: str
    rows: tuple[Row, ...]


def tables(rubric: Rubric, card: Scorecard) -> list[Table]:
    """The form's tables in order, each row knowing which merged cells start on it."""
    by_table: dict[str, list[Item]] = {}
    for item in rubric.items:
        by_table.setdefault(item.group.table, []).append(item)
    return [
        Table(name, METHOD_HEADINGS.get(name, METHOD_HEADING), tuple(_rows(rubric, items, card)))
        for name, items in by_table.items()
    ]


def _rows(rubric: Rubric, items: list[Item], card: Scorecard) -> list[Row]:
    rows = []
    for index, item in enumerate(items):
        previous = items[index - 1] if index else None
        new_category = previous is None or previous.category_code != item.category_code
        new_group = new_category or previous.group != item.group
        rows.append(
            Row(
                item=item,
                result=card.items.get(item.id),
                category=rubric.category(item.category_code) if new_category else None,
                category_rows=_run(items, index, lambda i: i.category_code) if new_category else 0,
                group=item.group if new_group else None,
                group_rows=_run(items, index, lambda i: (i.category_code, i.group)) if new_group else 0,
                method_rows=0 if item.method_continued else _method_rowspan(items, index),
            )
        )
    return rows


def _method_rowspan(items: list[Item], start: int) -> int:
    """The printed form merges a method cell over the rows that continue it."""
    following = takewhile(lambda item: item.method_continued, items[start + 1 :])
    return 1 + sum(1 for _ in following)


def _run(items: list[Item], start: int, key) -> int:
    """How many rows from start share the key: the rowspan of a merged cell."""
    count = 0
    for item in items[start:]:
        if key(item) != key(items[start]):
            break
        count += 1
    return count
