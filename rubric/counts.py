"""What counts as a count an assessor types: the one rule for the item form, the API and the page's script."""

import re

MAX_COUNT = 999_999_999
# ASCII digits and nothing else: no sign, space, decimal point, exponent or another script's digits.
COUNT_PATTERN = f"[0-9]{{1,{len(str(MAX_COUNT))}}}"


def parse_count(text: str) -> int | None:
    """The count `text` writes, or None when it writes none."""
    return int(text) if re.fullmatch(COUNT_PATTERN, text, flags=re.ASCII) else None
