"""Which forms the app knows, and which one new assessments use."""

from flask import Flask, current_app

from rubric import Rubric, RubricRegistry


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
