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

# An item's rules and wording as a form file gives them, in the order a change list shows them;
# beside them a file gives the item's `id`, the ids it had before (`earlier_ids`) and `why`.
ITEM_FIELDS = (
    "code",
    "text",
    "points",
    "method",
    "method_continued",
    "outcomes",
    "derive",
    "not_applicable",
    "not_applicable_points",
    "not_applicable_reason_required",
    "depends_on",
)

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
    limits: tuple[tuple[str, int], ...] = ()
    """Per counted input, the largest count it accepts, where the form sets one apart from max_count."""

    @property
    def inputs(self) -> tuple[InputSpec, ...]:
        if self.kind == PROBLEM_COUNT:
            problems = (InputSpec("problems", "int", 0, maximum=self.maximum_of("problems")),)
            if self.serious_outcome is None:
                return problems
            return problems + (InputSpec("serious", "bool", None, False),)
        if self.kind == ERROR_RATE:
            return (
                InputSpec("papers_checked", "int", 1, maximum=self.maximum_of("papers_checked")),
                InputSpec("papers_with_errors", "int", 0, maximum=self.maximum_of("papers_with_errors")),
            )
        return ()

    def maximum_of(self, input_name: str) -> int | None:
        """The input's own limit, else the derivation's max_count (None: only MAX_COUNT applies)."""
        return dict(self.limits).get(input_name, self.max_count)

    @property
    def outcome_keys(self) -> tuple[str, ...]:
        """Every outcome key this derivation can produce."""
        keys = [band.outcome for band in self.bands]
        keys += [key for key in (self.serious_outcome, self.below) if key is not None]
        return tuple(keys) + (self.otherwise,)


COUNTED_INPUTS = {PROBLEM_COUNT: ("problems",), ERROR_RATE: ("papers_checked", "papers_with_errors")}
"""The counted (whole-number) inputs of each derivation kind: the ones a limit can apply to."""


@dataclass(frozen=True)
class Dependency:
    """The item scores 0 while item `item_id` has one of `outcomes` (e.g. 9.1.2 while 9.1.1 is 0)."""

    item_id: str
    outcomes: tuple[str, ...]


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
    not_applicable_reason_required: bool = True
    """Choosing 不适用 needs a written reason (the default); a form may waive it item by item."""
    depends_on: Dependency | None = None
    """A rule of the form: this item scores 0 while another item has a given outcome."""
    earlier_ids: tuple[str, ...] = ()
    """Ids of an earlier version's items this one continues under another id (split or merged)."""
    why: str = ""
    """Why the item's rules (不适用, dependency) are as they are, in the form author's words."""

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
        """Every deduction, and every 不适用 (unless the form waives its reason), should say why."""
        if outcome.key == NOT_APPLICABLE:
            return self.not_applicable_reason_required
        return self.loses_points(outcome)


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
