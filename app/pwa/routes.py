"""The installable app: manifest, service worker and the page shown when a page is not cached."""

import hashlib
from functools import cache
from pathlib import Path

from flask import current_app, render_template, url_for
from flask_babel import gettext as _

from app.pwa import bp

SHELL_FILES = (
    "css/app.css",
    "js/app.js",
    "js/htmx-2.0.11.min.js",
    "js/common.js",
    "js/outbox.js",
    "js/sync.js",
    "js/offline.js",
    "js/walk.js",
    "js/shrink.js",
    "js/photo_rows.js",
    "js/photos.js",
    "js/signature.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/icon-maskable-512.png",
    "icons/apple-touch-icon.png",
    "icons/favicon-32.png",
)


@cache
def shell_version(static_folder: str) -> str:
    """A hash of the app shell and the worker itself, so any change installs a new worker."""
    digest = hashlib.sha256()
    for name in SHELL_FILES + ("js/sw.js",):
        digest.update((Path(static_folder) / name).read_bytes())
    return digest.hexdigest()[:12]


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest, so the app installs to the home screen."""
    body = {
        "name": _("Station quality assessment"),
        "short_name": _("Station assessment"),
        "lang": "zh-CN",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#f4f6f9",
        "theme_color": "#1d4e89",
        "icons": [
            {
                "src": url_for("static", filename="icons/icon-192.png"),
                "sizes": "192x192",
                "type": "image/png",
            },
            {
                "src": url_for("static", filename="icons/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
            },
            {
                "src": url_for("static", filename="icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return current_app.json.response(body), {"Content-Type": "application/manifest+json"}


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from the root so its scope is the whole app."""
    version = shell_version(current_app.static_folder)
    shell = [url_for("static", filename=name) for name in SHELL_FILES] + [url_for("pwa.offline")]
    source = (Path(current_app.static_folder) / "js" / "sw.js").read_text(encoding="utf-8")
    owner_max_age = int(current_app.config["SESSION_IDLE_LIFETIME"].total_seconds())
    prelude = (
        f"const VERSION = {version!r};\nconst SHELL = {current_app.json.dumps(shell)};\n"
        f"const OWNER_MAX_AGE = {owner_max_age};\n"
    )
    headers = {
        "Content-Type": "text/javascript; charset=utf-8",
        "Cache-Control": "no-cache",
        "Service-Worker-Allowed": "/",
    }
    return prelude + source, headers


@bp.get("/offline")
def offline():
    """Shown when the phone is offline and the page asked for was never opened online."""
    return render_template("pwa/offline.html")
