"""Sign-off at finalize: the lead assessor and the station's representative sign on the phone.

Signatures are checked in full before anything changes, so a bad one refuses the whole
finalize with 422. Signing never blocks finalizing: both signatures are optional, and where
the representative is absent or refuses, the assessor records that instead.
"""

import base64
import binascii
import io
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

from app.extensions import db
from app.models import (
    ABSENT,
    LEAD_ASSESSOR,
    REFUSED,
    SIGNED,
    STATION_REPRESENTATIVE,
    Assessment,
    Signature,
    User,
    utcnow,
)
from app.services import audit, frozen, locks
from app.services.json_shapes import signature_kept_json
from app.services.refusals import Refused, checked_text

DATA_URL_PREFIX = "data:image/png;base64,"
MAX_IMAGE_BYTES = 300 * 1024
MAX_EDGE = 2400
MIN_EDGE = 40
NAME_MAX_LENGTH = 100
NOTE_MAX_LENGTH = 1000
SIGNER_ROLES = (LEAD_ASSESSOR, STATION_REPRESENTATIVE)
SIGNATURE_STATUSES = (SIGNED, ABSENT, REFUSED)


@dataclass(frozen=True)
class SignatureInput:
    role: str
    name: str
    status: str
    note: str = ""
    image: bytes | None = None


def from_json(payload, user: User) -> list[SignatureInput] | None:
    """The API's optional `signatures` object, checked; None leaves the kept sign-off as it is."""
    if payload is None:
        return None
    if not isinstance(payload, dict):
        raise Refused(422, _l("signatures must be an object."), field="signatures")
    unknown = sorted(set(payload) - set(SIGNER_ROLES))
    if unknown:
        raise Refused(
            422, _l("Unknown signature role: %(role)s.", role=unknown[0]), field=f"signatures.{unknown[0]}"
        )
    given = [role for role in SIGNER_ROLES if payload.get(role) is not None]
    checked = [one_from_json(role, payload[role], user) for role in given]
    return [signature for signature in checked if signature is not None]


def one_from_json(role: str, entry, user: User) -> SignatureInput | None:
    """One role's sign-off as JSON (name, image, status, note: texts), checked; None when empty."""
    if role not in SIGNER_ROLES:
        raise Refused(404, _l("Unknown signature role: %(role)s.", role=role))
    if not isinstance(entry, dict) or not all(
        isinstance(entry.get(key, ""), str) for key in ("name", "image", "status", "note")
    ):
        raise Refused(422, _l("Each signature must be an object of texts."), field=f"signatures.{role}")
    return checked_signature(
        role,
        name=entry.get("name", ""),
        image=entry.get("image", ""),
        status=entry.get("status", ""),
        note=entry.get("note", ""),
        user=user,
    )


def from_form(form, user: User) -> list[SignatureInput]:
    """The roles the finalize form fills in; without JavaScript they carry names and a status only.

    A role left empty is not in the list, so `record` keeps what was kept for it: the page may
    have been loaded before a colleague's phone sent that role's signature.
    """
    checked = []
    for role in SIGNER_ROLES:
        signature = checked_signature(
            role,
            name=form.get(f"{role}-name", ""),
            image=form.get(f"{role}-image", ""),
            status=form.get(f"{role}-status", ""),
            note=form.get(f"{role}-note", ""),
            user=user,
        )
        if signature is not None:
            checked.append(signature)
    return checked


def draft_from_form(form) -> dict[str, dict[str, str]]:
    """The sign-off fields exactly as sent, so a page that refuses 定稿 can show them again."""
    fields = ("name", "image", "status", "note")
    return {role: {field: form.get(f"{role}-{field}", "") for field in fields} for role in SIGNER_ROLES}


def shown_image(draft_image: str) -> str:
    """A kept signature's data URL, only when it is the PNG the pad makes."""
    return draft_image if draft_image.startswith(DATA_URL_PREFIX) else ""


def checked_signature(role, *, name, image, status, note, user: User) -> SignatureInput | None:
    """One role's sign-off, or None when nothing was given for it."""
    name, image, status, note = (value.strip() for value in (name, image, status, note))
    field = f"signatures.{role}"
    if status and status not in SIGNATURE_STATUSES:
        raise Refused(422, _l("The status must be signed, absent or refused."), field=f"{field}.status")
    name = checked_text(
        name,
        NAME_MAX_LENGTH,
        _l("The name is too long (at most %(n)d characters).", n=NAME_MAX_LENGTH),
        f"{field}.name",
    )
    note = checked_text(
        note,
        NOTE_MAX_LENGTH,
        _l("The note is too long (at most %(n)d characters).", n=NOTE_MAX_LENGTH),
        f"{field}.note",
    )
    if status in (ABSENT, REFUSED):
        if role != STATION_REPRESENTATIVE:
            raise Refused(
                422,
                _l("Only the station's representative can be absent or refuse to sign."),
                field=f"{field}.status",
            )
        if image:
            raise Refused(
                422, _l("An absent or refusing representative leaves no signature."), field=f"{field}.image"
            )
        return SignatureInput(role, name, status, note)
    if not name and not image:
        return None
    if not name and role == LEAD_ASSESSOR:
        name = user.name
    if not name:
        raise Refused(422, _l("Enter the name of the person who signs."), field=f"{field}.name")
    return SignatureInput(role, name, SIGNED, note, checked_image(image, field) if image else None)


