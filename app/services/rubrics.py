"""Which forms the app knows, and which one new assessments use."""

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from rubric import NA_FULL_POINTS, NA_NOT_ALLOWED, NA_SCALE_CATEGORY, Item, Rubric, RubricRegistry

NOT_APPLICABLE_POLICIES = {
    NA_FULL_POINTS: _l("Not applicable gives full points."),
    NA_SCALE_CATEGORY: _l("Not applicable leaves the item out; its category is scaled to its points."),
    NA_NOT_ALLOWED: _l("This item always applies."),
}


def register(app: Flask) -> None:
    """Load every form at start-up: a broken form file stops the app with the loader's message."""
    registry = RubricRegistry.from_directory(app.config["RUBRIC_DIR"])
    registry.latest(app.config["ACTIVE_RUBRIC_ID"])
    app.extensions["rubrics"] = registry


def registry() -> RubricRegistry:
    return current_app.extensions["rubrics"]


def active_rubric() -> Rubric:
    return registry().latest(current_app.config["ACTIVE_RUBRIC_ID"])


def rubric_of(assessment) -> Rubric:
    """The form version an assessment was started with, so old assessments keep their scores."""
    return registry().get(assessment.rubric_id, assessment.rubric_version)


def not_applicable_policy(item: Item) -> str:
    """What 不适用 does on this item, in the user's words."""
    if item.not_applicable == NA_FULL_POINTS and item.not_applicable_points < item.points:
        return str(
            _l("Not applicable gives %(n)s of %(max)s points.", n=item.not_applicable_points, max=item.points)
        )
    return str(NOT_APPLICABLE_POLICIES[item.not_applicable])


def choosable_versions() -> list[Rubric]:
    """The form versions a plan (or another new piece of work) may name, as (id, version) pairs."""
    return list(registry().all())


def choosable(rubric_id: str, version: str) -> Rubric | None:
    return next((r for r in choosable_versions() if (r.id, r.version) == (rubric_id, version)), None)
