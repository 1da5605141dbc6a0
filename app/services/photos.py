"""Attaching evidence photos to findings and removing them; the caller commits.

Files are written by the pipeline before the row is added, so a committed row never points at
a missing file. Files are never deleted: they are content-addressed and may be shared, and the
audit trail keeps the sha256 of every removed photo.
"""

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_

from app.extensions import db
from app.models import EVIDENCE, Assessment, Photo, User
from app.services import assessments, audit, evidence
from app.services.idempotency import Change, apply_once
from app.services.json_shapes import no_photo_reason_json, photo_json
from app.services.refusals import Refused, checked_text
from app.services.rubrics import rubric_of

CAPTION_MAX_LENGTH = 300


@dataclass(frozen=True)
class Attached:
    photo: Photo
    created: bool


def limits() -> evidence.Limits:
    config = current_app.config
    return evidence.Limits(
        max_bytes=config["MAX_PHOTO_MB"] * 1024 * 1024,
        max_pixels=config["PHOTO_MAX_PIXELS"],
        max_edge=config["PHOTO_MAX_EDGE"],
        keep_gps=config["KEEP_PHOTO_GPS"],
    )


def read_upload(stream) -> bytes:
    try:
        return evidence.read_upload(stream, limits().max_bytes)
    except evidence.RejectedPhoto as rejected:
        raise refusal(rejected) from rejected


def refusal(rejected: evidence.RejectedPhoto) -> Refused:
    if rejected.code == "too_large":
        return Refused(
            413,
            _l("The photo is larger than %(n)d MB.", n=current_app.config["MAX_PHOTO_MB"]),
            code="too_large",
        )
    if rejected.code == "not_an_image":
        return Refused(
            415, _l("This file is not a photo. Send a JPEG, PNG, WebP or HEIC image."), code="not_an_image"
        )
    if rejected.code == "too_many_pixels":
        megapixels = current_app.config["PHOTO_MAX_PIXELS"] // 1_000_000
        return Refused(
            422,
            _l("The photo has too many pixels (at most %(n)d megapixels).", n=megapixels),
            code="too_many_pixels",
        )
    if rejected.code == "odd_shape":
        return Refused(
            422,
            _l(
                "The photo's shape is not one a camera takes: each side at most %(side)d pixels, "
                "the long side at most %(ratio)d times the short one.",
                side=limits().max_side,
                ratio=limits().max_aspect,
            ),
            code="odd_shape",
        )
    return Refused(
        422,
        _l("The photo could not be read: it may be damaged or incomplete. Please take it again."),
        code="damaged",
    )


@dataclass(frozen=True)
class Upload:
    """A photo as the phone sends it, with the fields that come with it."""

    data: bytes
    caption: str = ""
    taken_at: str | None = None
    marked_up_from: int | None = None

    def fingerprint_payload(self) -> dict:
        """What makes two sends of it one change: the fields and the picture's bytes."""
        return {
            "caption": self.caption,
            "taken_at": self.taken_at,
            "marked_up_from": self.marked_up_from,
            "sha256": hashlib.sha256(self.data).hexdigest(),
        }


def upload_once(
    assessment: Assessment, item_id: str, upload: Upload, *, user: User, mutation_id: str | None
) -> tuple[dict, int]:
    """Attach an uploaded photo to an item once per mutation_id, whether the phone sends it or an
    administrator imports it from the phone's file: (the photo, 201), or 200 for the same picture
    again. Refused before anything is written when its fields are wrong, and its files removed
    when it is refused under the lock (finalized meanwhile); the commit is done here."""
    stored = checked_and_stored(assessment, item_id, upload)

    def apply():
        attached = attach_stored(assessment, item_id, stored, upload, user=user)
        return photo_json(attached.photo), 201 if attached.created else 200

    payload = upload.fingerprint_payload()
    change = Change("photo.add", (assessment.id, item_id), payload)
    try:
        return apply_once(mutation_id, user, change, apply, lock=assessment)
    except Refused:
        db.session.rollback()
        discard_unused([stored])
        raise


def attach_photo(assessment: Assessment, item_id: str, data: bytes, *, user: User, **fields) -> Attached:
    """Store one photo for an item; the same picture sent again to the same item is kept once."""
    upload = Upload(data, **fields)
    return attach_stored(
        assessment, item_id, checked_and_stored(assessment, item_id, upload), upload, user=user
    )


