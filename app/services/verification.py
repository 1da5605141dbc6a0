"""核验: a short code and its QR code on every page of a finalized report's PDF open a public page
that tells what was issued (station, date, form version, total, category subtotals), whether the
record still stands, and whether a PDF someone holds is, byte for byte, the one issued.

One code per kept PDF (the kept file's name says which), taken when its drawing is prepared, with
the record it prints; the PDF's SHA-256 is added once the file is drawn (when it is sent, looked
up, or before it is pruned). The page shows nothing else of the record: no notes, no photos, no
names of people; the station's name and code are printed in the report's header.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import segno
from flask import current_app
from flask_babel import to_user_timezone
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Assessment, AuditEvent, VerificationCode
from app.services import frozen, login_throttle
from app.services.assessments import scorecard

# Crockford's base32: no I, L, O or U, so a code read aloud or typed from paper is not misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
LENGTH = 12
# A code as typed may carry dashes and spaces between its groups; anything longer is no code.
TYPED_MAX_LENGTH = 40
"""60 bits from the system's CSPRNG: guessing one of a million issued codes takes ~10^12 tries."""
GROUP = 4
PATH = "/v/"
"""Where the public page lives; the blueprint's route and the printed link both come from here."""
FINALIZED, REOPENED, SUPERSEDED = "finalized", "reopened", "superseded"
FINALIZE = "assessment.finalize"
# A PDF must print a whole address: without PUBLIC_URL, the one `make run` serves on.
UNSET_PUBLIC_URL = "http://localhost:5000"
LOOKUPS_PER_CLIENT = 30
LOOKUP_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Printed:
    """What a report's PDF prints to be verified: the code, grouped, and the link its QR code holds."""

    code: str
    link: str

    @property
    def grouped(self) -> str:
        return grouped(self.code)

    @property
    def qr_svg(self) -> str:
        """The link as a QR code, an SVG data URL (no border: the page's margin is the quiet zone)."""
        return segno.make(self.link, error="m").svg_data_uri(border=0, scale=4)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def grouped(code: str) -> str:
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalized(typed: str) -> str:
    """A code as typed or read off paper: any case, with spaces or hyphens, I/L for 1, O for 0."""
    return "".join(typed.split()).replace("-", "").upper().translate(READ_AS)


def link(code: str) -> str:
    """The public page's address, as printed and encoded in the QR code."""
    base = (current_app.config["PUBLIC_URL"] or UNSET_PUBLIC_URL).rstrip("/")
    return f"{base}{PATH}{grouped(code)}"


def printed_on(assessment: Assessment, pdf_name: str) -> Printed | None:
    """The code to print on the finalized report's kept PDF `pdf_name`, taken now if it has none;
    None for a draft, which is not issued. Commits the new code so every drawing of that PDF (in any
    worker) prints the same one."""
    if not assessment.is_finalized:
        return None
    kept = db.session.scalar(db.select(VerificationCode).filter_by(pdf_name=pdf_name))
    if kept is None:
        kept = _take(assessment, pdf_name)
    return Printed(code=kept.code, link=link(kept.code))


def _take(assessment: Assessment, pdf_name: str) -> VerificationCode:
    row = VerificationCode(
        code=new_code(),
        assessment_id=assessment.id,
        pdf_name=pdf_name,
        finalize_event_id=_last_finalize(assessment.id),
        record=issued_record(assessment),
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
        db.session.commit()
        return row
    except IntegrityError:
        # Another worker took this PDF's code first (or, once in 10^18, the same code): use theirs.
        db.session.rollback()
        return db.session.scalars(db.select(VerificationCode).filter_by(pdf_name=pdf_name)).one()


def _last_finalize(assessment_id: int) -> int | None:
    finalized = db.select(db.func.max(AuditEvent.id)).filter_by(assessment_id=assessment_id, action=FINALIZE)
    return db.session.scalar(finalized)


def issued_record(assessment: Assessment) -> dict:
    """What the public page shows of the record, as the report prints it at this 定稿."""
    facts = frozen.facts(assessment)
    card = scorecard(assessment)
    return {
        "station_code": facts.station_code,
        "station_name": facts.station_name,
        "date": to_user_timezone(assessment.finalized_at).date().isoformat(),
        "form_title": facts.form_title,
        "form_version": facts.form_version,
        "total": card.total,
        "max_points": card.max_points,
        "categories": [
            {
                "code": category.category.code,
                "title": category.category.title,
                "score": category.score,
                "max_points": category.max_points,
            }
            for category in card.categories
        ],
    }


def find(typed: str) -> VerificationCode | None:
    if len(typed) > TYPED_MAX_LENGTH:
        return None
    code = normalized(typed)
    if len(code) != LENGTH or set(code) - set(ALPHABET):
        return None
    return db.session.scalar(db.select(VerificationCode).filter_by(code=code))


def status(row: VerificationCode) -> str:
    """finalized while its 定稿 stands; superseded once the assessment was finalized again since;
    reopened while it is being changed after a reopen."""
    later = db.session.scalar(
        db.select(AuditEvent.id)
        .filter_by(assessment_id=row.assessment_id, action=FINALIZE)
        .filter(AuditEvent.id > (row.finalize_event_id or 0))
        .limit(1)
    )
    if later is not None:
        return SUPERSEDED
    return FINALIZED if row.assessment.is_finalized else REOPENED


def issued_sha256(row: VerificationCode) -> str | None:
    """The SHA-256 of the PDF as issued; read from its kept file the first time it is asked for."""
    if row.pdf_sha256 is None:
        record_drawn(_reports_folder() / f"{row.pdf_name}.pdf")
    return row.pdf_sha256


def record_drawn(pdf: Path) -> None:
    """Keep the SHA-256 of a drawn PDF that carries a code, if not kept yet (committed at once)."""
    row = db.session.scalar(db.select(VerificationCode).filter_by(pdf_name=pdf.stem, pdf_sha256=None))
    if row is None:
        return
    try:
        row.pdf_sha256 = hashlib.sha256(pdf.read_bytes()).hexdigest()
    except FileNotFoundError:
        return
    db.session.commit()


def is_issued(row: VerificationCode, data: bytes) -> bool:
    sha = issued_sha256(row)
    return sha is not None and secrets.compare_digest(sha, hashlib.sha256(data).hexdigest())


def seconds_to_wait(client: str) -> int:
    """Count one lookup of the public page by this client; 0 if it may go ahead."""
    return login_throttle.take("verify:" + (client or "unknown")[:64], LOOKUPS_PER_CLIENT, LOOKUP_WINDOW)


def _reports_folder() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]).resolve() / "reports"
