"""Finding one's way through the form: neighbours, the next unscored item, where to resume."""

from werkzeug.datastructures import MultiDict

from app.models import Assessment, User
from rubric import FULL, NOT_APPLICABLE, Item, Rubric, Scorecard, parse_count

UNSCORED = "unscored"
DEDUCTED = "deducted"


def neighbours(rubric: Rubric, item: Item) -> tuple[Item | None, Item | None]:
    items = rubric.items
    index = items.index(item)
    previous = items[index - 1] if index > 0 else None
    following = items[index + 1] if index + 1 < len(items) else None
    return previous, following


def next_unscored(rubric: Rubric, card: Scorecard, after: Item | None = None) -> Item | None:
    """The first unscored item after `after`, wrapping round to the start of the form."""
    items = rubric.items
    start = items.index(after) + 1 if after is not None else 0
    for item in items[start:] + items[:start]:
        if item.id not in card.items:
            return item
    return None


def resume_item(rubric: Rubric, assessment: Assessment, card: Scorecard, user: User) -> Item | None:
    """Where this user left off: the item they last touched, or the one after it once it is scored."""
    own = [f for f in assessment.findings if f.updated_by_id == user.id]
    if not own:
        return next_unscored(rubric, card)
    last = rubric.item(max(own, key=lambda f: f.updated_at).item_id)
    if last is None or last.id not in card.items:
        return last or next_unscored(rubric, card)
    return next_unscored(rubric, card, after=last)


def item_state(card: Scorecard, item: Item) -> str:
    scored = card.items.get(item.id)
    if scored is None:
        return UNSCORED
    return scored.kind if scored.kind in (FULL, NOT_APPLICABLE) else DEDUCTED


def parse_item_form(form: MultiDict, item: Item, trigger: str | None) -> tuple[str | None, dict | None, str]:
    """Read one item's result from its form: an outcome, or the counts that decide it, and the note.

    The rule, the same as the page's script (static/js/pages/walk.js) follows: tapping an outcome
    (trigger "outcome") chooses it and drops the counts. Otherwise, once any count is typed the
    counts decide, and then every count must be filled: a partly filled set goes on to the rubric,
    which refuses it naming the missing count, and nothing is stored (the script, instead of
    sending, waits for the last count). With no count typed, the chosen outcome stands.
    """
    note = form.get("note", "")
    inputs = _read_inputs(form, item)
    if trigger == "outcome" or not inputs:
        return form.get("outcome") or None, None, note
    return None, inputs, note


def _read_inputs(form: MultiDict, item: Item) -> dict | None:
    """The typed values; a count that is not one (rubric.parse_count) stays text, which the rubric refuses."""
    values = {}
    for spec in item.inputs:
        raw = form.get(f"input-{spec.name}", "")
        if spec.type == "bool":
            values[spec.name] = raw.strip() in ("1", "on", "true")
        elif raw.strip():
            count = parse_count(raw)
            values[spec.name] = raw if count is None else count
    has_count = any(spec.type == "int" and spec.name in values for spec in item.inputs)
    return values if has_count else None
