"""The official assessment form as data, and the rules that score a station against it.

Pure Python: imports neither flask nor sqlalchemy, so the web app, scripts and tests
can all use it.
"""

from .counts import COUNT_PATTERN, MAX_COUNT, parse_count
from .derive import derive_outcome, rate_percent_shown, resolve_outcome
from .errors import RubricError, ScoringError
from .loader import load_rubric
from .model import (
    FULL,
    NA_FULL_POINTS,
    NA_NOT_ALLOWED,
    NA_SCALE_CATEGORY,
    NOT_APPLICABLE,
    OUTCOME_KINDS,
    PARTIAL,
    ZERO,
    Category,
    Derivation,
    Group,
    InputSpec,
    Item,
    Outcome,
    Rubric,
)
from .registry import RubricRegistry, default_registry
from .scoring import CategoryScore, ItemScore, Result, Scorecard, score

__all__ = [
    "COUNT_PATTERN",
    "MAX_COUNT",
    "FULL",
    "NA_FULL_POINTS",
    "NA_NOT_ALLOWED",
    "NA_SCALE_CATEGORY",
    "NOT_APPLICABLE",
    "OUTCOME_KINDS",
    "PARTIAL",
    "ZERO",
    "Category",
    "CategoryScore",
    "Derivation",
    "Group",
    "InputSpec",
    "Item",
    "ItemScore",
    "Outcome",
    "Result",
    "Rubric",
    "RubricError",
    "RubricRegistry",
    "Scorecard",
    "ScoringError",
    "default_registry",
    "derive_outcome",
    "load_rubric",
    "parse_count",
    "rate_percent_shown",
    "resolve_outcome",
    "score",
]
