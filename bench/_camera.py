"""A camera-like test picture: smooth light, ruled ledger lines with text, and sensor noise."""

import io

from PIL import Image, ImageChops, ImageDraw, ImageFilter


def camera_jpeg(size=(4000, 3000), quality=92) -> bytes:
    width, height = size
    light = Image.linear_gradient("L").resize(size).filter(ImageFilter.GaussianBlur(50))
    paper = Image.merge(
        "RGB", [light.point(lambda v: 150 + v // 3)] * 2 + [light.point(lambda v: 130 + v // 3)]
    )
    draw = ImageDraw.Draw(paper)
    for y in range(150, height - 100, 110):
        draw.line([(250, y), (width - 250, y)], fill=(50, 60, 120), width=5)
        draw.text(
            (270, y - 70),
            f"2026-11-{y % 28 + 1:02d}  ledger line {y}  signed",
            fill=(25, 25, 25),
            font_size=60,
        )
    noise = Image.effect_noise(size, 18).convert("RGB")
    photo = ImageChops.add(paper, noise, scale=1.0, offset=-128)
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:11:20 09:41:05"
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=quality, exif=exif)
    return out.getvalue()


def phone_photo(edge=1600) -> Image.Image:
    """The 12 MP camera picture as the phone sends it: shrunk to `edge` on the long side (the
    phone's canvas smooths like this), so its noise is averaged as a real upload's is."""
    camera = Image.open(io.BytesIO(camera_jpeg((4000, 3000))))
    return camera.resize((edge, edge * 3 // 4), Image.Resampling.LANCZOS)
