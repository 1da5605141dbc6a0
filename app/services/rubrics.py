"""Which forms the app knows, and which one new assessments use: the form versions in the database.

Each process keeps the forms it read, with the stamp the forms carried then (`FormSetting.stamp`,
renewed by every upload, publish, choice and discard). A request reads the stamp once (one small
query) and reads the forms again only when it changed, so every gunicorn worker sees a publish
from the next request on. The forms shipped in RUBRIC_DIR are read at start-up (a broken file stops
the app with the loader's message) and go into the database on first need: the migration does it
for a database with data, the first use for an empty one (a restore needs every table empty).
"""

import secrets
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import PUBLISHED, FormSetting, FormVersion, utcnow
from app.services.forms_files import TOML, data_of, rubric_from_data
from rubric import NA_FULL_POINTS, NA_NOT_ALLOWED, NA_SCALE_CATEGORY, Item, Rubric, RubricRegistry
from rubric.loader import load_rubric
from rubric.registry import version_key

NOT_APPLICABLE_POLICIES = {
    NA_FULL_POINTS: _l("Not applicable gives full points."),
    NA_SCALE_CATEGORY: _l("Not applicable leaves the item out; its category is scaled to its points."),
    NA_NOT_ALLOWED: _l("This item always applies."),
}
SETTING_ID = 1
IN_REQUEST = "in a request, stamp not read yet"
# Outside a request None (read the stamp at every use); in one, IN_REQUEST until the stamp was read,
# then the cache read under it.
_checked: ContextVar = ContextVar("rubrics_checked", default=None)


@dataclass(frozen=True)
class ShippedForm:
    rubric: Rubric
    path: Path


@dataclass
class FormCache:
    """The forms one process read from the database, and the stamp they were read under."""

    shipped: tuple[ShippedForm, ...]
    stamp: str | None = None
    registry: RubricRegistry | None = None
    in_use: tuple[str, str] | None = None
    published: frozenset = frozenset()
    """(id, version) of the published versions read: they never change, so need no stamp check."""
    tables_exist: bool = False
    stored: bool = False


def register(app: Flask) -> None:
    """Read the shipped forms at start-up: a broken form file stops the app with the loader's message."""
    files = sorted(Path(app.config["RUBRIC_DIR"]).rglob("*.toml"))
    shipped = tuple(ShippedForm(load_rubric(path), path) for path in files)
    RubricRegistry([form.rubric for form in shipped]).latest(app.config["ACTIVE_RUBRIC_ID"])
    app.extensions["rubrics"] = FormCache(shipped)
    app.before_request(store_shipped_forms)
    app.before_request(_enter_request)
    app.teardown_request(_leave_request)


def _enter_request() -> None:
    _checked.set(IN_REQUEST)


def _leave_request(_error=None) -> None:
    _checked.set(None)


def store_shipped_forms() -> None:
    """At a process's first request: shipped forms the database lacks go into it, in a transaction
    of their own, so a request that then rolls back keeps them."""
    cache = _cache()
    if cache.stored:
        return
    try:
        if _tables_exist(cache):
            ensure_forms(db.session.connection())
            db.session.commit()
        cache.stored = _tables_exist(cache)
    except SQLAlchemyError:
        db.session.rollback()


def _cache() -> FormCache:
    return current_app.extensions["rubrics"]


def registry() -> RubricRegistry:
    """Every form version in the database, drafts too (a test walk scores with its draft)."""
    return _current().registry


def active_rubric() -> Rubric:
    """The published version new assessments use."""
    cache = _current()
    return cache.registry.get(*cache.in_use)


def rubric_of(assessment) -> Rubric:
    """The form version an assessment was started with, so old assessments keep their scores.
    A published version read once is used as read (it never changes): scoring reads no stamp."""
    key = (assessment.rubric_id, assessment.rubric_version)
    cache = _cache()
    if key in cache.published:
        return cache.registry.get(*key)
    return registry().get(*key)


@event.listens_for(Session, "after_rollback")
def forget(_session=None) -> None:
    """After a change to the forms in this request, or a rollback, read the stamp again at the next use."""
    if _checked.get() is not None:
        _checked.set(IN_REQUEST)


