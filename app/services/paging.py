"""One page of a query's rows, with what the pager needs: a count and a LIMIT/OFFSET read."""

from dataclasses import dataclass

from app.extensions import db

PER_PAGE = 25


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.number * self.per_page, self.total)


def page_number(value) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


def paginate(
    statement, number, per_page: int = PER_PAGE, *, scalars: bool = True, total: int | None = None
) -> Page:
    """Rows of page `number` (clamped to the last page); `scalars=False` keeps every selected column.

    Pass `total` when the caller knows the row count already, to save the counting query.
    """
    if total is None:
        total = db.session.scalar(db.select(db.func.count()).select_from(statement.order_by(None).subquery()))
    page = Page([], page_number(number), per_page, total or 0)
    page.number = min(page.number, page.pages)
    result = db.session.execute(statement.limit(per_page).offset((page.number - 1) * per_page))
    page.items = list(result.scalars() if scalars else result)
    return page
