"""The photo pipeline on its own: no app, no database, files in a temporary folder."""

import io
from datetime import datetime

import pillow_heif
import pytest
from PIL import Image, JpegImagePlugin

from app.services import evidence

pytestmark = pytest.mark.no_database  # runs once: see tests/README.md
EXIF_ORIENTATION = 0x0112
MAKE = 0x010F


def picture(size=(800, 600), format="JPEG", exif=None, mode="RGB", **options) -> bytes:
    """A picture whose left half is red and right half blue, so orientation can be checked."""
    image = Image.new(mode, size, "blue" if mode == "RGB" else (0, 0, 255, 255))
    image.paste("red" if mode == "RGB" else (255, 0, 0, 255), (0, 0, size[0] // 2, size[1]))
    out = io.BytesIO()
    if exif is not None:
        options["exif"] = exif
    image.save(out, format=format, **options)
    return out.getvalue()


def camera_exif(orientation=1, taken="2026:11:20 09:41:05", offset=None, gps=True) -> Image.Exif:
    exif = Image.Exif()
    exif[MAKE] = "TestPhone"
    exif[EXIF_ORIENTATION] = orientation
    exif_ifd = exif.get_ifd(evidence.EXIF_IFD)
    exif_ifd[evidence.DATETIME_ORIGINAL] = taken
    if offset:
        exif_ifd[evidence.OFFSET_TIME_ORIGINAL] = offset
    if gps:
        gps_ifd = exif.get_ifd(evidence.GPS_IFD)
        gps_ifd[1] = "N"
        gps_ifd[2] = (39.0, 54.0, 27.0)
        gps_ifd[3] = "E"
        gps_ifd[4] = (116.0, 23.0, 51.0)
    return exif


def process(data: bytes, tmp_path, **limits) -> evidence.StoredPhoto:
    return evidence.process(io.BytesIO(data), tmp_path, evidence.Limits(**limits))


def stored_files(tmp_path) -> list:
    return sorted(p for p in tmp_path.rglob("*") if p.is_file())


def open_stored(tmp_path, sha256) -> Image.Image:
    return Image.open(evidence.path_for(tmp_path, sha256))


@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_each_accepted_format_is_stored_as_a_clean_jpeg_with_a_thumbnail(tmp_path, format):
    stored = process(picture(format=format), tmp_path)
    assert stored.source_format == format
    assert (stored.width, stored.height, stored.content_type) == (800, 600, "image/jpeg")
    display = open_stored(tmp_path, stored.sha256)
    thumb = open_stored(tmp_path, stored.thumb_sha256)
    assert display.format == thumb.format == "JPEG"
    assert max(thumb.size) == 400
    assert stored.size == evidence.path_for(tmp_path, stored.sha256).stat().st_size


def test_heic_is_really_heic_when_generated_here():
    data = picture(format="HEIF")
    assert data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1")
    assert pillow_heif.is_supported(data)


def test_transparent_png_is_flattened_on_white(tmp_path):
    image = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    stored = process(out.getvalue(), tmp_path)
    assert open_stored(tmp_path, stored.sha256).convert("RGB").getpixel((20, 20)) == (255, 255, 255)


@pytest.mark.parametrize(
    ("format", "size", "stored_size"),
    [
        ("JPEG", (3000, 2250), (1500, 1125)),
        ("PNG", (4000, 3000), (1600, 1200)),
        ("JPEG", (4000, 3000), (1600, 1200)),
        ("JPEG", (8000, 6000), (1600, 1200)),
        ("JPEG", (2048, 1536), (1600, 1200)),
        ("JPEG", (1600, 1200), (1600, 1200)),
    ],
)
def test_large_photo_is_shrunk_to_the_long_edge_limit(tmp_path, format, size, stored_size):
    """A JPEG that libjpeg can decode at 1/2..1/8 scale to within 90% of the limit is kept at that size."""
    stored = process(picture(size=size, format=format), tmp_path)
    assert (stored.width, stored.height) == stored_size


def test_jpeg_is_decoded_at_reduced_size_when_it_is_far_larger_than_needed(tmp_path, monkeypatch):
    decoded_sizes = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        result = original_draft(self, mode, size)
        decoded_sizes.append(self.size)
        return result

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    stored = process(picture(size=(5000, 3000)), tmp_path, max_edge=1000)
    assert decoded_sizes == [(1250, 750)], "decoded at 1/4 scale: still at least 1000 on the long edge"
    assert (stored.width, stored.height) == (1000, 600)


@pytest.mark.parametrize(
    ("orientation", "size", "left_colour"),
    [(1, (800, 600), "red"), (3, (800, 600), "blue"), (6, (600, 800), None), (8, (600, 800), None)],
)
def test_exif_orientation_is_applied(tmp_path, orientation, size, left_colour):
    stored = process(picture(exif=camera_exif(orientation)), tmp_path)
    image = open_stored(tmp_path, stored.sha256).convert("RGB")
    assert image.size == size
    if left_colour == "red":
        assert image.getpixel((10, 300))[0] > 200
    elif left_colour == "blue":
        assert image.getpixel((10, 300))[2] > 200
    else:
        top, bottom = image.getpixel((300, 10)), image.getpixel((300, 790))
        assert {top[0] > 200, bottom[0] > 200} == {True, False}, "one half red, the other blue"


def test_metadata_and_gps_are_stripped_from_stored_files(tmp_path):
    stored = process(picture(exif=camera_exif(), comment=b"secret"), tmp_path)
    for sha in (stored.sha256, stored.thumb_sha256):
        image = open_stored(tmp_path, sha)
        assert len(image.getexif()) == 0
        assert "exif" not in image.info and "comment" not in image.info
        assert b"Exif" not in evidence.path_for(tmp_path, sha).read_bytes()[:4096]
    assert (stored.latitude, stored.longitude) == (None, None)


def test_gps_is_kept_as_fields_only_when_configured(tmp_path):
    stored = process(picture(exif=camera_exif()), tmp_path, keep_gps=True)
    assert stored.latitude == pytest.approx(39.9075, abs=1e-4)
    assert stored.longitude == pytest.approx(116.3975, abs=1e-4)
    assert len(open_stored(tmp_path, stored.sha256).getexif()) == 0


def test_capture_time_is_kept_as_a_field(tmp_path):
    stored = process(picture(exif=camera_exif(taken="2026:11:20 09:41:05")), tmp_path)
    assert stored.taken_at == datetime(2026, 11, 20, 9, 41, 5)


def test_capture_time_with_its_offset_is_aware(tmp_path):
    stored = process(picture(exif=camera_exif(offset="+08:00")), tmp_path)
    assert stored.taken_at.utcoffset().total_seconds() == 8 * 3600


def test_photo_without_exif_has_no_capture_time(tmp_path):
    assert process(picture(), tmp_path).taken_at is None


def test_same_photo_twice_is_stored_once(tmp_path):
    data = picture()
    first = process(data, tmp_path)
    files = stored_files(tmp_path)
    second = process(data, tmp_path)
    assert first == second
    assert stored_files(tmp_path) == files
    assert len(files) == 2, "one display copy and one thumbnail"


def test_files_are_named_by_their_sha256(tmp_path):
    import hashlib

    stored = process(picture(), tmp_path)
    path = evidence.path_for(tmp_path, stored.sha256)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == stored.sha256
    assert not list(tmp_path.rglob("*.tmp")), "no temporary file is left behind"


def test_a_failed_write_leaves_no_file_in_place(tmp_path, monkeypatch):
    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(evidence.os, "replace", crash)
    with pytest.raises(OSError):
        evidence.store_bytes(b"some bytes", tmp_path)
    assert stored_files(tmp_path) == []


def rejected_code(data: bytes, tmp_path, **limits) -> str:
    with pytest.raises(evidence.RejectedPhoto) as error:
        process(data, tmp_path, **limits)
    assert stored_files(tmp_path) == [], "nothing is stored for a rejected upload"
    return error.value.code


def test_truncated_jpeg_is_rejected(tmp_path):
    data = picture(size=(1200, 900))
    assert rejected_code(data[: len(data) // 2], tmp_path) == "damaged"


def test_text_file_named_jpg_is_rejected(tmp_path):
    path = tmp_path / "upload" / "sign.jpg"
    path.parent.mkdir()
    path.write_text("this is not a photo\n" * 50)
    with path.open("rb") as stream, pytest.raises(evidence.RejectedPhoto) as error:
        evidence.process(stream, tmp_path / "store")
    assert error.value.code == "not_an_image"
    assert not (tmp_path / "store").exists()


@pytest.mark.parametrize("format", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_rejected(tmp_path, format):
    assert rejected_code(picture(format=format), tmp_path) == "not_an_image"


def test_decompression_bomb_is_rejected_before_decoding(tmp_path):
    bomb = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(bomb, format="PNG")
    assert len(bomb.getvalue()) < 100_000, "a small file that would decode to 144 megapixels"
    assert rejected_code(bomb.getvalue(), tmp_path) == "too_many_pixels"


def test_configured_pixel_limit_is_enforced(tmp_path):
    assert rejected_code(picture(size=(800, 600)), tmp_path, max_pixels=400_000) == "too_many_pixels"


def test_oversized_file_is_rejected_without_reading_it_all(tmp_path):
    data = picture(size=(1200, 900))

    class Stream(io.BytesIO):
        read_sizes = []

        def read(self, size=-1):
            self.read_sizes.append(size)
            return super().read(size)

    stream = Stream(data)
    with pytest.raises(evidence.RejectedPhoto) as error:
        evidence.process(stream, tmp_path, evidence.Limits(max_bytes=len(data) - 1))
    assert error.value.code == "too_large"
    assert Stream.read_sizes == [len(data)]
    assert stored_files(tmp_path) == []


def test_empty_upload_is_rejected(tmp_path):
    assert rejected_code(b"", tmp_path) == "not_an_image"
