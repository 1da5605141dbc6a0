"""Demo data for the station, report, sign-off and rectification tests, and small helpers."""

import base64
import contextlib
import io
import re
import zlib
from types import SimpleNamespace

import pytest
from PIL import Image, ImageDraw

from app.extensions import db
from app.models import FINALIZED, IN_PROGRESS, Assessment, Station, User
from app.services import assessments
from app.services.photos import demo_photo
from app.services.rubrics import rubric_of

DEMO_PASSWORD = "demo2026"


@pytest.fixture(name="demo")
def demo_data(app, runner):
    """`flask demo`: BJ001 has a finalized assessment (deductions 4.1.1, 5.3.1, 6.5.1, signatures,
    an answered rectification of 5.3.1); SH002 has one in progress."""
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        finalized = db.session.scalar(db.select(Assessment).filter_by(status=FINALIZED))
        in_progress = db.session.scalar(db.select(Assessment).filter_by(status=IN_PROGRESS))
        photo = finalized.finding_for("4.1.1").photos[0]
        return SimpleNamespace(
            finalized=finalized.id,
            in_progress=in_progress.id,
            photo=photo.id,
            bj001=finalized.station_id,
            sh002=in_progress.station_id,
        )


def log_in(auth, username):
    auth.client.post("/logout", data={"csrf_token": auth.token or ""})
    response = auth.login(username, DEMO_PASSWORD)
    assert response.status_code == 302, username
    auth.fetch_token()
    return auth


def complete_assessment(app, station_code="CD004", username="assessor1", zero_item="5.3.1"):
    """An in-progress assessment with every item scored and one explained deduction with a photo."""
    from app.services.photos import attach_photo

    with app.app_context():
        station = db.session.scalar(db.select(Station).filter_by(code=station_code))
        user = db.session.scalar(db.select(User).filter_by(username=username))
        assessment = assessments.start_assessment(station, user)
        for item in rubric_of(assessment).items:
            zero = item.id == zero_item
            assessments.record_finding(
                assessment,
                item.id,
                outcome="zero" if zero else "full",
                inputs=None,
                note="标识缺失。" if zero else "",
                user=user,
            )
        attach_photo(assessment, zero_item, demo_photo(zero_item, (800, 600)), user=user)
        db.session.commit()
        return assessment.id


def deduction_without_photo(app, station_code="CD004", item_id="5.3.1"):
    """Every item scored and explained, one deduction with neither photo nor reason."""
    with app.app_context():
        station = db.session.scalar(db.select(Station).filter_by(code=station_code))
        user = db.session.scalar(db.select(User).filter_by(username="assessor1"))
        assessment = assessments.start_assessment(station, user)
        for item in rubric_of(assessment).items:
            lost = item.id == item_id
            assessments.record_finding(
                assessment,
                item.id,
                outcome="zero" if lost else "full",
                inputs=None,
                note="标识缺失。" if lost else "",
                user=user,
            )
        db.session.commit()
        return assessment.id


def png_data_url(size=(600, 200), draw=True, fmt="PNG") -> str:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if draw:
        ImageDraw.Draw(image).line([(10, 10), (size[0] - 10, size[1] - 10)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.convert("RGB").save(out, format=fmt) if fmt == "JPEG" else image.save(out, format=fmt)
    mime = "jpeg" if fmt == "JPEG" else "png"
    return f"data:image/{mime};base64," + base64.b64encode(out.getvalue()).decode()


def pdf_text(data: bytes) -> bytes:
    """The PDF's bytes with every Flate stream inflated, to look for pages and font names."""
    parts = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompress(match.group(1)))
    return b"\n".join(parts)


def pdf_page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf_text(data)))
