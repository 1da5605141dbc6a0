"""The photo pipeline: an upload stream in, clean content-addressed JPEG files out.

Knows nothing of requests or the database. A photo is accepted only if Pillow decodes it as one
of the allowed formats; what is stored has its orientation applied and no metadata left in it.
"""

import contextlib
import hashlib
import io
import os
import struct
import tempfile
import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pillow_heif
from PIL import Image, ImageCms, UnidentifiedImageError

pillow_heif.register_heif_opener()

# Phones' JPEGs with a second, preview picture open through the JPEG plugin as format "MPO".
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
CONTENT_TYPE = "image/jpeg"
SUFFIX = ".jpg"

DRAFT_TOLERANCE = 0.9

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
DATETIME = 0x0132
ORIENTATION = 0x0112
DATETIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011

SRGB_PROFILE = ImageCms.createProfile("sRGB")
# A camera clock outside these years is wrong, and at the ends of the calendar no time zone fits.
PLAUSIBLE_YEARS = (1900, 2200)
TEMPORARY_PREFIX, TEMPORARY_SUFFIX = ".upload-", ".tmp"
# A write is a few milliseconds; a temporary file this old was left by a process killed mid-write.
ABANDONED_AFTER_SECONDS = 3600


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 64_000_000
    # Checked from the header, before any pixel is decoded: a 1 x 60,000,000 PNG is under the
    # pixel limit, yet decoding it costs a worker a gigabyte. A camera's longest side is under
    # 16,384 px, and a phone's panorama is at most about 1:10.
    max_side: int = 16_384
    max_aspect: int = 16
    max_edge: int = 1600
    thumb_edge: int = 400
    quality: int = 85
    thumb_quality: int = 75
    keep_gps: bool = False


@dataclass(frozen=True)
class StoredPhoto:
    sha256: str
    thumb_sha256: str
    width: int
    height: int
    size: int
    content_type: str
    source_format: str
    taken_at: datetime | None
    latitude: float | None
    longitude: float | None


class RejectedPhoto(Exception):
    """An upload that is not stored; `code` says why (too_large, not_an_image, too_many_pixels,
    odd_shape, damaged)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def read_upload(stream, max_bytes: int) -> bytes:
    """Read at most max_bytes; one byte more means the upload is refused, not truncated."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise RejectedPhoto("too_large", f"more than {max_bytes} bytes")
    if not data:
        raise RejectedPhoto("not_an_image", "empty upload")
    return data


def process(stream, upload_dir: str | os.PathLike, limits: Limits = Limits()) -> StoredPhoto:
    """Decode, check, clean, shrink and store one photo and its thumbnail."""
    data = read_upload(stream, limits.max_bytes)
    image, source_format, metadata = _decode(data, limits)
    taken_at = _capture_time(metadata)
    latitude, longitude = _gps(metadata) if limits.keep_gps else (None, None)

    display = _in_srgb(_shrink(image, limits.max_edge), image.info.get("icc_profile"))
    display_bytes = _encode(display, limits.quality)
    thumb = _shrink(display, limits.thumb_edge)
    thumb_bytes = _encode(thumb, limits.thumb_quality)

    sha = store_bytes(display_bytes, upload_dir)
    thumb_sha = store_bytes(thumb_bytes, upload_dir)
    return StoredPhoto(
        sha256=sha,
        thumb_sha256=thumb_sha,
        width=display.width,
        height=display.height,
        size=len(display_bytes),
        content_type=CONTENT_TYPE,
        source_format=source_format,
        taken_at=taken_at,
        latitude=latitude,
        longitude=longitude,
    )


# The report's appendix prints two photos across A4 (about 90 mm each): 1024 px on the long edge
# gives some 290 dpi there, so a circled mark-up and the writing in a ledger stay legible, at
# about an eighth of the stored copy's bytes (bench/pdf_size.py).
PRINT_EDGE = 1024
PRINT_QUALITY = 70


