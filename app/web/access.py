"""Who may see and change what. Something that exists but is not yours is answered 404."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from app.extensions import db
from app.models import Assessment, Photo, Region, Station, User
from app.services import regions


def viewable_assessment(assessment_id: int, *load_options) -> Assessment:
    """The assessment if the user may see it (app.services.regions says who sees what);
    load_options load what the caller needs in the same query."""
    assessment = db.session.get(Assessment, assessment_id, options=load_options)
    if assessment is None or not regions.can_see_assessment(current_user, assessment):
        abort(404)
    return assessment


def viewable_station(station_id: int | None) -> Station:
    """A station within the user's territory; any other answers 404, as one that does not exist."""
    station = db.session.get(Station, station_id) if station_id else None
    if station is None or not regions.can_see_station(current_user, station):
        abort(404)
    return station


def manageable_user(user_id: int) -> User:
    """An account this administrator manages; anyone else's answers 404."""
    user = db.session.get(User, user_id)
    if user is None or not regions.can_manage_user(current_user, user):
        abort(404)
    return user


def viewable_region(region_id: int) -> Region:
    region = db.session.get(Region, region_id)
    if region is None or not regions.can_see_region(current_user, region):
        abort(404)
    return region


def manageable_region(region_id: int) -> Region:
    """A region strictly below the administrator's own (any for the root administrator)."""
    region = db.session.get(Region, region_id)
    if region is None or not regions.can_manage_region(current_user, region):
        abort(404)
    return region


def assessor_required(view):
    """Only assessors and admins score; others are refused with 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.can_assess:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def staff_required(view):
    """Pages for a station's own staff; others are refused with 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_user.role != "staff":
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def admin_required(view):
    """Administration pages; everyone else is refused with 403."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def viewable_photo(photo_id: int) -> Photo:
    """A photo is seen by whoever may see its assessment; anyone else gets 404."""
    photo = db.session.get(Photo, photo_id)
    if photo is None:
        abort(404)
    viewable_assessment(photo.finding.assessment_id)
    return photo


def assessable(assessment_id: int) -> Assessment:
    """An assessment this user may add evidence to: unseen ones answer 404, staff get 403."""
    assessment = viewable_assessment(assessment_id)
    if not current_user.can_assess:
        abort(403)
    return assessment