def checked_and_stored(assessment: Assessment, item_id: str, upload: Upload) -> evidence.StoredPhoto:
    """The upload's fields checked first, then the picture written: a refused upload writes nothing."""
    assessments.refuse_if_finalized(assessment)
    check_upload(assessment, item_id, upload)
    return store(upload.data)


def check_upload(assessment: Assessment, item_id: str, upload: Upload) -> None:
    """What can be refused without decoding the picture: the item, caption, capture time, original.

    Cheap and without the lock; attach_stored checks again under it.
    """
    check_item(assessment, item_id)
    checked_caption(upload.caption)
    parse_client_time(upload.taken_at)
    original_of(upload.marked_up_from, assessment, item_id)


def check_item(assessment: Assessment, item_id: str) -> None:
    if rubric_of(assessment).item(item_id) is None:
        raise Refused(404, assessments.SCORING_MESSAGES["unknown_item"])


def original_of(photo_id: int | None, assessment: Assessment, item_id: str) -> Photo | None:
    """The photo a marked-up copy is drawn on, which must be of the same item."""
    if photo_id is None:
        return None
    original = db.session.get(Photo, photo_id)
    finding = original.finding if original is not None else None
    if finding is None or finding.assessment_id != assessment.id or finding.item_id != item_id:
        raise Refused(422, _l("marked_up_from must be a photo of the same item."), field="marked_up_from")
    return original


def store(data: bytes) -> evidence.StoredPhoto:
    """The photo through the pipeline into storage; one that cannot be used is refused, saying why.

    The slow part of an upload: callers do it before any lock is taken.
    """
    try:
        return evidence.process(io.BytesIO(data), current_app.config["UPLOAD_DIR"], limits())
    except evidence.RejectedPhoto as rejected:
        raise refusal(rejected) from rejected


def discard_unused(stored_photos: list[evidence.StoredPhoto]) -> None:
    """Remove the files of photos stored for a change that was refused, unless a photo row uses them
    (files are content-addressed: the same picture may be attached elsewhere)."""
    upload_dir = current_app.config["UPLOAD_DIR"]
    with db.session.no_autoflush:
        for stored in stored_photos:
            for sha in (stored.sha256, stored.thumb_sha256):
                used = db.session.scalar(
                    db.select(Photo.id).where(or_(Photo.sha256 == sha, Photo.thumb_sha256 == sha)).limit(1)
                )
                if used is None:
                    evidence.path_for(upload_dir, sha).unlink(missing_ok=True)


def attach_stored(
    assessment: Assessment, item_id: str, stored: evidence.StoredPhoto, upload: Upload, *, user: User
) -> Attached:
    """Attach a stored picture to an item under the assessment's lock; the same picture is kept once."""
    caption = checked_caption(upload.caption)
    client_taken_at = parse_client_time(upload.taken_at)
    finding = assessments.evidence_finding(assessment, item_id, user)
    original = original_of(upload.marked_up_from, assessment, item_id)
    attached = add_stored(
        stored,
        same_as=[p for p in finding.photos if p.marked_up_from_id == upload.marked_up_from],
        finding=finding,
        caption=caption or (original.caption if original is not None else ""),
        taken_at=as_utc(stored.taken_at) or client_taken_at or (original.taken_at if original else None),
        marked_up_from=original,
        uploaded_by=user,
    )
    if attached.created:
        after = attached.photo.snapshot()
        audit.record("photo.add", assessment=assessment, subject=item_id, after=after, user=user)
    return attached


def add_stored(stored: evidence.StoredPhoto, *, same_as: list[Photo], **fields) -> Attached:
    """A Photo row for stored files; the same picture already among `same_as` is kept once."""
    existing = next((p for p in same_as if p.sha256 == stored.sha256), None)
    if existing is not None:
        return Attached(existing, created=False)
    photo = Photo(**stored_fields(stored), **fields)
    db.session.add(photo)
    db.session.flush()
    return Attached(photo, created=True)


def stored_fields(stored: evidence.StoredPhoto) -> dict:
    """The columns of a Photo that describe its stored files."""
    return {
        "sha256": stored.sha256,
        "thumb_sha256": stored.thumb_sha256,
        "content_type": stored.content_type,
        "source_format": stored.source_format,
        "size": stored.size,
        "width": stored.width,
        "height": stored.height,
        "latitude": stored.latitude,
        "longitude": stored.longitude,
    }


