"""The official form's tables 表1-1 to 表1-6, row by row, with each item's result beside it, cut into pages.

The printed form merges the 大项 cell over all rows of a category within a table, the 中项
cell over the rows of a group, and some method cells over the rows that print them empty; a
category that runs on into the next table (6 over 表1-4 to 表1-6) is printed again at the top
of each table.

The printed form gives each table its own page under the form's title. A long note can make
a table longer than a page; the rows are then cut into pages here, not by the browser or the
PDF engine, so that each continuation page repeats the title, the table's name, the header and
the 大项 and 中项 cells of the rows it holds. Where to cut comes from an estimate of each row's
height on A4, from its text and the printed column widths (report.css prints at the sizes
below); the estimate leans high, so a page may end early but does not overflow. A note too
long for one page is itself cut into parts, each a row of its own: the row goes on on the next
page under the repeated title, 表号 and header, its item number marked （续）.
"""

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import takewhile
from pathlib import Path

from rubric import NOT_APPLICABLE, Category, Group, Item, ItemScore, Rubric, Scorecard, derive_outcome

METHOD_HEADING = "评估方法和标准"
# 表1-2 prints 评估内容 over its method column (see the top of the form's TOML file).
METHOD_HEADINGS = {"表1-2": "评估内容"}

CSS_PATH = Path(__file__).parents[2] / "static" / "css" / "report.css"


def _column_widths(css: str) -> dict[str, float]:
    """The form's column widths in percent of the table's width, as report.css sets them (`.c-item`)."""
    return {name: float(width) for name, width in re.findall(r"\.c-(\w+)\s*\{\s*width:\s*([\d.]+)%", css)}


# 大项, 中项, 小项, 评估分值, 评估方法和标准, 评估结果 as printed; set in report.css only.
COLUMN_WIDTHS = _column_widths(CSS_PATH.read_text(encoding="utf-8"))

# A4 in millimetres at the sizes report.css prints with (@page margins 14/12/16 mm, table text
# 8.5pt at line-height 1.4, cell padding .25rem/.3rem at a 10pt root).
TABLE_WIDTH_MM = 210 - 2 * 12
PAGE_HEIGHT_MM = 297 - 14 - 16
TEXT_MM = 8.5 * 0.3528
LINE_MM = 1.4 * TEXT_MM
CELL_PADDING_MM = 2 * 0.3 * 10 * 0.3528
CELL_HEIGHT_PADDING_MM = 2 * 0.25 * 10 * 0.3528 + 0.3
POINTS_LINE_MM = 1.4 * 10 * 0.3528
SMALL_TEXT_MM = 7.5 * 0.3528
# Above each table: the form's title and the table's name; the two header rows (WeasyPrint lays
# them out at 13 and 12.5 mm).
TABLE_HEAD_MM = 15
HEADER_ROWS_MM = 14
# Above the first table only: 附件2, the station, date, assessors and total, a draft's warning.
REPORT_HEAD_MM = 42
SAFETY = 1.1


@dataclass(frozen=True)
class Row:
    item: Item
    result: ItemScore | None
    category: Category | None = None
    category_rows: int = 0
    group: Group | None = None
    group_rows: int = 0
    method_rows: int = 1
    no_photo_reason: str = ""
    """Why this deduction has no photo; empty for every other row."""
    note_part: str | None = None
    """The part of a long note this row prints (None: the whole note)."""
    part: int = 0
    """0 for an item's row; 1, 2… for the rows its long note goes on in, on the next pages."""

    @property
    def note(self) -> str:
        if self.note_part is not None:
            return self.note_part
        return self.result.note if self.result is not None else ""

    @property
    def explained(self) -> bool:
        """A deduction, 不适用 or counted inputs: the result column carries the outcome."""
        return self.result is not None and (self.result.needs_note or self.result.inputs is not None)

    @property
    def counts(self) -> dict | None:
        """What the assessor counted and the rate or count it gives, for the result column."""
        if self.result is None or self.result.inputs is None or self.item.derive is None:
            return None
        return derive_outcome(self.item, self.result.inputs)[1]


