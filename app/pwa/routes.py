"""The installable app: manifest, service worker and the page shown when a page is not cached."""

import hashlib
import re
from functools import cache
from pathlib import Path

from flask import current_app, render_template, url_for
from flask_babel import gettext as _

from app.pwa import bp
from app.web import phone

WORKER = "js/sw.js"
# Modules the pages import and the worker gets written in: the messages both exchange, and how
# an address Python hands them is filled in and recognised.
WORKER_MODULES = ("js/lib/shared.js",)
SHELL_STYLES_AND_ICONS = (
    "css/app.css",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/icon-maskable-512.png",
    "icons/apple-touch-icon.png",
    "icons/favicon-32.png",
)


@cache
def shell_files(static_folder: str) -> tuple[str, ...]:
    """The app shell: the stylesheet, every script (a module a page imports is never left out), the icons."""
    scripts = sorted(
        path.relative_to(static_folder).as_posix() for path in (Path(static_folder) / "js").rglob("*.js")
    )
    return SHELL_STYLES_AND_ICONS + tuple(name for name in scripts if name != WORKER)


@cache
def shell_version(static_folder: str) -> str:
    """A hash of the app shell and the worker itself, so any change installs a new worker."""
    digest = hashlib.sha256()
    for name in shell_files(static_folder) + (WORKER,):
        digest.update((Path(static_folder) / name).read_bytes())
    return digest.hexdigest()[:12]


def as_classic_script(module_source: str) -> str:
    """A module that only declares and exports, as declarations a classic script can hold."""
    return re.sub(r"^export ", "", module_source, flags=re.MULTILINE)


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
    static = Path(current_app.static_folder)
    version = shell_version(current_app.static_folder)
    shell = [url_for("static", filename=name) for name in shell_files(current_app.static_folder)]
    shell.append(url_for("pwa.offline"))
    source = (static / WORKER).read_text(encoding="utf-8")
    modules = "".join(
        as_classic_script((static / name).read_text(encoding="utf-8")) for name in WORKER_MODULES
    )
    owner_max_age = int(current_app.config["SESSION_IDLE_LIFETIME"].total_seconds())
    prelude = (
        f"const VERSION = {version!r};\nconst SHELL = {current_app.json.dumps(shell)};\n"
        f"const OWNER_MAX_AGE = {owner_max_age};\n"
        f"const PHONE = {current_app.json.dumps(phone.worker_values())};\n"
    )
    headers = {
        "Content-Type": "text/javascript; charset=utf-8",
        "Cache-Control": "no-cache",
        "Service-Worker-Allowed": "/",
    }
    return prelude + modules + source, headers


@bp.get("/offline")
def offline():
    """Shown when the phone is offline and the page asked for was never opened online."""
    return render_template("pwa/offline.html")
