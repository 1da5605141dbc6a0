"""All persistent state: regions, stations, people, assessments, findings, photos and the audit trail."""

from datetime import UTC, date, datetime

from flask_login import UserMixin
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db

ROLES = ("admin", "assessor", "staff")
IN_PROGRESS = "in_progress"
FINALIZED = "finalized"
STATUSES = (IN_PROGRESS, FINALIZED)
EVIDENCE = "evidence"
RECTIFICATION = "rectification"
LEAD_ASSESSOR = "lead_assessor"
STATION_REPRESENTATIVE = "station_representative"
SIGNED, ABSENT, REFUSED = "signed", "absent", "refused"
OPEN, ANSWERED, ACCEPTED, NOT_ACCEPTED = "open", "answered", "accepted", "not_accepted"


# Ids are 32-bit integers in PostgreSQL: a larger number names no row, and must not reach a query.
MAX_ID = 2**31 - 1


def is_row_id(value) -> bool:
    """A number that could be a row's id (bool is no number here)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


ROOT_REGION_CODE = "ROOT"
ROOT_REGION_NAME = "全部区域"


class Region(db.Model):
    """A node of the territory tree (省 -> 市 -> 县/区, any depth); one region has no parent: the root."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(db.String(32), unique=True)
    name: Mapped[str] = mapped_column(db.String(100))
    parent_id: Mapped[int | None] = mapped_column(db.ForeignKey("regions.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped["Region | None"] = relationship(remote_side=[id])

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "parent": self.parent.code if self.parent else None}


class Station(db.Model):
    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(db.String(32), unique=True)
    name: Mapped[str] = mapped_column(db.String(200), index=True)
    address: Mapped[str] = mapped_column(db.String(300), default="")
    contact: Mapped[str] = mapped_column(db.String(200), default="")
    region_id: Mapped[int] = mapped_column(db.ForeignKey("regions.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region: Mapped[Region] = relationship()
    assessments: Mapped[list["Assessment"]] = relationship(back_populates="station")

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "address": self.address,
            "contact": self.contact,
            "region": self.region.code if self.region else None,
            "active": self.active,
        }


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(db.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(db.String(100), default="")
    email: Mapped[str] = mapped_column(db.String(200), default="", server_default="")
    password_hash: Mapped[str] = mapped_column(db.String(256))
    role: Mapped[str] = mapped_column(db.String(16))
    station_id: Mapped[int | None] = mapped_column(db.ForeignKey("stations.id"), index=True)
    # Administrators and assessors belong to a region; station staff belong to their station.
    region_id: Mapped[int | None] = mapped_column(db.ForeignKey("regions.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    station: Mapped[Station | None] = relationship()
    region: Mapped[Region | None] = relationship()

    __table_args__ = (
        db.CheckConstraint("role in ('admin', 'assessor', 'staff')", name="role"),
        db.CheckConstraint("role != 'staff' or station_id is not null", name="staff_station"),
        db.CheckConstraint("role = 'staff' or region_id is not null", name="user_region"),
    )

    password_method = "scrypt"
    # Set when the user is loaded from a session: Flask-Login keeps it in the cookie, not the id.
    session_token = None

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def name(self) -> str:
        return self.display_name or self.username

    def get_id(self) -> str | None:
        return self.session_token

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=self.password_method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_assess(self) -> bool:
        return self.role in ("admin", "assessor")


class StationAssignment(db.Model):
    """An assessor an administrator sent to a station outside the assessor's own subtree."""

    __tablename__ = "station_assignments"

    station_id: Mapped[int] = mapped_column(db.ForeignKey("stations.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("users.id"), primary_key=True, index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    station: Mapped[Station] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])


def root_region(session) -> Region:
    """The region without a parent; made on first need (the migration makes it when data exist)."""
    with session.no_autoflush:
        first_root = db.select(Region).where(Region.parent_id.is_(None)).order_by(Region.id).limit(1)
        root = session.scalar(first_root)
        if root is None:
            root = next((o for o in session.new if isinstance(o, Region) and o.parent is None), None)
    if root is None:
        root = Region(code=ROOT_REGION_CODE, name=ROOT_REGION_NAME)
        session.add(root)
    return root


@event.listens_for(Session, "before_flush")
def _place_in_the_root_region(session, flush_context, instances):
    """A station, administrator or assessor added without a region goes to the root region."""
    waiting = [
        obj
        for obj in session.new
        if obj.__class__ in (Station, User)
        and obj.region_id is None
        and obj.region is None
        and getattr(obj, "role", None) != "staff"
    ]
    if waiting:
        root = root_region(session)
        for obj in waiting:
            obj.region = root


assessment_team = db.Table(
    "assessment_team",
    db.Column("assessment_id", db.ForeignKey("assessments.id"), primary_key=True),
    db.Column("user_id", db.ForeignKey("users.id"), primary_key=True),
)


class Assessment(db.Model):
    """One visit scoring one station; `score` is stored at finalize for lists and dashboards."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(db.ForeignKey("stations.id"), index=True)
    rubric_id: Mapped[str] = mapped_column(db.String(64))
    rubric_version: Mapped[str] = mapped_column(db.String(32))
    status: Mapped[str] = mapped_column(db.String(16), default=IN_PROGRESS, index=True)
    lead_assessor_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finalized_at: Mapped[datetime | None] = mapped_column(index=True)
    score: Mapped[int | None] = mapped_column(index=True)
    # 整改期限: set at finalize for every deduction; a deduction's own date overrides it.
    rectification_due: Mapped[date | None] = mapped_column(index=True)
    # What the finalized record prints of the station, the people and the form, fixed at 定稿
    # (app/services/frozen.py); empty while in progress.
    frozen: Mapped[dict | None] = mapped_column(db.JSON)
    # A walk that tries a draft form (app/services/forms.py): left out of every list and figure,
    # never finalized, and removed when the draft is published or discarded.
    is_test: Mapped[bool] = mapped_column(default=False, server_default=db.false())

    station: Mapped[Station] = relationship(back_populates="assessments")
    lead_assessor: Mapped[User | None] = relationship()
    team: Mapped[list[User]] = relationship(secondary=assessment_team, order_by="User.id")
    findings: Mapped[list["Finding"]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )
    signatures: Mapped[list["Signature"]] = relationship(
        back_populates="assessment", order_by="Signature.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        db.CheckConstraint("status in ('in_progress', 'finalized')", name="status"),
        # A station has one assessment in progress at a time; a second start joins it. Test walks
        # of draft forms share the preview station, so they are left out.
        db.Index(
            "uq_assessments_one_in_progress",
            "station_id",
            unique=True,
            sqlite_where=db.text("status = 'in_progress' AND NOT is_test"),
            postgresql_where=db.text("status = 'in_progress' AND NOT is_test"),
        ),
        # The dashboard finds each station's latest finalized assessment by one index seek per station.
        db.Index("ix_assessments_station_finalized", "station_id", "finalized_at"),
    )

    @property
    def is_finalized(self) -> bool:
        return self.status == FINALIZED

    def finding_for(self, item_id: str) -> "Finding | None":
        return next((f for f in self.findings if f.item_id == item_id), None)

    def join_team(self, user: User) -> None:
        if user.can_assess and user not in self.team:
            self.team.append(user)


class Finding(db.Model):
    """The result an assessor recorded for one item of one assessment.

    The outcome stays empty while only a note or photos were recorded: the item is unscored.
    """

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(db.ForeignKey("assessments.id"))
    item_id: Mapped[str] = mapped_column(db.String(32))
    outcome: Mapped[str | None] = mapped_column(db.String(32))
    inputs: Mapped[dict | None] = mapped_column(db.JSON)
    note: Mapped[str] = mapped_column(db.Text, default="")
    no_photo_reason: Mapped[str] = mapped_column(db.Text, default="", server_default="")
    rectification_due: Mapped[date | None]
    updated_by_id: Mapped[int] = mapped_column(db.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The result's own history, apart from photos and no-photo reasons: +1 per result applied, who
    # applied the current one and when (the server's clock). A phone sends the revision it saw; a
    # result based on an older one does not replace a teammate's newer result.
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    revised_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    revised_at: Mapped[datetime | None]

    assessment: Mapped[Assessment] = relationship(back_populates="findings")
    updated_by: Mapped[User] = relationship(foreign_keys=[updated_by_id])
    revised_by: Mapped[User | None] = relationship(foreign_keys=[revised_by_id])
    # Evidence only: the station's rectification photos hang on their Rectification.
    photos: Mapped[list["Photo"]] = relationship(
        primaryjoin="and_(Finding.id == Photo.finding_id, Photo.purpose == 'evidence')",
        back_populates="finding",
        order_by="Photo.id",
        cascade="all, delete-orphan",
    )
    rectifications: Mapped[list["Rectification"]] = relationship(
        back_populates="finding", order_by="Rectification.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        db.UniqueConstraint("assessment_id", "item_id", name="one_per_item"),
        # The dashboard counts deductions across stations by reading only the findings that lose points.
        db.Index("ix_findings_outcome_assessment", "outcome", "assessment_id", "item_id"),
        # The dashboard finds overdue deductions among the few findings given a deadline of their own.
        db.Index(
            "ix_findings_rectification_due",
            "rectification_due",
            sqlite_where=db.text("rectification_due IS NOT NULL"),
            postgresql_where=db.text("rectification_due IS NOT NULL"),
        ),
    )

    def snapshot(self) -> dict:
        return {
            "outcome": self.outcome,
            "inputs": self.inputs,
            "note": self.note,
            "no_photo_reason": self.no_photo_reason,
        }


class Photo(db.Model):
    """Evidence attached to a finding; files live content-addressed under UPLOAD_DIR.

    `sha256` names the cleaned display copy, `thumb_sha256` its thumbnail. A marked-up copy
    points at the photo it was drawn on, which is kept and shown beside it.
    """

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(db.ForeignKey("findings.id"), index=True)
    sha256: Mapped[str] = mapped_column(db.String(64), index=True)
    thumb_sha256: Mapped[str] = mapped_column(db.String(64), default="", server_default="")
    content_type: Mapped[str] = mapped_column(
        db.String(32), default="image/jpeg", server_default="image/jpeg"
    )
    source_format: Mapped[str] = mapped_column(db.String(8), default="", server_default="")
    size: Mapped[int] = mapped_column(default=0, server_default="0")
    caption: Mapped[str] = mapped_column(db.String(300), default="")
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    taken_at: Mapped[datetime | None]
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    marked_up_from_id: Mapped[int | None] = mapped_column(db.ForeignKey("photos.id"), index=True)
    purpose: Mapped[str] = mapped_column(db.String(16), default=EVIDENCE, server_default=EVIDENCE)
    rectification_id: Mapped[int | None] = mapped_column(db.ForeignKey("rectifications.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(db.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    finding: Mapped[Finding] = relationship(back_populates="photos")
    rectification: Mapped["Rectification | None"] = relationship(back_populates="photos")
    uploaded_by: Mapped[User] = relationship()
    marked_up_from: Mapped["Photo | None"] = relationship(remote_side=[id], back_populates="markups")
    markups: Mapped[list["Photo"]] = relationship(back_populates="marked_up_from", order_by="Photo.id")

    def snapshot(self) -> dict:
        return {
            "item_id": self.finding.item_id,
            "sha256": self.sha256,
            "caption": self.caption,
            "marked_up_from": self.marked_up_from_id,
            "uploaded_by": self.uploaded_by_id,
        }


class Signature(db.Model):
    """Sign-off at finalize: a role's handwritten signature, or why the representative gave none."""

    __tablename__ = "signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(db.ForeignKey("assessments.id"), index=True)
    role: Mapped[str] = mapped_column(db.String(32))
    name: Mapped[str] = mapped_column(db.String(100), default="")
    status: Mapped[str] = mapped_column(db.String(16), default=SIGNED)
    note: Mapped[str] = mapped_column(db.Text, default="")
    image: Mapped[bytes | None] = mapped_column(db.LargeBinary)
    recorded_by_id: Mapped[int] = mapped_column(db.ForeignKey("users.id"))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="signatures")
    recorded_by: Mapped[User] = relationship()

    __table_args__ = (
        db.UniqueConstraint("assessment_id", "role", name="one_per_role"),
        db.CheckConstraint("role in ('lead_assessor', 'station_representative')", name="signature_role"),
        db.CheckConstraint("status in ('signed', 'absent', 'refused')", name="signature_status"),
    )

    def snapshot(self) -> dict:
        return {
            "role": self.role,
            "name": self.name,
            "status": self.status,
            "note": self.note,
            "image_bytes": len(self.image) if self.image else 0,
        }


class Rectification(db.Model):
    """The station's answer to one deduction and its review; a not-accepted one is answered anew."""

    __tablename__ = "rectifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(db.ForeignKey("assessments.id"), index=True)
    finding_id: Mapped[int] = mapped_column(db.ForeignKey("findings.id"), index=True)
    item_id: Mapped[str] = mapped_column(db.String(32))
    text: Mapped[str] = mapped_column(db.Text)
    answered_by_id: Mapped[int] = mapped_column(db.ForeignKey("users.id"))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    review: Mapped[str | None] = mapped_column(db.String(16))
    review_comment: Mapped[str] = mapped_column(db.Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]

    assessment: Mapped[Assessment] = relationship()
    finding: Mapped[Finding] = relationship(back_populates="rectifications")
    answered_by: Mapped[User] = relationship(foreign_keys=[answered_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    photos: Mapped[list[Photo]] = relationship(back_populates="rectification", order_by="Photo.id")

    __table_args__ = (
        db.CheckConstraint("review is null or review in ('accepted', 'not_accepted')", name="review"),
    )

    def snapshot(self) -> dict:
        return {
            "text": self.text,
            "photos": [photo.sha256 for photo in self.photos],
            "review": self.review,
            "review_comment": self.review_comment,
        }


class ShareLink(db.Model):
    """A read-only, expiring, revocable link to one finalized assessment's official report."""

    __tablename__ = "share_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(db.ForeignKey("assessments.id"), index=True)
    # Only the SHA-256 of the token is kept, as for session tokens: the token itself is shown once,
    # to whoever made the link, and a copy of the database opens no report.
    token_sha256: Mapped[str] = mapped_column(db.String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(db.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))

    assessment: Mapped[Assessment] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at and self.assessment.is_finalized

    def snapshot(self) -> dict:
        return {
            "expires_at": self.expires_at.isoformat(timespec="minutes"),
            "revoked": self.revoked_at is not None,
        }


class AuditEvent(db.Model):
    """One change, as it happened. Rows are never updated or deleted."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(db.String(48))
    assessment_id: Mapped[int | None] = mapped_column(db.ForeignKey("assessments.id"), index=True)
    subject: Mapped[str] = mapped_column(db.String(100), default="")
    before: Mapped[dict | None] = mapped_column(db.JSON)
    after: Mapped[dict | None] = mapped_column(db.JSON)
    reason: Mapped[str] = mapped_column(db.Text, default="")
    # The tamper-evident chain (app/services/audit.py): the event's place in it, and a hash over its
    # content and the hash of the event before it, set as the transaction that adds it commits.
    chain_seq: Mapped[int | None] = mapped_column(unique=True)
    chain_hash: Mapped[str | None] = mapped_column(db.String(64))

    user: Mapped[User | None] = relationship()


CHAIN_FIELDS = ("chain_seq", "chain_hash")


class AuditChainHead(db.Model):
    """The last link of the audit trail's chain: one row, locked while a transaction adds links."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(db.String(64))


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
def _refuse_audit_rewrite(mapper, connection, target):
    """An event is never changed; only its place in the chain is written, once, as it commits."""
    state = db.inspect(target)
    changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
    first_link = changed <= set(CHAIN_FIELDS) and all(
        not state.attrs[name].history.deleted or state.attrs[name].history.deleted == [None]
        for name in CHAIN_FIELDS
    )
    if not first_link:
        raise AppendOnlyError("the audit trail is append-only")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_audit_delete(mapper, connection, target):
    raise AppendOnlyError("the audit trail is append-only")


class Mutation(db.Model):
    """A client-generated mutation id with the answer it got, so a retry is applied once."""

    __tablename__ = "mutations"

    id: Mapped[str] = mapped_column(db.String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("users.id"))
    fingerprint: Mapped[str] = mapped_column(db.String(64))
    status_code: Mapped[int]
    response: Mapped[dict] = mapped_column(db.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserSession(db.Model):
    """One login on one device. The cookie carries a random token; only its sha256 is kept here.

    Deleting the row ends the session: logout ends one, a password change, a reset or a
    deactivation ends all of a user's sessions.
    """

    __tablename__ = "user_sessions"

    token_sha256: Mapped[str] = mapped_column(db.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """Login attempts per username or per client within a window, counted before the password is checked."""

    __tablename__ = "login_attempts"

    key: Mapped[str] = mapped_column(db.String(100), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(default=utcnow)


class DailyFinalized(db.Model):
    """How many assessments were finalized on a day (local date); kept at finalize and reopen,
    so the dashboard adds up days instead of counting assessments."""

    __tablename__ = "daily_finalized"

    day: Mapped[date] = mapped_column(primary_key=True)
    assessments: Mapped[int] = mapped_column(default=0)


class DailyDeduction(db.Model):
    """How many of a day's finalized assessments lost points on an item with an outcome."""

    __tablename__ = "daily_deductions"

    day: Mapped[date] = mapped_column(primary_key=True)
    rubric_id: Mapped[str] = mapped_column(db.String(64), primary_key=True)
    rubric_version: Mapped[str] = mapped_column(db.String(32), primary_key=True)
    item_id: Mapped[str] = mapped_column(db.String(32), primary_key=True)
    outcome: Mapped[str] = mapped_column(db.String(32), primary_key=True)
    assessments: Mapped[int] = mapped_column(default=0)

    # The dashboard sums a period per item and outcome: read in that order, from the index alone.
    __table_args__ = (
        db.Index(
            "ix_daily_deductions_item_day",
            "rubric_id",
            "rubric_version",
            "item_id",
            "outcome",
            "day",
            "assessments",
        ),
    )


# --- inspection plans (检查计划): draws (双随机), conflicts (回避), published results (一公开) ------

CONFLICT_KINDS = ("worked", "trained", "relative", "other")


class StationComplaintFlag(db.Model):
    """A station an administrator flagged for complaints, which a plan may take as its scope."""

    __tablename__ = "station_complaint_flags"

    station_id: Mapped[int] = mapped_column(db.ForeignKey("stations.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(db.Text, default="")
    flagged_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    flagged_at: Mapped[datetime] = mapped_column(default=utcnow)

    station: Mapped[Station] = relationship()
    flagged_by: Mapped[User | None] = relationship()


class InspectorConflict(db.Model):
    """A tie an inspector declared with a station (回避): it keeps them from that station's visits
    while it lasts, and for the years a plan sets after it ended."""

    __tablename__ = "inspector_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("users.id"), index=True)
    station_id: Mapped[int] = mapped_column(db.ForeignKey("stations.id"), index=True)
    kind: Mapped[str] = mapped_column(db.String(16))
    ended_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(db.Text, default="")
    declared_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    station: Mapped[Station] = relationship()

    __table_args__ = (
        db.CheckConstraint("kind in ('worked', 'trained', 'relative', 'other')", name="conflict_kind"),
    )


plan_inspectors = db.Table(
    "plan_inspectors",
    db.Column("plan_id", db.ForeignKey("inspection_plans.id"), primary_key=True),
    db.Column("user_id", db.ForeignKey("users.id"), primary_key=True),
)


class InspectionPlan(db.Model):
    """An inspection round of a region: its period, form version, scope, pool and visit window."""

    __tablename__ = "inspection_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(db.ForeignKey("regions.id"), index=True)
    name: Mapped[str] = mapped_column(db.String(200))
    period_start: Mapped[date]
    period_end: Mapped[date]
    rubric_id: Mapped[str] = mapped_column(db.String(64))
    rubric_version: Mapped[str] = mapped_column(db.String(32))
    # The scope: the active stations of the plan's region and those below it, optionally only those
    # not inspected since a day, or only those flagged for complaints.
    last_inspected_before: Mapped[date | None]
    complaints_only: Mapped[bool] = mapped_column(default=False)
    # How many to draw: a number of stations, or else a share of the scope in per cent.
    draw_count: Mapped[int | None]
    draw_percent: Mapped[int | None]
    team_size: Mapped[int] = mapped_column(default=2)
    conflict_years: Mapped[int] = mapped_column(default=3)
    visit_start: Mapped[date]
    visit_end: Mapped[date]
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]

    region: Mapped[Region] = relationship()
    created_by: Mapped[User | None] = relationship()
    inspectors: Mapped[list[User]] = relationship(secondary=plan_inspectors, order_by="User.id")
    draws: Mapped[list["PlanDraw"]] = relationship(back_populates="plan", order_by="PlanDraw.number")

    __table_args__ = (db.CheckConstraint("team_size >= 2", name="plan_team_size"),)

    @property
    def current_draw(self) -> "PlanDraw | None":
        return self.draws[-1] if self.draws else None


class PlanDraw(db.Model):
    """One draw of a plan with everything it was drawn from; a redraw is a new row with its reason."""

    __tablename__ = "plan_draws"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(db.ForeignKey("inspection_plans.id"), index=True)
    number: Mapped[int]
    inputs: Mapped[dict] = mapped_column(db.JSON)
    seed: Mapped[str] = mapped_column(db.String(64))
    result: Mapped[list] = mapped_column(db.JSON)
    reason: Mapped[str] = mapped_column(db.Text, default="")
    drawn_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    drawn_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[InspectionPlan] = relationship(back_populates="draws")
    drawn_by: Mapped[User | None] = relationship()
    visits: Mapped[list["PlanVisit"]] = relationship(back_populates="draw", order_by="PlanVisit.position")

    __table_args__ = (db.UniqueConstraint("plan_id", "number", name="one_number_per_plan"),)


plan_visit_team = db.Table(
    "plan_visit_team",
    db.Column("visit_id", db.ForeignKey("plan_visits.id"), primary_key=True),
    db.Column("user_id", db.ForeignKey("users.id"), primary_key=True, index=True),
)


class PlanVisit(db.Model):
    """A drawn station with its drawn team; starting it makes the assessment."""

    __tablename__ = "plan_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(db.ForeignKey("plan_draws.id"), index=True)
    position: Mapped[int]
    station_id: Mapped[int] = mapped_column(db.ForeignKey("stations.id"), index=True)
    lead_id: Mapped[int] = mapped_column(db.ForeignKey("users.id"))
    assessment_id: Mapped[int | None] = mapped_column(db.ForeignKey("assessments.id"), unique=True)

    draw: Mapped[PlanDraw] = relationship(back_populates="visits")
    station: Mapped[Station] = relationship()
    lead: Mapped[User] = relationship()
    team: Mapped[list[User]] = relationship(secondary=plan_visit_team, order_by="User.id")
    assessment: Mapped[Assessment | None] = relationship()


class VerificationCode(db.Model):
    """The short code printed (with its QR code) on every page of one finalized report's PDF: it
    opens the public 核验 page, which shows `record` as issued and checks a PDF against `pdf_sha256`."""

    __tablename__ = "verification_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(db.String(16), unique=True)
    assessment_id: Mapped[int] = mapped_column(db.ForeignKey("assessments.id"), index=True)
    # The kept PDF the code is printed on (app/services/reports/pdf.py names it), one code each.
    pdf_name: Mapped[str] = mapped_column(db.String(100), unique=True)
    # The 定稿 the PDF belongs to: a later 定稿 of the same assessment supersedes it.
    finalize_event_id: Mapped[int | None] = mapped_column(db.ForeignKey("audit_events.id"))
    # Station, date, form, total and category subtotals as printed; nothing else of the record.
    record: Mapped[dict] = mapped_column(db.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The SHA-256 of the PDF as issued, taken once it is drawn (before its file may be pruned).
    pdf_sha256: Mapped[str | None] = mapped_column(db.String(64))

    assessment: Mapped[Assessment] = relationship()


DRAFT, PUBLISHED = "draft", "published"
FORM_SOURCE_KINDS = ("toml", "xlsx")


class FormVersion(db.Model):
    """One version of a form (评估表版本): a draft being tried, or published and then never changed.

    `data` is the form as `rubric.rubric_data` stores it, what the app scores with; `source` is the
    file as uploaded (the shipped TOML for the forms that came with the app)."""

    __tablename__ = "form_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[str] = mapped_column(db.String(64))
    version: Mapped[str] = mapped_column(db.String(32))
    title: Mapped[str] = mapped_column(db.String(200), default="")
    status: Mapped[str] = mapped_column(db.String(16), default=DRAFT)
    data: Mapped[dict] = mapped_column(db.JSON)
    source: Mapped[bytes] = mapped_column(db.LargeBinary)
    source_kind: Mapped[str] = mapped_column(db.String(8))
    source_name: Mapped[str] = mapped_column(db.String(200), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("users.id"))
    published_at: Mapped[datetime | None]

    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

    __table_args__ = (
        db.UniqueConstraint("rubric_id", "version", name="one_per_version"),
        db.CheckConstraint("status in ('draft', 'published')", name="form_status"),
        db.CheckConstraint("source_kind in ('toml', 'xlsx')", name="form_source_kind"),
        db.CheckConstraint("status = 'draft' or published_at is not null", name="form_published_at"),
    )

    @property
    def is_published(self) -> bool:
        return self.status == PUBLISHED


class FormSetting(db.Model):
    """One row: the published version new assessments use, and a stamp every change to the forms
    renews, so each worker process knows cheaply when the forms it read are stale."""

    __tablename__ = "form_setting"

    id: Mapped[int] = mapped_column(primary_key=True)
    in_use_id: Mapped[int | None] = mapped_column(db.ForeignKey("form_versions.id"))
    stamp: Mapped[str] = mapped_column(db.String(32))

    in_use: Mapped[FormVersion | None] = relationship()


class ImmutableFormError(RuntimeError):
    pass


@event.listens_for(FormVersion, "before_update")
def _refuse_published_form_change(mapper, connection, target):
    """A published version is never changed (the service refuses first; this guards every path)."""
    state = db.inspect(target)
    status = state.attrs.status.history
    was_published = PUBLISHED in (status.deleted or status.unchanged or ())
    if was_published and any(state.attrs[attr.key].history.has_changes() for attr in mapper.column_attrs):
        raise ImmutableFormError("a published form version is never changed")


@event.listens_for(FormVersion, "before_delete")
def _refuse_published_form_delete(mapper, connection, target):
    if target.status == PUBLISHED:
        raise ImmutableFormError("a published form version is never deleted")
