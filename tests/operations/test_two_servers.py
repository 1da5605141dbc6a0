"""Two app servers (gunicorn, gunicorn.conf.py) on two ports, sharing one database and one upload
folder, as behind a load balancer: what one takes in, the other serves the same.

Photos are content-addressed and written through a rename, sessions are rows in the shared
`user_sessions` table, report PDFs are kept in the shared upload folder under their version and
the static build is named by content, so nothing lives in one server's memory or disk only.
"""

import hashlib
import io
import json
import re
import time
import uuid
from pathlib import Path

from PIL import Image

from tests.servers import GunicornServer, HttpClient

WORKERS = 2
PDF_TIMEOUT = 300


def pdf_from(client: HttpClient, url: str) -> bytes:
    """The PDF, asking again as told while the server answers that it is being prepared (202)."""
    deadline = time.monotonic() + PDF_TIMEOUT
    while True:
        status, headers, body = client.request("GET", url)
        if status == 200:
            return body
        assert status == 202 and time.monotonic() < deadline, (status, body[:200])
        time.sleep(int(headers["Retry-After"]))


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 80, 40)).save(out, format="JPEG")
    return out.getvalue()


def upload(client: HttpClient, path: str, data: bytes, mutation: str):
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="mutation_id"\r\n\r\n{mutation}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "X-CSRFToken": client.token,
        "Accept": "application/json",
    }
    return client.request("POST", path, body, headers)


def test_two_servers_sharing_database_and_uploads_serve_walk_photos_and_reports_alike(
    app, make_user, station_id, tmp_path
):
    make_user("assessor")
    first = GunicornServer(app, tmp_path / "first.log").start(WORKERS)
    second = GunicornServer(app, tmp_path / "second.log").start(WORKERS)
    try:
        on_first = HttpClient(first.url).log_in("assessor")
        on_second = HttpClient(second.url).log_in("assessor")

        status, assessment = on_first.json("POST", "/api/assessments", {"station_id": station_id})
        assert status == 201
        finding_url = f"/api/assessments/{assessment['id']}/findings/5.3.1"
        change = {"outcome": "zero", "note": "标识缺失。", "mutation_id": str(uuid.uuid4())}
        status, answer = on_first.json("PUT", finding_url, change)
        assert status == 200
        photo_mutation = str(uuid.uuid4())
        status, _, body = upload(on_first, f"{finding_url}/photos", jpeg(), photo_mutation)
        assert status == 201

        # The other server sees the change and answers a retry of it with the stored answer.
        status, seen = on_second.json("GET", f"/api/assessments/{assessment['id']}")
        assert seen["score"] == answer["score"]
        assert [f["outcome"] for f in seen["findings"] if f["item_id"] == "5.3.1"] == ["zero"]
        assert on_second.json("PUT", finding_url, change) == (200, answer)
        status, _, again = upload(on_second, f"{finding_url}/photos", jpeg(), photo_mutation)
        assert (status, json.loads(again)) == (201, json.loads(body))

        photo = next(f for f in seen["findings"] if f["item_id"] == "5.3.1")["photos"][0]
        images = [client.request("GET", photo["url"])[2] for client in (on_first, on_second)]
        assert hashlib.sha256(images[0]).digest() == hashlib.sha256(images[1]).digest()

        walk = [
            client.request("GET", f"/assess/{assessment['id']}/items/5.3.1")[2].decode()
            for client in (on_first, on_second)
        ]
        assert photo["thumb_url"] in walk[1]
        static_names = [set(re.findall(r"/static/[^\"']+", page)) for page in walk]
        assert static_names[0] == static_names[1]
        for url in static_names[1]:
            assert on_first.request("GET", url)[0] == 200

        reports = [
            client.request("GET", f"/reports/assessments/{assessment['id']}")
            for client in (on_first, on_second)
        ]
        assert [status for status, _, _ in reports] == [200, 200]
        assert (
            photo["url"].replace("/image", "") in reports[1][2].decode()
            or photo["url"] in reports[1][2].decode()
        )

        # The PDF one server drew is kept in the shared folder: the other serves those same bytes.
        pdf_url = f"/reports/assessments/{assessment['id']}.pdf"
        drawn = pdf_from(on_first, pdf_url)
        assert drawn.startswith(b"%PDF") and pdf_from(on_second, pdf_url) == drawn
        assert len(list((Path(app.config["UPLOAD_DIR"]) / "reports").glob("*.pdf"))) == 1
    finally:
        first.stop()
        second.stop()
