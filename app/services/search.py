"""Substring search that treats the user's % and _ as themselves, not as LIKE wildcards."""

from app.extensions import db


def contains(text: str, *columns):
    """Rows where any of the columns contains the text, ignoring ASCII case."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return db.or_(*(column.ilike(pattern, escape="\\") for column in columns))
