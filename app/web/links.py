"""The URLs a JSON answer carries. Services shape records without knowing any route, so the web
layer adds the links on the way out: to a fresh answer and to one replayed from a stored reply alike."""

from flask import jsonify, url_for

from app.models import Assessment
from rubric import Item


def photo_with_links(photo: dict) -> dict:
    """A photo's JSON shape with the addresses of its file, its thumbnail and its page."""
    photo_id = photo["id"]
    return {
        **photo,
        "url": url_for("photos.image", photo_id=photo_id),
        "thumb_url": url_for("photos.thumb", photo_id=photo_id),
        "page_url": url_for("photos.view", photo_id=photo_id),
    }


def with_links(value):
    """`value` with the links of every photo listed under a "photos" key, at any depth."""
    if isinstance(value, list):
        return [with_links(entry) for entry in value]
    if not isinstance(value, dict):
        return value
    linked = {name: with_links(entry) for name, entry in value.items()}
    if isinstance(value.get("photos"), list):
        linked["photos"] = [photo_with_links(photo) for photo in value["photos"]]
    return linked


def json_answer(body, status: int = 200):
    """A JSON answer whose photos carry their links."""
    return jsonify(with_links(body)), status


def offline_urls_json(assessment: Assessment, items: tuple[Item, ...]) -> dict:
    """Every page the walk of an assessment can reach, for the service worker to keep on the phone:
    its items, index and summary, and the pages of the photos they link. The phone counts what it
    holds against this list (n of N), so it is the one list of what "kept" means."""
    urls = [url_for("assess.item", assessment_id=assessment.id, item_id=item.id) for item in items]
    urls += [
        url_for("assess.index", assessment_id=assessment.id),
        url_for("assess.summary", assessment_id=assessment.id),
    ]
    photos = (photo for finding in assessment.findings for photo in finding.photos)
    urls += [url_for("photos.view", photo_id=photo.id) for photo in photos]
    return {"urls": urls}
