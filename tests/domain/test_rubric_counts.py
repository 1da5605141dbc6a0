"""A count is ASCII digits and nothing else, up to MAX_COUNT: the form, the API and the script share it."""

import pytest

from rubric import MAX_COUNT, parse_count

pytestmark = pytest.mark.no_database


@pytest.mark.parametrize(("typed", "count"), [("0", 0), ("5", 5), ("007", 7), (str(MAX_COUNT), MAX_COUNT)])
def test_plain_digits_are_a_count(typed, count):
    assert parse_count(typed) == count


@pytest.mark.parametrize(
    "typed", ["", "-5", "--5", "+5", " 5 ", "5\n", "²", "٣", "５", "1e3", "5.0", "0x5", "1000000000"]
)
def test_anything_else_is_no_count(typed):
    assert parse_count(typed) is None
