"""Add up an assessment: from findings to item scores, category subtotals and deductions."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from .errors import ScoringError
from .model import NOT_APPLICABLE, ZERO, Category, Item, Outcome, Rubric


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
    left_out: bool = False
    """不适用 under the scale-category policy: the item counts neither for nor against."""
    inputs: Mapping | None = None
    """The counted inputs the outcome was derived from, if any."""
    zero_because_of: str | None = None
    """The item scores 0 by the form's dependency rule: the id of the item whose outcome causes it."""

    @property
    def kind(self) -> str:
        return ZERO if self.zero_because_of else self.item.kind_of(self.outcome)

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
    scaled: bool = False
    """Some item was left out as 不适用, so score and deduction are scaled to the category's maximum."""


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

    @property
    def deduction_total(self) -> int:
        """Points lost so far: the sum of the categories' deductions, scored items only."""
        return sum(category.deduction for category in self.categories)


def score(rubric: Rubric, findings: Iterable[Result]) -> Scorecard:
    by_item = _findings_by_item(rubric, findings)
    item_scores = {
        item.id: _score_item(item, by_item[item.id]) for item in rubric.items if item.id in by_item
    }
    item_scores = _apply_dependencies(item_scores)
    scored_in_order = list(item_scores.values())
    categories = tuple(_score_category(category, item_scores) for category in rubric.categories)
    return Scorecard(
        items=item_scores,
        categories=categories,
        total=sum(category_score.score for category_score in categories),
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
    if outcome.key == NOT_APPLICABLE and item.not_applicable_scales_category:
        return ItemScore(item, outcome, 0, 0, note, left_out=True)
    deduction = item.points - outcome.points
    return ItemScore(item, outcome, outcome.points, deduction, note, inputs=finding.inputs or None)


def _apply_dependencies(item_scores: dict[str, ItemScore]) -> dict[str, ItemScore]:
    """An item the form makes depend on another scores 0 while that item has one of the named outcomes.

    The assessor's outcome stays recorded; the score says why it is 0. An item left out
    as 不适用 stays left out. Dependencies never form a circle (the loader checks), and
    a rule looks at the other item's recorded outcome, so the order does not matter.
    """
    applied = dict(item_scores)
    for item_id, item_score in item_scores.items():
        rule = item_score.item.depends_on
        if rule is None or item_score.left_out:
            continue
        other = item_scores.get(rule.item_id)
        if other is not None and other.outcome.key in rule.outcomes:
            applied[item_id] = replace(
                item_score,
                score=0,
                deduction=item_score.item.points,
                zero_because_of=rule.item_id,
            )
    return applied


def _score_category(category: Category, item_scores: dict[str, ItemScore]) -> CategoryScore:
    scores = [item_scores[item.id] for item in category.items if item.id in item_scores]
    given = sum(s.score for s in scores)
    lost = sum(s.deduction for s in scores)
    left_out = sum(s.item.points for s in scores if s.left_out)
    if left_out:
        given, lost = _scaled(given, lost, category.points, category.points - left_out)
    return CategoryScore(
        category=category,
        score=given,
        max_points=category.points,
        scored=len(scores),
        total_items=len(category.items),
        deduction=lost,
        scaled=bool(left_out),
    )


def _scaled(given: int, lost: int, max_points: int, applicable: int) -> tuple[int, int]:
    """Scale the points given and lost on the applicable items up to the category's maximum.

    Each is rounded half up to a whole point, and points lost is what the scaled points
    given leave of the scaled points assessed, so the two always add up. A category whose
    every item is left out loses nothing.
    """
    if applicable == 0:
        return max_points, 0
    scaled_given = _round_half_up(given * max_points, applicable)
    return scaled_given, _round_half_up((given + lost) * max_points, applicable) - scaled_given


def _round_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)
