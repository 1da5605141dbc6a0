"""The JSON shapes of the API, without links: the web layer adds those (app/web/links.py)."""

from app.models import Assessment, Finding, Photo, Rectification, User
from rubric import Item, Rubric, Scorecard


def user_json(user: User) -> dict:
    """Whom a session belongs to: `/api/me`, and each page's `page-user` for its scripts."""
    return {"id": user.id, "username": user.username, "name": user.name}


def rubric_json(rubric: Rubric) -> dict:
    return {
        "id": rubric.id,
        "version": rubric.version,
        "title": rubric.title,
        "max_points": rubric.max_points,
        "categories": [
            {
                "code": category.code,
                "title": category.title,
                "max_points": category.points,
                "items": [item_json(item) for item in category.items],
            }
            for category in rubric.categories
        ],
    }


def item_json(item: Item) -> dict:
    return {
        "id": item.id,
        "code": item.code,
        "group": {"code": item.group.code, "title": item.group.title},
        "text": item.text,
        "max_points": item.points,
        "method": item.method,
        "outcomes": [{"key": o.key, "label": o.label, "points": o.points} for o in item.outcomes],
        "inputs": [
            {"name": i.name, "type": i.type, "minimum": i.minimum, "maximum": i.maximum} for i in item.inputs
        ],
        "not_applicable": item.not_applicable,
    }


def finding_json(finding: Finding, card: Scorecard) -> dict:
    item_score = card.items[finding.item_id]
    return {
        "item_id": finding.item_id,
        "outcome": finding.outcome,
        "score": item_score.score,
        "deduction": item_score.deduction,
        "zero_because_of": item_score.zero_because_of,
        "inputs": finding.inputs,
        "note": finding.note,
        "no_photo_reason": finding.no_photo_reason,
        "photos": [photo_json(photo) for photo in finding.photos],
        "updated_by": finding.updated_by.username,
        "updated_at": finding.updated_at.isoformat() + "Z",
        "revision": finding.revision,
    }


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
    }


def no_photo_reason_json(finding: Finding) -> dict:
    return {"item_id": finding.item_id, "no_photo_reason": finding.no_photo_reason}


def totals_json(card: Scorecard) -> dict:
    return {
        "score": card.total,
        "max_points": card.max_points,
        "categories": [
            {"code": c.category.code, "title": c.category.title, "score": c.score, "max_points": c.max_points}
            for c in card.categories
        ],
        "unscored": list(card.unscored),
    }


def assessment_json(assessment: Assessment, card: Scorecard) -> dict:
    by_item = {f.item_id: f for f in assessment.findings}
    return {
        "id": assessment.id,
        "station_id": assessment.station_id,
        "station": {"code": assessment.station.code, "name": assessment.station.name},
        "rubric": {"id": assessment.rubric_id, "version": assessment.rubric_version},
        "status": assessment.status,
        "started_at": assessment.started_at.isoformat() + "Z",
        "finalized_at": assessment.finalized_at.isoformat() + "Z" if assessment.finalized_at else None,
        "team": [{"username": u.username, "name": u.name} for u in assessment.team],
        **totals_json(card),
        "findings": [finding_json(by_item[item_id], card) for item_id in card.items],
        "deductions": [
            {"item_id": d.item.id, "deduction": d.deduction, "note": d.note} for d in card.deductions
        ],
    }


def signature_kept_json(role: str, signed: bool) -> dict:
    return {"role": role, "signed": signed}


def rectification_json(rectification: Rectification) -> dict:
    return {
        "id": rectification.id,
        "item_id": rectification.item_id,
        "text": rectification.text,
        "status": rectification.review or "answered",
        "answered_by": rectification.answered_by.username,
        "answered_at": rectification.answered_at.isoformat() + "Z",
        "photos": [photo_json(photo) for photo in rectification.photos],
    }
