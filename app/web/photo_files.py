"""Sending a stored photo file, for the photo pages and shared reports alike."""

from flask import abort, current_app, send_file

from app.models import Photo
from app.services import evidence

ONE_YEAR = 365 * 24 * 3600


def send_photo_file(photo: Photo, sha256: str):
    path = evidence.path_for(current_app.config["UPLOAD_DIR"], sha256)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=photo.content_type, etag=sha256, conditional=True, max_age=ONE_YEAR)
    response.headers["Cache-Control"] = f"private, max-age={ONE_YEAR}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = f'inline; filename="photo-{photo.id}.jpg"'
    return response
