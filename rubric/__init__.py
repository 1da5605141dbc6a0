"""The official assessment form as data, and the rules that score a station against it.

Pure Python: imports neither flask nor sqlalchemy, so the web app, scripts and tests
can all use it.
"""

from .compare import Change, RubricComparison, compare_rubrics, lineage
from .counts import COUNT_PATTERN, MAX_COUNT, parse_count
from .data import rubric_data
from .derive import derive_outcome, rate_percent_shown, resolve_outcome
from .errors import RubricError, ScoringError
from .loader import load_rubric, load_rubric_data, load_rubric_toml
from .locations import Location, Problem
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
    Dependency,
    Derivation,
    Group,
    InputSpec,
    Item,
    Outcome,
    Rubric,
)
from .registry import RubricRegistry, default_registry
from .scoring import CategoryScore, ItemScore, Result, Scorecard, score
from .xlsx import read_rubric_xlsx, write_rubric_xlsx

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
    "Change",
    "Dependency",
    "Derivation",
    "Group",
    "InputSpec",
    "Item",
    "ItemScore",
    "Location",
    "Outcome",
    "Problem",
    "Result",
    "Rubric",
    "RubricComparison",
    "RubricError",
    "RubricRegistry",
    "Scorecard",
    "ScoringError",
    "compare_rubrics",
    "default_registry",
    "derive_outcome",
    "lineage",
    "load_rubric",
    "load_rubric_data",
    "load_rubric_toml",
    "parse_count",
    "rate_percent_shown",
    "read_rubric_xlsx",
    "resolve_outcome",
    "rubric_data",
    "score",
    "write_rubric_xlsx",
]
