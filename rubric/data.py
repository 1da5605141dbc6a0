"""A rubric as plain data: the TOML file's shape, JSON-serialisable, for storing a form version.

`load_rubric_data(rubric_data(rubric)) == rubric` for every rubric the loader accepts.
"""

from .model import NA_FULL_POINTS, NOT_APPLICABLE, Derivation, Item, Rubric


def rubric_data(rubric: Rubric) -> dict:
    return {
        "id": rubric.id,
        "version": rubric.version,
        "title": rubric.title,
        "max_points": rubric.max_points,
        "categories": [
            {
                "code": category.code,
                "title": category.title,
                "points": category.points,
                "groups": [
                    {
                        "code": group.code,
                        "title": group.title,
                        "table": group.table,
                        "items": [item_data(item) for item in category.items if item.group is group],
                    }
                    for group in category.groups
                ],
            }
            for category in rubric.categories
        ],
    }


def item_data(item: Item) -> dict:
    """One item as the form file writes it: the loader's own 不适用 outcome left out, defaults left out."""
    data = {
        "id": item.id,
        "code": item.code,
        "text": item.text,
        "points": item.points,
        "method": item.method,
        "outcomes": [
            {"key": outcome.key, "label": outcome.label, "points": outcome.points}
            for outcome in item.outcomes
            if outcome.key != NOT_APPLICABLE
        ],
        "not_applicable": item.not_applicable,
    }
    if item.method_continued:
        data["method_continued"] = True
    if item.derive is not None:
        data["derive"] = derivation_data(item.derive)
    if item.not_applicable == NA_FULL_POINTS and item.not_applicable_points != item.points:
        data["not_applicable_points"] = item.not_applicable_points
    if not item.not_applicable_reason_required:
        data["not_applicable_reason_required"] = False
    if item.depends_on is not None:
        data["depends_on"] = {"item": item.depends_on.item_id, "outcomes": list(item.depends_on.outcomes)}
    if item.earlier_ids:
        data["earlier_ids"] = list(item.earlier_ids)
    if item.why:
        data["why"] = item.why
    return data


def derivation_data(derive: Derivation) -> dict:
    data: dict = {"kind": derive.kind}
    if derive.bands:
        data["bands"] = [{"max": band.max, "outcome": band.outcome} for band in derive.bands]
    for key in ("threshold_percent", "below", "serious_outcome"):
        value = getattr(derive, key)
        if value is not None:
            data[key] = value
    data["otherwise"] = derive.otherwise
    if derive.max_count is not None:
        data["max_count"] = derive.max_count
    if derive.limits:
        data["limits"] = dict(derive.limits)
    return data