@dataclass(frozen=True)
class Table:
    """One page of one printed table; `continued` pages follow the table's first page."""

    name: str
    method_heading: str
    rows: tuple[Row, ...]
    continued: bool = False
    tall: bool = False
    """One row taller than a page: the row itself has to break across pages."""


def tables(
    rubric: Rubric,
    card: Scorecard,
    items_with_photos=frozenset(),
    no_photo_reasons: Mapping[str, str] | None = None,
) -> list[Table]:
    """The form's tables in order, cut into pages, each row knowing which merged cells start on it.

    `no_photo_reasons` holds, by item id, why a finding has no photo; a deduction's row prints it.
    """
    reasons = _printed_reasons(card, no_photo_reasons or {})
    by_table: dict[str, list[Item]] = {}
    for item in rubric.items:
        by_table.setdefault(item.group.table, []).append(item)
    pages = []
    for index, (name, table_items) in enumerate(by_table.items()):
        first_page = PAGE_HEIGHT_MM - TABLE_HEAD_MM - HEADER_ROWS_MM - (REPORT_HEAD_MM if index == 0 else 0)
        items: list[_Part] = []
        for item in table_items:
            items.extend(
                _parts(item, card.items.get(item.id), item.id in items_with_photos, reasons, first_page)
            )
        heights = [
            _row_height(
                part.item,
                card.items.get(part.item.id),
                part.item.id in items_with_photos and part.number == 0,
                reasons.get(part.item.id, "") if part.last else "",
                part.note,
                part.number,
            )
            for part in items
        ]
        cuts = _cut(heights, first_page, PAGE_HEIGHT_MM - TABLE_HEAD_MM - HEADER_ROWS_MM)
        for number, (start, end) in enumerate(cuts):
            rows = tuple(_rows(rubric, items[start:end], card, reasons))
            tall = end - start == 1 and heights[start] * SAFETY > first_page
            heading = METHOD_HEADINGS.get(name, METHOD_HEADING)
            pages.append(Table(name, heading, rows, continued=number > 0, tall=tall))
    return pages


@dataclass(frozen=True)
class _Part:
    """An item's row, or one of the rows its long note goes on in."""

    item: Item
    note: str | None = None
    number: int = 0
    last: bool = True

    # The merged-cell helpers read these like an item's.
    @property
    def category_code(self) -> str:
        return self.item.category_code

    @property
    def group(self) -> Group:
        return self.item.group

    @property
    def method_continued(self) -> bool:
        return self.number > 0 or self.item.method_continued


def _parts(item: Item, result, has_photos: bool, reasons: Mapping[str, str], room: float) -> list[_Part]:
    """The item's row, cut into several where its note would not fit on one page (`room` mm)."""
    reason = reasons.get(item.id, "")
    if result is None or not result.note or _row_height(item, result, has_photos, reason) * SAFETY <= room:
        return [_Part(item)]
    # What a note part may fill: the page less the row's other lines, with the estimate's margin.
    others = _row_height(item, result, has_photos, reason, note="") - CELL_HEIGHT_PADDING_MM
    lines = math.floor((room / SAFETY - CELL_HEIGHT_PADDING_MM - others - LINE_MM) / LINE_MM)
    pieces = _split_lines(result.note, "result", max(lines, 5))
    return [_Part(item, piece, number, number == len(pieces) - 1) for number, piece in enumerate(pieces)]


def _split_lines(text: str, column: str, lines: int) -> list[str]:
    """Text cut into pieces of at most `lines` lines of the column, where a line wraps anywhere."""
    per_line = math.floor((TABLE_WIDTH_MM * COLUMN_WIDTHS[column] / 100 - CELL_PADDING_MM) / TEXT_MM)
    pieces, piece, used_lines, line_width = [], [], 1, 0.0
    for char in text:
        if char == "\n":
            used_lines, line_width = used_lines + 1, 0.0
        else:
            width = _width_em(char)
            if line_width + width > per_line:
                used_lines, line_width = used_lines + 1, 0.0
            line_width += width
        if used_lines > lines:
            pieces.append("".join(piece).strip("\n"))
            piece, used_lines, line_width = [], 1, (0.0 if char == "\n" else _width_em(char))
        piece.append(char)
    pieces.append("".join(piece).strip("\n"))
    return [piece for piece in pieces if piece] or [text]


