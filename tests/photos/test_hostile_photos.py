"""Photos built to hurt the server: refused from their header, or stored in spite of bad metadata."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from app.services import evidence

ORIENTATION = 0x0112
IMAGE_DESCRIPTION = 0x010E
TIFF_SHORT, TIFF_RATIONAL = 3, 5


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header (with a valid checksum) claims width x height grey pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    pixels = zlib.compress(b"\x00" * 4096)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def upload(auth, assessment_id, data, item_id="5.3.1"):
    return auth.client.post(
        f"/api/assessments/{assessment_id}/findings/{item_id}/photos",
        data={"photo": (io.BytesIO(data), "p.png")},
        headers=auth.headers(),
        content_type="multipart/form-data",
    )


@pytest.fixture
def decodes(monkeypatch):
    """Records every time Pillow starts decoding pixels."""
    calls = []
    real_load = ImageFile.ImageFile.load

    def load(image):
        calls.append(image.size)
        return real_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return calls


@pytest.mark.parametrize(
    "width, height", [(1, 60_000_000), (60_000_000, 1), (40_000, 1_000), (200, 8_000), (20_000, 3_000)]
)
def test_a_photo_of_impossible_proportions_is_refused_before_it_is_decoded(
    app, assessor, assessment_id, decodes, width, height
):
    assert width * height <= app.config["PHOTO_MAX_PIXELS"]
    response = upload(assessor, assessment_id, png_claiming(width, height))
    assert response.status_code == 422
    assert response.get_json()["code"] == "odd_shape"
    assert decodes == []
    assert [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()] == []


@pytest.mark.parametrize("width, height", [(4000, 3000), (12_000, 1_000), (1_000, 12_000)])
def test_photos_of_camera_proportions_pass_the_shape_check(width, height):
    evidence.check_shape(width, height, evidence.Limits())


def jpeg_with_exif_block(exif_block: bytes, size=(320, 240)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, format="JPEG", quality=90)
    data = out.getvalue()
    app1 = b"Exif\x00\x00" + exif_block
    return data[:2] + b"\xff\xe1" + (len(app1) + 2).to_bytes(2, "big") + app1 + data[2:]


def damaged_exif(orientation=6) -> bytes:
    """EXIF turned a quarter, whose image description (text) is stored as a fraction instead."""
    entries = struct.pack("<HHII", ORIENTATION, TIFF_SHORT, 1, orientation)
    entries += struct.pack("<HHII", IMAGE_DESCRIPTION, TIFF_RATIONAL, 1, 38)
    return (
        b"II*\x00\x08\x00\x00\x00" + struct.pack("<H", 2) + entries + b"\x00" * 4 + struct.pack("<II", 1, 0)
    )


def test_a_jpeg_with_a_damaged_exif_block_is_stored_upright(app, assessor, assessment_id):
    response = upload(assessor, assessment_id, jpeg_with_exif_block(damaged_exif()))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["width"], body["height"]) == (240, 320)


def test_a_jpeg_whose_orientation_is_not_a_number_is_stored_as_it_is(app, assessor, assessment_id):
    entries = struct.pack("<HHII", ORIENTATION, TIFF_RATIONAL, 1, 26)
    block = (
        b"II*\x00\x08\x00\x00\x00" + struct.pack("<H", 1) + entries + b"\x00" * 4 + struct.pack("<II", 6, 0)
    )
    response = upload(assessor, assessment_id, jpeg_with_exif_block(block))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert (response.get_json()["width"], response.get_json()["height"]) == (320, 240)


@pytest.mark.parametrize("pointer", [0x8769, 0x8825], ids=["exif-ifd", "gps-ifd"])
@pytest.mark.parametrize("signed_type", [6, 8, 9], ids=["sbyte", "sshort", "slong"])
def test_a_jpeg_whose_exif_points_before_its_start_is_stored_without_its_metadata(
    app, assessor, assessment_id, pointer, signed_type
):
    """A sub-IFD pointer of a signed type reads as a negative offset: the metadata is ignored."""
    app.config["KEEP_PHOTO_GPS"] = True
    entries = struct.pack("<HHII", ORIENTATION, TIFF_SHORT, 1, 6)
    entries += struct.pack("<HHII", pointer, signed_type, 1, 0xFFFFFFF0)
    block = (
        b"II*\x00\x08\x00\x00\x00" + struct.pack("<H", 2) + entries + b"\x00" * 4 + b"\x01\x00\x00\x00" * 20
    )
    response = upload(assessor, assessment_id, jpeg_with_exif_block(block))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["taken_at"] is None and (body["width"], body["height"]) == (240, 320)
