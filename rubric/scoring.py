"""Add up an assessment: from findings to item scores, category subtotals and deductions."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .errors import ScoringError
from .model import Category, Item, Outcome, Rubric


@dataclass(frozen=True)
class Result:
    """What an assessor records for one item, its outcome already resolved."""

    item_id: str
    outcome: str
    inputs: Mapping | None = None
    note: str = ""


@dataclass(frozen=True)
class ItemScore:
    """One scored item: the points given (`score`) and lost (`deduction`) against `item.points`."""

    item: Item
    outcome: Outcome
    score: int
    deduction: int
    note: str

    @property
    def kind(self) -> str:
        return self.item.kind_of(self.outcome)

    @property
    def problem_found(self) -> bool:
        return self.item.finds_a_problem(self.outcome)

    @property
    def needs_note(self) -> bool:
        return self.item.needs_note(self.outcome)


@dataclass(frozen=True)
class CategoryScore:
    category: Category
    score: int
    max_points: int
    scored: int
    total_items: int
    deduction: int


@dataclass(frozen=True)
class Scorecard:
    items: dict[str, ItemScore]
    categories: tuple[CategoryScore, ...]
    total: int
    max_points: int
    deductions: tuple[ItemScore, ...]
    unscored: tuple[str, ...]
    missing_notes: tuple[str, ...]

    @property
    def is_complete(self) -> bool:
        return not self.unscored


def score(rubric: Rubric, findings: Iterable[Result]) -> Scorecard:
    by_item = _findings_by_item(rubric, findings)
    item_scores = {
        item.id: _score_item(item, by_item[item.id]) for item in rubric.items if item.id in by_item
    }
    scored_in_order = list(item_scores.values())
    return Scorecard(
        items=item_scores,
        categories=tuple(_score_category(category, item_scores) for category in rubric.categories),
        total=sum(item_score.score for item_score in scored_in_order),
        max_points=rubric.max_points,
        deductions=tuple(s for s in scored_in_order if s.deduction),
        unscored=tuple(item.id for item in rubric.items if item.id not in item_scores),
        missing_notes=tuple(s.item.id for s in scored_in_order if s.needs_note and not s.note.strip()),
    )


def _findings_by_item(rubric: Rubric, findings: Iterable[Result]) -> dict[str, Result]:
    by_item: dict[str, Result] = {}
    for finding in findings:
        if rubric.item(finding.item_id) is None:
            raise ScoringError(
                "unknown_item",
                f"Rubric {rubric.id} version {rubric.version} has no item {finding.item_id!r}.",
                item=finding.item_id,
            )
        if finding.item_id in by_item:
            raise ScoringError(
                "duplicate_finding",
                f"Item {finding.item_id} has more than one finding.",
                item=finding.item_id,
            )
        by_item[finding.item_id] = finding
    return by_item


def _score_item(item: Item, finding: Result) -> ItemScore:
    outcome = item.outcome(finding.outcome)
    if outcome is None:
        raise ScoringError(
            "unknown_outcome",
            f"Item {item.id} has no outcome {finding.outcome!r}.",
            item=item.id,
            outcome=finding.outcome,
        )
    note = finding.note or ""
    return ItemScore(item, outcome, outcome.points, item.points - outcome.points, note)


def _score_category(category: Category, item_scores: dict[str, ItemScore]) -> CategoryScore:
    scores = [item_scores[item.id] for item in category.items if item.id in item_scores]
    return CategoryScore(
        category=category,
        score=sum(s.score for s in scores),
        max_points=category.points,
        scored=len(scores),
        total_items=len(category.items),
        deduction=sum(s.deduction for s in scores),
    )
