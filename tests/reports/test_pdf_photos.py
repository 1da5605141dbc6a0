"""The PDF report embeds evidence photos scaled for print, not the stored 2048 px copies."""

import io
import re

from PIL import Image

from app.extensions import db
from app.models import Assessment, User
from app.services import evidence
from app.services.photos import attach_photo, demo_photo
from tests.report_fixtures import demo_data, log_in  # noqa: F401


def stored(size) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(demo_photo("5.3.1", size))).save(out, format="JPEG", quality=85)
    return out.getvalue()


def test_print_copy_scales_a_stored_photo_to_the_print_edge():
    original = stored((2048, 1536))
    copy = evidence.print_copy(original)
    assert Image.open(io.BytesIO(copy)).size == (evidence.PRINT_EDGE, evidence.PRINT_EDGE * 3 // 4)
    assert len(copy) < len(original) / 2


def test_print_copy_leaves_a_small_photo_as_it_is():
    small = stored((800, 600))
    assert evidence.print_copy(small) is small


def test_pdf_embeds_photos_at_the_print_size(app, client, auth, demo):
    with app.app_context():
        assessment = db.session.get(Assessment, demo.in_progress)
        user = db.session.scalar(db.select(User).filter_by(username="assessor1"))
        attach_photo(assessment, "1.1.1", stored((2048, 1536)), user=user)
        db.session.commit()
    log_in(auth, "admin")
    pdf = client.get(f"/reports/assessments/{demo.in_progress}.pdf").get_data()
    widths = {int(width) for width in re.findall(rb"/Width (\d+)", pdf)}
    assert evidence.PRINT_EDGE in widths
    assert not any(width > evidence.PRINT_EDGE for width in widths)
