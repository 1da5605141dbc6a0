"""From what an assessor enters to the outcome the form's standard gives."""

from collections.abc import Mapping
from decimal import Decimal

from .counts import MAX_COUNT
from .errors import ScoringError
from .model import ERROR_RATE, NOT_APPLICABLE, PROBLEM_COUNT, InputSpec, Item


def derive_outcome(item: Item, inputs: Mapping) -> tuple[str, dict]:
    """Return the outcome key the counted inputs give, and a reason the UI can show."""
    if item.derive is None:
        raise ScoringError(
            "inputs_not_accepted",
            f"Item {item.id} takes no counted inputs; choose its outcome directly.",
            item=item.id,
        )
    values = _read_inputs(item, inputs)
    return _DERIVERS[item.derive.kind](item, values)


def resolve_outcome(item: Item, outcome: str | None, inputs: Mapping | None, note: str) -> str:
    """Accept an assessor's result for one item and return its outcome key.

    Counted inputs decide the outcome. An assessor who disagrees with them chooses
    the outcome directly, without inputs, and says why in the note.
    """
    if outcome == NOT_APPLICABLE and not item.allows_not_applicable:
        raise ScoringError(
            "not_applicable_not_allowed",
            f"Item {item.id} always applies; it cannot be marked not applicable.",
            item=item.id,
        )
    if outcome and item.outcome(outcome) is None:
        raise ScoringError(
            "unknown_outcome",
            f"Item {item.id} has no outcome {outcome!r}.",
            item=item.id,
            outcome=outcome,
        )
    if inputs:
        derived, _ = derive_outcome(item, inputs)
        if outcome and outcome != derived:
            raise ScoringError(
                "outcome_mismatch",
                f"The inputs give outcome {derived!r} for item {item.id}, not {outcome!r}; "
                "to record a different outcome, choose it without inputs and write a note.",
                item=item.id,
                outcome=outcome,
                derived=derived,
            )
        outcome = derived
    if not outcome:
        raise ScoringError("outcome_required", f"Choose an outcome for item {item.id}.", item=item.id)
    if outcome == NOT_APPLICABLE and item.not_applicable_reason_required and not (note or "").strip():
        raise ScoringError(
            "reason_required",
            f"Say in the note why item {item.id} does not apply.",
            item=item.id,
        )
    return outcome


def _read_inputs(item: Item, inputs: Mapping) -> dict:
    specs = {spec.name: spec for spec in item.inputs}
    for name in inputs:
        if name not in specs:
            raise ScoringError(
                "unknown_input",
                f"Item {item.id} takes no input {name!r}; it takes {', '.join(specs)}.",
                item=item.id,
                input=name,
                accepted=tuple(specs),
            )
    return {name: _read_input(item, spec, inputs.get(name)) for name, spec in specs.items()}


def _read_input(item: Item, spec: InputSpec, value: object) -> object:
    if value is None:
        if spec.required:
            raise ScoringError(
                "input_required",
                f"Input {spec.name!r} for item {item.id} is required.",
                item=item.id,
                input=spec.name,
            )
        return spec.default
    if spec.type == "bool":
        if not isinstance(value, bool):
            raise _invalid_input(item, spec, value, "must be true or false")
        return value
    if not isinstance(value, int) or isinstance(value, bool):
        raise _invalid_input(item, spec, value, "must be a whole number")
    if value < 0:
        raise _invalid_input(item, spec, value, "must not be negative")
    if spec.maximum is not None and value > spec.maximum:
        raise ScoringError(
            "input_too_large",
            f"Input {spec.name!r} for item {item.id} can be at most {spec.maximum}; got {value}.",
            item=item.id,
            input=spec.name,
            maximum=spec.maximum,
        )
    if value > MAX_COUNT:
        raise _invalid_input(item, spec, value, f"must be at most {MAX_COUNT}")
    return value


def _invalid_input(item: Item, spec: InputSpec, value: object, problem: str) -> ScoringError:
    return ScoringError(
        "invalid_input",
        f"Input {spec.name!r} for item {item.id} {problem}; got {value!r}.",
        item=item.id,
        input=spec.name,
        type=spec.type,
        value=value,
        minimum=spec.minimum,
    )


def _derive_from_problems(item: Item, values: dict) -> tuple[str, dict]:
    derive = item.derive
    problems = values["problems"]
    reason: dict = {"problems": problems}
    if "serious" in values:
        reason["serious"] = values["serious"]
        if values["serious"] and problems == 0:
            raise ScoringError(
                "serious_without_problem",
                f"Item {item.id}: a serious problem is marked, but no problem was found.",
                item=item.id,
            )
        if values["serious"]:
            return derive.serious_outcome, reason
    band = next((band for band in derive.bands if problems <= band.max), None)
    return (band.outcome if band else derive.otherwise), reason


def _derive_from_error_rate(item: Item, values: dict) -> tuple[str, dict]:
    derive = item.derive
    checked = values["papers_checked"]
    with_errors = values["papers_with_errors"]
    if checked == 0:
        raise ScoringError(
            "papers_checked_zero",
            f"Item {item.id} needs at least one paper checked to give an error rate.",
            item=item.id,
        )
    if with_errors > checked:
        raise ScoringError(
            "errors_exceed_checked",
            f"Item {item.id}: {with_errors} papers with errors is more than the {checked} papers checked.",
            item=item.id,
            papers_checked=checked,
            papers_with_errors=with_errors,
        )
    below_threshold = with_errors * 100 < derive.threshold_percent * checked
    reason = {
        "papers_checked": checked,
        "papers_with_errors": with_errors,
        "error_rate_percent": rate_percent_shown(with_errors, checked),
        "threshold_percent": derive.threshold_percent,
    }
    return (derive.below if below_threshold else derive.otherwise), reason


def rate_percent_shown(part: int, whole: int, decimals: int = 2) -> Decimal:
    """part/whole as a percentage, cut (never rounded up) to `decimals` places.

    Rounding could carry a rate across its threshold (29 of 967 is 2.9989%, which rounds to
    3.00% while it is below 3%); cutting keeps the shown rate on the same side of any
    threshold with no more decimals than shown, so it always agrees with the outcome.
    """
    scale = 10**decimals
    return Decimal(part * 100 * scale // whole) / scale


_DERIVERS = {PROBLEM_COUNT: _derive_from_problems, ERROR_RATE: _derive_from_error_rate}