def _cut(heights: list[float], first_page: float, later_pages: float) -> list[tuple[int, int]]:
    """Fill pages greedily: (start, end) of the rows each page holds; a row never leaves a page empty."""
    cuts = []
    start = 0
    used = 0.0
    room = first_page
    for index, height in enumerate(heights):
        height *= SAFETY
        if index > start and used + height > room:
            cuts.append((start, index))
            start, used, room = index, 0.0, later_pages
        used += height
    cuts.append((start, len(heights)))
    return cuts


def _printed_reasons(card: Scorecard, no_photo_reasons: Mapping[str, str]) -> dict[str, str]:
    """The no-photo reasons the report prints: those of deductions."""
    return {
        item_id: reason
        for item_id, reason in no_photo_reasons.items()
        if reason and item_id in card.items and card.items[item_id].deduction
    }


def _rows(rubric: Rubric, items: list[_Part], card: Scorecard, reasons: Mapping[str, str]) -> list[Row]:
    rows = []
    for index, part in enumerate(items):
        item = part.item
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
                method_rows=0 if part.method_continued and index else _method_rowspan(items, index),
                no_photo_reason=reasons.get(item.id, "") if part.last else "",
                note_part=part.note,
                part=part.number,
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


def _row_height(
    item: Item,
    result: ItemScore | None,
    has_photos: bool,
    no_photo_reason: str,
    note: str | None = None,
    part: int = 0,
) -> float:
    """The row's height in mm, led by its tallest cell; merged cells are counted on their first row.
    `note` is the part of the note the row prints (None: all of it); a continuation row (`part` > 0)
    prints only its item number and that part."""
    if part:
        return max(LINE_MM, _note_height(note or "")) + POINTS_LINE_MM + CELL_HEIGHT_PADDING_MM
    cells = [
        _lines(item.text, "item") * LINE_MM,
        _lines(item.group.code + item.group.title, "group") * LINE_MM,
        0 if item.method_continued else _lines(item.method, "method") * LINE_MM,
        _result_height(item, result, has_photos, no_photo_reason, note),
    ]
    return max(cells) + CELL_HEIGHT_PADDING_MM


def _note_height(note: str) -> float:
    return sum(_lines(line, "result") for line in note.split("\n")) * LINE_MM


def _result_height(
    item: Item, result: ItemScore | None, has_photos: bool, no_photo_reason: str, note: str | None = None
) -> float:
    height = POINTS_LINE_MM
    if result is not None and (result.needs_note or result.inputs):
        height += _lines(result.outcome.label, "result") * LINE_MM
        # The counts sentence, the 不适用 policy: two lines at most in the result column.
        height += 2 * LINE_MM if (result.inputs or result.outcome.key == NOT_APPLICABLE) else 0
        height += _note_height(result.note if note is None else note)
    if no_photo_reason:
        # In the small type, after its label (counted in English, the wider of the UI's languages).
        height += _lines("No photo: " + no_photo_reason, "result", SMALL_TEXT_MM) * 1.4 * SMALL_TEXT_MM
    if has_photos:
        height += 2 * 1.4 * SMALL_TEXT_MM
    return height


def _lines(text: str, column: str, text_mm: float = TEXT_MM) -> int:
    """How many lines text takes in a column when it may wrap anywhere: a line holds whole
    characters, so a full-width one that does not fit starts the next line."""
    width_mm = TABLE_WIDTH_MM * COLUMN_WIDTHS[column] / 100 - CELL_PADDING_MM
    per_line = math.floor(width_mm / text_mm)
    return max(1, math.ceil(sum(_width_em(char) for char in text) / per_line))


def _width_em(char: str) -> float:
    """Chinese and full-width characters take a full em; Latin letters, digits and ASCII less."""
    return 1.0 if unicodedata.east_asian_width(char) in ("W", "F") else 0.62
