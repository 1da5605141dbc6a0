"""The form as immutable values: rubric, category, group, item and outcome."""

from dataclasses import dataclass
from functools import cached_property

NOT_APPLICABLE = "not_applicable"
NOT_APPLICABLE_LABEL = "不适用"

# The kind of an outcome, which every page colours by: all the points, some, none, or 不适用.
FULL = "full"
PARTIAL = "partial"
ZERO = "zero"
OUTCOME_KINDS = (FULL, PARTIAL, ZERO, NOT_APPLICABLE)
# What 不适用 does on an item, as its rubric entry says (default: full points).
NA_FULL_POINTS = "full_points"
"""不适用 gives the item's not_applicable_points (its full points unless the rubric says less)."""
NA_SCALE_CATEGORY = "scale_category"
"""不适用 leaves the item out; its category's score is scaled up to the category's points."""
NA_NOT_ALLOWED = "not_allowed"
"""The item always applies: 不适用 cannot be chosen."""
NOT_APPLICABLE_POLICIES = (NA_FULL_POINTS, NA_SCALE_CATEGORY, NA_NOT_ALLOWED)

PROBLEM_COUNT = "problem_count"
ERROR_RATE = "error_rate"
DERIVATION_KINDS = (PROBLEM_COUNT, ERROR_RATE)


@dataclass(frozen=True)
class Outcome:
    key: str
    label: str
    points: int


@dataclass(frozen=True)
class InputSpec:
    """One value an assessor may enter instead of picking an outcome.

    `minimum` is the smallest value accepted (for input widgets); `default` is None
    when the input is required; `maximum` is the largest count the form accepts (its
    derive table's `max_count`), beyond which a count is a typing error, not a finding.
    """

    name: str
    type: str
    minimum: int | None = None
    default: object = None
    maximum: int | None = None

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass(frozen=True)
class Band:
    """Up to `max` problems (inclusive) give `outcome`."""

    max: int
    outcome: str


@dataclass(frozen=True)
class Derivation:
    """How counted inputs map onto an outcome key; which fields matter depends on kind."""

    kind: str
    otherwise: str
    bands: tuple[Band, ...] = ()
    serious_outcome: str | None = None
    threshold_percent: int | None = None
    below: str | None = None
    max_count: int | None = None
    """The largest count an assessor can mean (problems, papers); the form states it."""

    @property
    def inputs(self) -> tuple[InputSpec, ...]:
        if self.kind == PROBLEM_COUNT:
            problems = (InputSpec("problems", "int", 0, maximum=self.max_count),)
            if self.serious_outcome is None:
                return problems
            return problems + (InputSpec("serious", "bool", None, False),)
        if self.kind == ERROR_RATE:
            return (
                InputSpec("papers_checked", "int", 1, maximum=self.max_count),
                InputSpec("papers_with_errors", "int", 0, maximum=self.max_count),
            )
        return ()

    @property
    def outcome_keys(self) -> tuple[str, ...]:
        """Every outcome key this derivation can produce."""
        keys = [band.outcome for band in self.bands]
        keys += [key for key in (self.serious_outcome, self.below) if key is not None]
        return tuple(keys) + (self.otherwise,)


@dataclass(frozen=True)
class Group:
    code: str
    title: str
    table: str
    category_code: str


@dataclass(frozen=True)
class Item:
    id: str
    code: str
    text: str
    points: int
    method: str
    outcomes: tuple[Outcome, ...]
    derive: Derivation | None
    not_applicable_points: int
    category_code: str
    group: Group
    method_continued: bool = False
    """The printed form leaves this method cell empty: the cell above, merged, covers it."""
    not_applicable: str = NA_FULL_POINTS
    """The item's 不适用 policy, one of NOT_APPLICABLE_POLICIES."""

    @property
    def allows_not_applicable(self) -> bool:
        return self.not_applicable != NA_NOT_ALLOWED

    @property
    def not_applicable_scales_category(self) -> bool:
        return self.not_applicable == NA_SCALE_CATEGORY

    @property
    def full_points(self) -> int:
        return self.points

    @property
    def inputs(self) -> tuple[InputSpec, ...]:
        return self.derive.inputs if self.derive else ()

    def outcome(self, key: str) -> Outcome | None:
        return next((outcome for outcome in self.outcomes if outcome.key == key), None)

    def kind_of(self, outcome: Outcome) -> str:
        """Full, partial, zero or not applicable: how the outcome stands against the item's points."""
        if outcome.key == NOT_APPLICABLE:
            return NOT_APPLICABLE
        if outcome.points >= self.points:
            return FULL
        return ZERO if outcome.points == 0 else PARTIAL

    def loses_points(self, outcome: Outcome) -> bool:
        """The outcome gives less than the item's points: a deduction on this item (not applicable
        with fewer points too), as the dashboard counts it."""
        return outcome.points < self.points

    def finds_a_problem(self, outcome: Outcome) -> bool:
        """Points lost for a problem found, not for 不适用: the ones photographed and rectified."""
        return self.kind_of(outcome) in (PARTIAL, ZERO)

    def needs_note(self, outcome: Outcome) -> bool:
        """Every deduction, and every item marked not applicable, should say why."""
        return self.loses_points(outcome) or outcome.key == NOT_APPLICABLE


@dataclass(frozen=True)
class Category:
    code: str
    title: str
    points: int
    groups: tuple[Group, ...]
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Rubric:
    id: str
    version: str
    title: str
    max_points: int
    categories: tuple[Category, ...]

    @cached_property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for category in self.categories for item in category.items)

    @cached_property
    def _items_by_id(self) -> dict[str, Item]:
        return {item.id: item for item in self.items}

    def item(self, item_id: str) -> Item | None:
        return self._items_by_id.get(item_id)

    def category(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)