def _current() -> FormCache:
    """The cache, read again if the stamp moved; once per request, at every use outside one."""
    cache = _cache()
    if _checked.get() is cache:
        return cache
    if not _tables_exist(cache):
        return _shipped_only(cache)
    row = db.session.execute(_setting_query()).one_or_none()
    if row is None:
        ensure_forms(db.session.connection())
        row = db.session.execute(_setting_query()).one()
    stamp, rubric_id, version = row
    if stamp != cache.stamp:
        rows = db.session.execute(db.select(FormVersion.data, FormVersion.status)).all()
        cache.registry = RubricRegistry([rubric_from_data(data) for data, _status in rows])
        cache.published = frozenset(
            (data["id"], data["version"]) for data, status in rows if status == PUBLISHED
        )
        cache.stamp, cache.in_use = stamp, (rubric_id, version)
    if _checked.get() is not None:
        _checked.set(cache)
    return cache


def _setting_query():
    return (
        db.select(FormSetting.stamp, FormVersion.rubric_id, FormVersion.version)
        .outerjoin(FormVersion, FormVersion.id == FormSetting.in_use_id)
        .where(FormSetting.id == SETTING_ID)
    )


def _tables_exist(cache: FormCache) -> bool:
    """False only while `flask db upgrade` runs the migrations before the forms had a table."""
    if not cache.tables_exist:
        cache.tables_exist = inspect(db.session.connection()).has_table(FormSetting.__tablename__)
    return cache.tables_exist


def _shipped_only(cache: FormCache) -> FormCache:
    shipped = RubricRegistry([form.rubric for form in cache.shipped])
    latest = shipped.latest(current_app.config["ACTIVE_RUBRIC_ID"])
    everything = frozenset((rubric.id, rubric.version) for rubric in shipped.all())
    return FormCache(
        cache.shipped, registry=shipped, in_use=(latest.id, latest.version), published=everything
    )


def ensure_forms(connection) -> None:
    """Put the shipped forms missing from the database there as published versions. The newest
    version of ACTIVE_RUBRIC_ID goes in use when none is, or when it has just arrived (a release
    that ships a version ships it for new assessments); administrators may choose another after.
    Safe to run twice at once: rows already there are left as they are."""
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[connection.dialect.name]
    now = utcnow()
    # RETURNING tells a row added from one already there (rowcount does not on PostgreSQL).
    added = {
        (form.rubric.id, form.rubric.version)
        for form in _cache().shipped
        if connection.execute(
            insert(FormVersion)
            .values(shipped_values(form, now))
            .on_conflict_do_nothing()
            .returning(FormVersion.id)
        ).first()
    }
    connection.execute(insert(FormSetting).values(id=SETTING_ID, stamp=new_stamp()).on_conflict_do_nothing())
    if added:
        connection.execute(
            db.update(FormSetting).where(FormSetting.id == SETTING_ID).values(stamp=new_stamp())
        )
    active = current_app.config["ACTIVE_RUBRIC_ID"]
    candidates = connection.execute(
        db.select(FormVersion.id, FormVersion.version).where(
            FormVersion.rubric_id == active, FormVersion.status == PUBLISHED
        )
    ).all()
    if not candidates:
        return
    newest = max(candidates, key=lambda row: version_key(row.version))
    choose = db.update(FormSetting).where(FormSetting.id == SETTING_ID)
    if (active, newest.version) not in added:
        choose = choose.where(FormSetting.in_use_id.is_(None))
    connection.execute(choose.values(in_use_id=newest.id, stamp=new_stamp()))


def shipped_values(form: ShippedForm, now) -> dict:
    return {
        "rubric_id": form.rubric.id,
        "version": form.rubric.version,
        "title": form.rubric.title,
        "status": PUBLISHED,
        "data": data_of(form.rubric),
        "source": form.path.read_bytes(),
        "source_kind": TOML,
        "source_name": form.path.name,
        "uploaded_at": now,
        "published_at": now,
    }


def new_stamp() -> str:
    return secrets.token_hex(8)


def not_applicable_policy(item: Item) -> str:
    """What 不适用 does on this item, in the user's words."""
    if item.not_applicable == NA_FULL_POINTS and item.not_applicable_points < item.points:
        return str(
            _l("Not applicable gives %(n)s of %(max)s points.", n=item.not_applicable_points, max=item.points)
        )
    return str(NOT_APPLICABLE_POLICIES[item.not_applicable])


def choosable_versions() -> list[Rubric]:
    """The published form versions a plan (or another new piece of work) may name: a draft may
    still change or be discarded, so only its test walk uses it."""
    cache = _current()
    return [rubric for rubric in cache.registry.all() if (rubric.id, rubric.version) in cache.published]


def choosable(rubric_id: str, version: str) -> Rubric | None:
    return next((r for r in choosable_versions() if (r.id, r.version) == (rubric_id, version)), None)
