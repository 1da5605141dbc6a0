"""What counts as losing points on an item is the form's rule, asked of the item (no app needed)."""

import pytest

from rubric import default_registry

pytestmark = pytest.mark.no_database  # runs once: see tests/README.md
FORM = default_registry().get("station-quality", "1")


@pytest.mark.parametrize(
    "item_id, outcome, loses",
    [
        ("4.1.1", "full", False),
        ("4.1.1", "minus_1", True),
        ("4.1.1", "zero", True),
        ("4.1.1", "not_applicable", False),
        ("5.1.1", "partial", True),
    ],
)
def test_an_outcome_loses_points_when_it_gives_less_than_the_item(item_id, outcome, loses):
    item = FORM.item(item_id)
    assert item.loses_points(item.outcome(outcome)) is loses


def test_every_outcome_that_loses_points_needs_a_note():
    for item in FORM.items:
        for outcome in item.outcomes:
            if item.loses_points(outcome):
                assert item.needs_note(outcome), (item.id, outcome.key)
