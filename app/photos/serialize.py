"""The JSON shape of a photo."""

from flask import url_for

from app.models import Photo


def photo_json(photo: Photo) -> dict:
    return {
        "id": photo.id,
        "item_id": photo.finding.item_id,
        "caption": photo.caption,
        "width": photo.width,
        "height": photo.height,
        "size": photo.size,
        "content_type": photo.content_type,
        "taken_at": photo.taken_at.isoformat() + "Z" if photo.taken_at else None,
        "marked_up_from": photo.marked_up_from_id,
        "uploaded_by": photo.uploaded_by.username,
        "url": url_for("photos.image", photo_id=photo.id),
        "thumb_url": url_for("photos.thumb", photo_id=photo.id),
        "page_url": url_for("photos.view", photo_id=photo.id),
    }
