"""Size and time of the PDF report with 90 evidence photos: photos scaled for print against the
stored copies (PHOTO_MAX_EDGE on the long edge) embedded as they are, same run, same report.

    .venv/bin/python -m bench.pdf_size [photos]

The photos are camera-like pictures (bench/_camera.py: ruled ledger lines, text, sensor noise)
shrunk and encoded as the phone sends them (1600 px, JPEG quality 0.6), then put through the
evidence pipeline as an upload is.
"""

import io
import sys
import time
from unittest import mock

from PIL import Image, ImageDraw

from app.extensions import db
from app.models import Assessment, Station, User
from app.services import assessments, evidence
from app.services.photos import attach_photo
from app.services.reports import document, drawing, pdf
from app.services.rubrics import rubric_of
from bench._app import demo_app, logged_in
from bench._camera import phone_photo


def numbered(base: Image.Image, n: int) -> bytes:
    """The same scene with its own number on it, so that every photo is a different file."""
    picture = base.copy()
    ImageDraw.Draw(picture).text((60, 60), f"No. {n + 1}", fill=(200, 20, 20), font_size=120)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=60)
    return out.getvalue()


def assessment_with_photos(app, count: int) -> int:
    """An assessment whose first items each get photos, `count` in all, every one a different picture."""
    with app.app_context():
        user = db.session.scalar(db.select(User).filter_by(username="assessor1"))
        station = db.session.scalar(db.select(Station).filter_by(code="CD004"))
        assessment = assessments.start_assessment(station, user)
        items = rubric_of(assessment).items
        base = phone_photo()
        for n in range(count):
            attach_photo(
                assessment, items[n % len(items)].id, numbered(base, n), user=user, caption=f"照片 {n + 1}"
            )
        db.session.commit()
        return db.session.scalar(db.select(Assessment.id).filter_by(id=assessment.id))


def draw(app, assessment_id: int) -> tuple[int, float, float]:
    """PDF bytes, wall-clock and CPU seconds of WeasyPrint drawing the report in this process (the
    server draws it the same way in a child interpreter)."""
    with app.test_request_context():
        html = pdf.report_html(
            document.build(db.session.get(Assessment, assessment_id)), with_rectification=False
        )
        upload_dir = app.config["UPLOAD_DIR"]
    started, cpu_started = time.perf_counter(), time.process_time()
    size = len(drawing.lay_out(html, upload_dir).write_pdf())
    return size, time.perf_counter() - started, time.process_time() - cpu_started


def main(count: int = 90) -> None:
    app = demo_app()
    assessment_id = assessment_with_photos(app, count)
    with mock.patch.object(evidence, "print_copy", lambda data: data):
        stored_bytes, stored_s, stored_cpu = draw(app, assessment_id)
    print_bytes, print_s, print_cpu = draw(app, assessment_id)
    client = logged_in(app, "admin").client
    downloaded = client.get(f"/reports/assessments/{assessment_id}.pdf")
    assert downloaded.status_code == 200, downloaded.status_code
    print(f"PDF of a report with {count} photos, one drawing each")
    stored = f"stored {app.config['PHOTO_MAX_EDGE']} px copies embedded"
    print(f"  {stored:<32} {stored_bytes / 1e6:7.1f} MB   {stored_s:5.1f} s ({stored_cpu:5.1f} s CPU)")
    scaled = f"scaled for print ({evidence.PRINT_EDGE} px, q{evidence.PRINT_QUALITY})"
    print(f"  {scaled:<32} {print_bytes / 1e6:7.1f} MB   {print_s:5.1f} s ({print_cpu:5.1f} s CPU)")
    print(f"  {stored_bytes / print_bytes:.1f}x smaller")
    print(f"  downloaded from the app (drawn by its child interpreter): {len(downloaded.data) / 1e6:.1f} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 90)
