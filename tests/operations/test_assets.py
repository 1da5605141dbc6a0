"""Static files under hashed names, cached for a year and sent compressed; pages compressed too."""

import base64
import gzip
import hashlib
import json
import re

import brotli
import pytest

from app.web import assets
from tests import ROOT

STATIC = ROOT / "app" / "static"
HASHED_URL = re.compile(r'(?:href|src)="(/static/[^"]+\.[0-9a-f]{12}\.[a-z]+)"')


def decoded(response) -> bytes:
    encoding = response.headers.get("Content-Encoding")
    data = response.get_data()
    return {"br": brotli.decompress, "gzip": gzip.decompress, None: lambda body: body}[encoding](data)


def test_pages_link_static_files_by_content_hashed_name(client):
    page = client.get("/login").get_data(as_text=True)
    urls = HASHED_URL.findall(page)
    assert any(url.startswith("/static/css/app.") for url in urls)
    assert any(url.startswith("/static/js/htmx-2.0.11.min.") for url in urls)
    for url in urls:
        name = re.sub(r"\.[0-9a-f]{12}(\.[a-z]+)$", r"\1", url.removeprefix("/static/"))
        digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
        assert f".{digest}." in url


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_hashed_static_file_is_immutable_for_a_year_and_sent_compressed(client, encoding):
    url = next(u for u in HASHED_URL.findall(client.get("/login").get_data(as_text=True)) if "/css/app." in u)
    response = client.get(url, headers={"Accept-Encoding": encoding})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in response.headers["Vary"]
    assert decoded(response) == (STATIC / "css" / "app.css").read_bytes()


def test_plain_static_name_still_answers_but_is_revalidated(client):
    response = client.get("/static/js/app.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.get_data() == (STATIC / "js" / "app.js").read_bytes()


def test_unknown_static_file_is_404(client):
    assert client.get("/static/js/nothing.3f2a3f2a3f2a.js").status_code == 404


@pytest.mark.parametrize("path", ["/assess/", "/api/rubric", "/sw.js"])
def test_pages_json_and_worker_are_sent_compressed(client, auth, make_user, path):
    make_user("assessor")
    auth.login("assessor")
    plain = client.get(path)
    packed = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert packed.status_code == 200
    assert packed.headers["Content-Encoding"] == "gzip"
    assert len(packed.get_data()) < len(plain.get_data()) / 2


def test_import_map_sends_every_module_to_its_hashed_name_and_the_policy_allows_only_it(client):
    response = client.get("/login")
    page = response.get_data(as_text=True)
    import_map_text = re.search(r'<script type="importmap">(.*?)</script>', page).group(1)
    imports = json.loads(import_map_text)["imports"]
    modules = {p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*.js")}
    assert {url.removeprefix("/static/") for url in imports} == modules
    for plain, hashed in imports.items():
        assert client.get(hashed).headers["Cache-Control"].endswith("immutable"), plain
    digest = base64.b64encode(hashlib.sha256(import_map_text.encode()).digest()).decode()
    script_src = response.headers["Content-Security-Policy"].split("script-src ")[1].split(";")[0]
    assert script_src == f"'self' 'sha256-{digest}'"


def test_service_worker_precaches_the_hashed_names_the_pages_use(client):
    body = client.get("/sw.js").get_data(as_text=True)
    shell = json.loads(body.split("const SHELL = ", 1)[1].split(";\n", 1)[0])
    page = client.get("/login").get_data(as_text=True)
    scripts_and_styles = {url for url in HASHED_URL.findall(page) if "/icons/" not in url}
    assert scripts_and_styles and scripts_and_styles <= set(shell)


def test_build_is_written_once_and_only_complete_folders_are_served(tmp_path):
    static = tmp_path / "static"
    (static / "js").mkdir(parents=True)
    (static / "js" / "a.js").write_text("export const a = 1;\n" * 100)
    first = assets.build(static, tmp_path / "build")
    hashed = first.hashed_names["js/a.js"].removeprefix("js/")
    written = {p.name for p in first.folder.glob("js/*")}
    assert written == {name + suffix for name in ("a.js", hashed) for suffix in ("", ".br", ".gz")}
    assert not list((tmp_path / "build").glob(".staging-*"))
    (static / "js" / "a.js").write_text("export const a = 2;\n" * 100)
    assets.build.cache_clear()
    second = assets.build(static, tmp_path / "build")
    assert second.folder != first.folder and second.hashed_names != first.hashed_names