def checked_image(data_url: str, field: str) -> bytes:
    """A PNG data URL from the signature pad, decoded by Pillow and stored again without metadata."""
    if not data_url.startswith(DATA_URL_PREFIX):
        raise Refused(
            422, _l("The signature must be a PNG image (data:image/png;base64,…)."), field=f"{field}.image"
        )
    encoded = data_url[len(DATA_URL_PREFIX) :]
    if len(encoded) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise Refused(
            422,
            _l("The signature image is too large (at most %(n)d KB).", n=MAX_IMAGE_BYTES // 1024),
            field=f"{field}.image",
        )
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise Refused(422, _l("The signature image is not valid base64."), field=f"{field}.image") from None
    try:
        with Image.open(io.BytesIO(raw), formats=["PNG"]) as image:
            if not (MIN_EDGE <= image.width <= MAX_EDGE and MIN_EDGE <= image.height <= MAX_EDGE):
                raise _wrong_size(field)
            image.load()
            drawing = image.convert("RGBA")
    except Image.DecompressionBombError:
        raise _wrong_size(field) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise Refused(
            422, _l("The signature image could not be read as a PNG."), field=f"{field}.image"
        ) from None
    if _is_blank(drawing):
        raise Refused(
            422, _l("The signature is empty: sign on the pad, or clear it."), field=f"{field}.image"
        )
    out = io.BytesIO()
    drawing.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _wrong_size(field: str) -> Refused:
    return Refused(
        422,
        _l(
            "The signature image must be between %(min)d and %(max)d pixels on each side.",
            min=MIN_EDGE,
            max=MAX_EDGE,
        ),
        field=f"{field}.image",
    )


def _is_blank(image: Image.Image) -> bool:
    """Nothing drawn: every pixel transparent, or every pixel the same colour."""
    alpha_low, alpha_high = image.getchannel("A").getextrema()
    if alpha_high == 0:
        return True
    return all(low == high for low, high in image.getextrema())


def record(assessment: Assessment, signatures: list[SignatureInput] | None, user: User) -> None:
    """Store this finalize's sign-off over what the phones kept (`keep`), role by role.

    Only the roles given are replaced; None or an empty list keeps the whole sign-off as it stands.
    A signature by name alone never replaces a drawn one: the finalize form carries a kept drawing
    back, so a form without it was shown before the drawing was kept (the lead's name is filled in
    by the page), and a pad emptied on purpose has already cleared the drawing through `keep`.
    """
    for signature in signatures or ():
        if not _name_only_over_drawing(signature_for(assessment, signature.role), signature):
            _replace(assessment, signature.role, signature, user)
    if assessment.is_finalized:
        db.session.flush()
        frozen.take(assessment)


def _name_only_over_drawing(kept: Signature | None, given: SignatureInput) -> bool:
    drawn = kept is not None and kept.status == SIGNED and kept.image is not None
    return drawn and given.status == SIGNED and given.image is None


def keep(assessment: Assessment, role: str, given: SignatureInput | None, user: User) -> dict:
    """One role's sign-off as it stands on the phone before 定稿 (None: cleared); answers what is
    kept. The phone sends each signature as it is made, so a 定稿 that never arrives loses none."""
    locks.lock(assessment)
    if assessment.is_finalized:
        raise Refused(409, _l("This assessment is finalized and can no longer be changed."))
    _replace(assessment, role, given, user)
    return signature_kept_json(role, signed=given is not None)


def clear_all(assessment: Assessment, user: User) -> None:
    """A reopened assessment is signed again: the old sign-off attested the old total."""
    for role in SIGNER_ROLES:
        _replace(assessment, role, None, user)


def _replace(assessment: Assessment, role: str, given: SignatureInput | None, user: User) -> None:
    old = signature_for(assessment, role)
    if old is not None and given is not None and _same(old, given):
        return
    if old is not None:
        audit.record("signature.clear", assessment=assessment, subject=role, before=old.snapshot(), user=user)
        assessment.signatures.remove(old)
        db.session.delete(old)
        db.session.flush()
    if given is None:
        return
    signature = Signature(
        role=given.role,
        name=given.name,
        status=given.status,
        note=given.note,
        image=given.image,
        recorded_by=user,
        signed_at=utcnow(),
    )
    assessment.signatures.append(signature)
    audit.record(
        f"signature.{given.status if given.status != SIGNED else 'sign'}",
        assessment=assessment,
        subject=given.role,
        after=signature.snapshot(),
        user=user,
    )


def _same(stored: Signature, given: SignatureInput) -> bool:
    return (stored.name, stored.status, stored.note, stored.image) == (
        given.name,
        given.status,
        given.note,
        given.image,
    )


def draft_of(assessment: Assessment) -> dict[str, dict[str, str]] | None:
    """The kept sign-off in the shape of the summary's fields, or None when nothing is kept."""
    if not assessment.signatures:
        return None
    draft = {role: {"name": "", "image": "", "status": "", "note": ""} for role in SIGNER_ROLES}
    for signature in assessment.signatures:
        draft[signature.role] = {
            "name": signature.name,
            "image": data_url(signature) if signature.image else "",
            "status": signature.status,
            "note": signature.note,
        }
    return draft


def signature_for(assessment: Assessment, role: str) -> Signature | None:
    return next((s for s in assessment.signatures if s.role == role), None)


def data_url(signature: Signature) -> str:
    return DATA_URL_PREFIX + base64.b64encode(signature.image).decode("ascii")