def print_copy(data: bytes, edge: int = PRINT_EDGE, quality: int = PRINT_QUALITY) -> bytes:
    """A stored photo scaled down for print; one already small enough is answered as it is.

    libjpeg decodes straight at half size when that still gives 90% of the print edge, so a
    large stored photo costs a small decode and an encode, not a full decode and a resize.
    """
    image = Image.open(io.BytesIO(data))
    if max(image.size) <= edge:
        return data
    scale = edge * DRAFT_TOLERANCE / max(image.size)
    image.draft("RGB", (round(image.width * scale), round(image.height * scale)))
    image = image.convert("RGB")
    image.thumbnail((edge, edge), Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def path_for(upload_dir: str | os.PathLike, sha256: str) -> Path:
    return Path(upload_dir) / sha256[:2] / f"{sha256}{SUFFIX}"


def store_bytes(data: bytes, upload_dir: str | os.PathLike) -> str:
    """Write data under its sha256 via a temporary file and a rename; an existing file is kept."""
    sha = hashlib.sha256(data).hexdigest()
    target = path_for(upload_dir, sha)
    if target.exists():
        return sha
    write_atomically(target, data)
    return sha


def write_atomically(target: Path, data: bytes) -> None:
    """Write through a temporary file and a rename, so a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=TEMPORARY_PREFIX, suffix=TEMPORARY_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_abandoned_files(upload_dir: str | os.PathLike, older_than: float = ABANDONED_AFTER_SECONDS) -> int:
    """Remove the temporary files of writes that never finished (a worker killed while writing a
    photo); the files of writes under way now are younger and stay. Answers how many went."""
    cutoff = time.time() - older_than
    removed = 0
    for temporary in Path(upload_dir).glob(f"*/{TEMPORARY_PREFIX}*{TEMPORARY_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            if temporary.stat().st_mtime < cutoff:
                temporary.unlink()
                removed += 1
    return removed


def _decode(data: bytes, limits: Limits) -> tuple[Image.Image, str, Image.Exif]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
            check_shape(image.width, image.height, limits)
            source_format = "JPEG" if image.format == "MPO" else image.format
            metadata = image.getexif()
            if source_format == "JPEG":
                image.draft("RGB", _draft_size(image.size, limits.max_edge))
            image.load()
    except RejectedPhoto:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise RejectedPhoto("too_many_pixels", str(error)) from error
    except UnidentifiedImageError as error:
        raise RejectedPhoto("not_an_image", str(error)) from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise RejectedPhoto("damaged", str(error)) from error
    return _upright(image, metadata), source_format, metadata


def check_shape(width: int, height: int, limits: Limits) -> None:
    """Refuses, from the header alone, a picture too large or of a shape no camera takes."""
    if width * height > limits.max_pixels:
        raise RejectedPhoto("too_many_pixels", f"{width}x{height}")
    long_side, short_side = max(width, height), max(1, min(width, height))
    if long_side > limits.max_side or long_side > short_side * limits.max_aspect:
        raise RejectedPhoto("odd_shape", f"{width}x{height}")


# EXIF orientation -> the turn that makes the picture upright.
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _upright(image: Image.Image, metadata: Image.Exif) -> Image.Image:
    """The picture turned as its EXIF orientation says; a missing or unreadable one leaves it as it is.

    Not ImageOps.exif_transpose: it writes the rest of the EXIF block back, and a damaged block
    (a text tag stored as a fraction) makes that raise. Nothing of the block is stored anyway.
    """
    orientation = metadata.get(ORIENTATION)
    method = UPRIGHT.get(orientation) if isinstance(orientation, int) else None
    return image.transpose(method) if method is not None else image


def _in_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """The shrunk RGB picture converted from the photo's own ICC profile to sRGB.

    The profile itself is never stored. It is bytes the sender chose: one that does not parse
    as an RGB colour profile is ignored and the pixels are kept as they are.
    """
    if not icc_profile:
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        return ImageCms.profileToProfile(image, source, SRGB_PROFILE, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return image


def _draft_size(size: tuple[int, int], max_edge: int) -> tuple[int, int]:
    """The smallest size libjpeg may decode to (at 1/2, 1/4 or 1/8 scale).

    Landing a little under max_edge (at least DRAFT_TOLERANCE of it) is accepted: a 4000 px
    photo decoded at half scale gives 2000 px at once, instead of a full decode and a resize.
    """
    width, height = size
    long_edge = max(width, height)
    target = int(max_edge * DRAFT_TOLERANCE)
    if long_edge <= target:
        return size
    return max(1, width * target // long_edge), max(1, height * target // long_edge)


def _shrink(image: Image.Image, edge: int) -> Image.Image:
    image = _as_rgb(image)
    if max(image.size) <= edge:
        return image
    scale = edge / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def _as_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        image = image.point(lambda value: value / 256).convert("L")
    return image.convert("RGB")


def _encode(image: Image.Image, quality: int) -> bytes:
    """JPEG in sRGB with nothing but pixels: no EXIF, no ICC profile, no comments."""
    out = io.BytesIO()
    clean = image.copy()
    clean.info = {}
    clean.save(out, format="JPEG", quality=quality, optimize=True, progressive=True)
    return out.getvalue()


def _capture_time(metadata: Image.Exif) -> datetime | None:
    """DateTimeOriginal (or DateTime), aware when the camera wrote its UTC offset, else local."""
    exif_ifd = _sub_ifd(metadata, EXIF_IFD)
    raw = exif_ifd.get(DATETIME_ORIGINAL) or metadata.get(DATETIME)
    return parse_exif_time(raw, exif_ifd.get(OFFSET_TIME_ORIGINAL))


def _sub_ifd(metadata: Image.Exif, tag: int) -> dict:
    """A sub-IFD of the EXIF block, or nothing when its pointer leads nowhere readable (a damaged
    block, or a pointer of a signed type read as an offset before the block's start)."""
    try:
        return metadata.get_ifd(tag)
    except (ValueError, OSError, KeyError, TypeError, EOFError, SyntaxError, struct.error):
        return {}


def parse_exif_time(raw, offset=None) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        taken = datetime.strptime(raw.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if not PLAUSIBLE_YEARS[0] <= taken.year <= PLAUSIBLE_YEARS[1]:
        return None
    if isinstance(offset, str) and len(offset.strip()) >= 6:
        try:
            sign = -1 if offset[0] == "-" else 1
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            taken = taken.replace(tzinfo=timezone(sign * timedelta(hours=hours, minutes=minutes)))
        except ValueError:
            pass
    return taken


def _gps(metadata: Image.Exif) -> tuple[float | None, float | None]:
    gps = _sub_ifd(metadata, GPS_IFD)
    try:
        latitude = _degrees(gps[2], gps.get(1, "N"), "S")
        longitude = _degrees(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None, None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None, None
    return latitude, longitude


def _degrees(value, reference, negative: str) -> float:
    degrees, minutes, seconds = (float(part) for part in value)
    sign = -1 if str(reference).strip("\x00 ").upper() == negative else 1
    return round(sign * (degrees + minutes / 60 + seconds / 3600), 6)
