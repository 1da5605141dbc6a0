"""The installable app: manifest, service worker, offline page."""

import re

from tests import ROOT


def test_manifest_installs_with_chinese_name_icons_and_standalone_display(client):
    response = client.get("/manifest.webmanifest")
    assert response.headers["Content-Type"].startswith("application/manifest+json")
    manifest = response.get_json()
    assert manifest["name"] == "鉴定所（站）质量管理评估"
    assert manifest["short_name"] == "所（站）质量评估"
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_service_worker_is_served_from_the_root_uncached_and_versioned(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    body = response.get_data(as_text=True)
    assert body.startswith("const VERSION = '")
    assert re.search(r'"/static/js/offline/outbox\.[0-9a-f]{12}\.js"', body) and '"/offline"' in body


def test_every_precached_shell_file_exists(client):
    body = client.get("/sw.js").get_data(as_text=True)
    shell = body.split("const SHELL = ", 1)[1].split(";\n", 1)[0]
    for url in shell.strip("[]").replace('"', "").split(", "):
        assert client.get(url).status_code == 200, url


def test_every_module_a_precached_script_imports_is_precached_too():
    """Offline, a module whose import is not on the phone fails whole: the walk's photos with it."""
    from app.pwa.routes import shell_files

    static = ROOT / "app" / "static"
    shell = shell_files(str(static))
    assert "js/pages/walk.js" in shell and "js/offline/outbox.js" in shell
    for name in (n for n in shell if n.endswith(".js")):
        for imported in re.findall(
            r'from "(\.\.?/[\w./-]+\.js)"', (static / name).read_text(encoding="utf-8")
        ):
            resolved = ((static / name).parent / imported).resolve().relative_to(static).as_posix()
            assert resolved in shell, f"{name} imports {imported}"


def test_offline_page_explains_what_still_works(client):
    page = client.get("/offline").get_data(as_text=True)
    assert "当前处于离线状态" in page


def test_pages_link_the_manifest_and_apple_touch_icon(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'rel="manifest" href="/manifest.webmanifest"' in page
    assert 'rel="apple-touch-icon"' in page
