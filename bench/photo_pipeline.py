"""Server milliseconds per photo: the evidence pipeline against a naive full decode and re-encode.

The naive way decodes every pixel, applies the orientation and saves the full-size picture plus
a thumbnail made from it. The pipeline lets libjpeg decode at a reduced scale where that still
covers PHOTO_MAX_EDGE (Image.draft), stores at most that many pixels on the long edge and makes the
thumbnail from that. Both run in this process on the same pictures.

    .venv/bin/python -m bench.photo_pipeline
"""

import io
import statistics
import tempfile
import time

from PIL import Image, ImageOps

from app.services import evidence
from bench._camera import camera_jpeg

ROUNDS = 7


def naive(data: bytes) -> int:
    image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    image = image.convert("RGB")
    full = io.BytesIO()
    image.save(full, format="JPEG", quality=85, optimize=True, progressive=True)
    image.thumbnail((400, 400))
    thumb = io.BytesIO()
    image.save(thumb, format="JPEG", quality=75)
    return len(full.getvalue())


def pipeline(data: bytes, folder: str) -> int:
    return evidence.process(io.BytesIO(data), folder).size


def median_ms(run) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    cases = [
        ("12 MP camera JPEG, sent without shrink (4000x3000)", camera_jpeg((4000, 3000))),
        ("48 MP camera JPEG (8000x6000)", camera_jpeg((8000, 6000), quality=85)),
        ("phone-shrunk JPEG (1600x1200, quality 0.6)", camera_jpeg((1600, 1200), quality=60)),
    ]
    print(f"median of {ROUNDS} runs per photo, one process, Pillow {Image.__version__}")
    for label, data in cases:
        folder = tempfile.mkdtemp(prefix="bench-photos-")
        naive_ms = median_ms(lambda data=data: naive(data))
        pipeline_ms = median_ms(lambda data=data, folder=folder: pipeline(data, folder))
        naive_bytes, stored_bytes = naive(data), pipeline(data, folder)
        print(f"{label}  ({len(data):,} bytes in)")
        print(f"  naive full decode + full-size re-encode {naive_ms:7.0f} ms, stores {naive_bytes:>10,} B")
        print(
            f"  evidence pipeline (draft, {evidence.Limits().max_edge} px)      {pipeline_ms:7.0f} ms, "
            f"stores {stored_bytes:>10,} B"
        )
        print(f"  ratio naive / pipeline                  {naive_ms / pipeline_ms:7.1f}x")


if __name__ == "__main__":
    main()