def set_caption_once(photo: Photo, caption: str, *, user: User, mutation_id: str | None) -> tuple[dict, int]:
    """Change a photo's caption once per mutation_id, from the phone or its imported file; commits."""

    def apply():
        set_caption(photo, caption, user)
        return photo_json(photo), 200

    change = Change("photo.caption", (photo.id,), {"caption": caption})
    return apply_once(mutation_id, user, change, apply, lock=photo.finding.assessment)


def set_no_photo_reason_once(
    assessment: Assessment, item_id: str, reason: str, *, user: User, mutation_id: str | None
) -> tuple[dict, int]:
    """Record why a deduction has no photo once per mutation_id, from the phone or its file; commits."""
    check_item(assessment, item_id)

    def apply():
        finding = assessments.set_no_photo_reason(assessment, item_id, reason, user)
        return no_photo_reason_json(finding), 200

    payload = {"no_photo_reason": reason}
    change = Change("finding.no_photo_reason", (assessment.id, item_id), payload)
    return apply_once(mutation_id, user, change, apply, lock=assessment)


def set_caption(photo: Photo, caption: str, user: User) -> Photo:
    ensure_evidence(photo)
    assessment = photo.finding.assessment
    assessments.ensure_writable(assessment)
    before = photo.snapshot()
    photo.caption = checked_caption(caption)
    audit.record(
        "photo.caption",
        assessment=assessment,
        subject=photo.finding.item_id,
        before=before,
        after=photo.snapshot(),
        user=user,
    )
    return photo


def delete_photo(photo: Photo, user: User) -> None:
    """Remove a photo, and the marked-up copies drawn on it, while the assessment is in progress."""
    ensure_evidence(photo)
    assessment = photo.finding.assessment
    assessments.ensure_writable(assessment)
    for copy in list(photo.markups):
        delete_photo(copy, user)
    audit.record(
        "photo.delete",
        assessment=assessment,
        subject=photo.finding.item_id,
        before=photo.snapshot(),
        user=user,
    )
    photo.finding.photos.remove(photo)
    db.session.delete(photo)
    db.session.flush()


def ensure_evidence(photo: Photo) -> None:
    """A rectification photo is the station's answer: assessors review it, never change it."""
    if photo.purpose != EVIDENCE:
        raise Refused(
            403, _l("This photo is part of the station's rectification; it cannot be changed here.")
        )


def checked_caption(caption) -> str:
    message = _l("The caption is too long (at most %(n)d characters).", n=CAPTION_MAX_LENGTH)
    return checked_text(caption, CAPTION_MAX_LENGTH, message, "caption")


def parse_client_time(value: str | None) -> datetime | None:
    """The capture time the phone read from the photo's EXIF before shrinking it."""
    if not value:
        return None
    try:
        return as_utc(datetime.fromisoformat(value.strip()))
    except (ValueError, OverflowError):
        raise Refused(422, _l("taken_at must be an ISO 8601 date and time."), field="taken_at") from None


def as_utc(moment: datetime | None) -> datetime | None:
    """Naive UTC like every stored time; a camera time without offset is read in the app's time zone."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    return moment.astimezone(UTC).replace(tzinfo=None)


def demo_photo(label: str, size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A drawn stand-in for a site photo: a faded sign on a wall, for demo data and tests."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", size, (196, 188, 170))
    draw = ImageDraw.Draw(image)
    width, height = size
    for y in range(0, height, 40):
        draw.line([(0, y), (width, y)], fill=(186, 178, 160), width=2)
    board = (width // 6, height // 4, width * 5 // 6, height * 3 // 4)
    draw.rectangle(board, fill=(150, 190, 160), outline=(90, 90, 80), width=12)
    arrow_y = (board[1] + board[3]) // 2
    draw.polygon(
        [
            (board[0] + 80, arrow_y - 40),
            (board[2] - 220, arrow_y - 40),
            (board[2] - 220, arrow_y - 110),
            (board[2] - 80, arrow_y),
            (board[2] - 220, arrow_y + 110),
            (board[2] - 220, arrow_y + 40),
            (board[0] + 80, arrow_y + 40),
        ],
        fill=(215, 230, 215),
    )
    font = ImageFont.load_default(size=max(24, height // 14))
    draw.text((board[0] + 40, board[1] + 30), label, fill=(60, 60, 60), font=font)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88)
    return out.getvalue()
