"""Static files under content-hashed names, compressed ahead of time and served by WhiteNoise.

At start the app hashes every file under `static/` and, once per distinct content, writes a build
folder holding each file under its plain name and under its hashed name (`js/app.3f2a….js`), each
with gzip and brotli copies made by WhiteNoise's compressor. `url_for("static", …)` answers the
hashed name, which is served `immutable` for a year, so a phone fetches it once per release; the
plain names stay reachable (revalidated every time) for whatever names a file by hand. An import
map sends each ES module's plain URL to its hashed one, so modules keep importing each other by
relative URL. In debug mode nothing is hashed: an edited file shows on the next reload.
"""

import base64
import hashlib
import json
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import Flask
from jinja2.utils import htmlsafe_json_dumps
from whitenoise import WhiteNoise
from whitenoise.compress import Compressor

HASH_LENGTH = 12
IMMUTABLE = "public, max-age=31536000, immutable"
IMPORT_MAP = "static_import_map"


@dataclass(frozen=True)
class StaticBuild:
    folder: Path
    hashed_names: dict[str, str]

    def import_map(self, url_prefix: str) -> dict:
        return {
            "imports": {
                f"{url_prefix}/{name}": f"{url_prefix}/{hashed}"
                for name, hashed in self.hashed_names.items()
                if name.endswith((".js", ".mjs"))
            }
        }


class StaticFiles(WhiteNoise):
    """WhiteNoise with the cache policy this app wants: hashed names for a year, the rest revalidated."""

    def __init__(self, application, build: StaticBuild, prefix: str):
        self.immutable_urls = {f"{prefix}/{hashed}" for hashed in build.hashed_names.values()}
        super().__init__(application, root=str(build.folder), prefix=prefix, allow_all_origins=False)

    def add_cache_headers(self, headers, path, url):
        headers["Cache-Control"] = IMMUTABLE if url in self.immutable_urls else "no-cache"


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:HASH_LENGTH]


def hashed_name(name: str, digest: str) -> str:
    stem, dot, extension = name.rpartition(".")
    return f"{stem}.{digest}.{extension}" if dot and "/" not in extension else f"{name}.{digest}"


@cache
def build(static_folder: Path, build_root: Path) -> StaticBuild:
    """Hash the static files and make sure their build folder exists; cached per process."""
    digests = {
        path.relative_to(static_folder).as_posix(): content_digest(path.read_bytes())
        for path in sorted(static_folder.rglob("*"))
        if path.is_file()
    }
    hashed_names = {name: hashed_name(name, digest) for name, digest in digests.items()}
    release = content_digest(json.dumps(digests, sort_keys=True).encode())
    folder = build_root / release
    if not folder.is_dir():
        write_build(static_folder, hashed_names, folder)
    return StaticBuild(folder, hashed_names)


def write_build(static_folder: Path, hashed_names: dict[str, str], folder: Path) -> None:
    """Write the build in a staging folder and rename it into place, so that several workers
    starting at once never serve a half-written file: the first rename wins, the others are dropped."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=".staging-"))
    compressor = Compressor(quiet=True)
    for name, hashed in hashed_names.items():
        plain = staging / name
        plain.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(static_folder / name, plain)
        shutil.copyfile(plain, staging / hashed)
        for compressed in compressor.compress(str(plain)):
            suffix = compressed.removeprefix(str(plain))
            shutil.copyfile(compressed, staging / (hashed + suffix))
    try:
        staging.rename(folder)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)


def csp_hash(script: str) -> str:
    return base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


def register(app: Flask) -> None:
    """Serve the static build; pages read its import map from `app.extensions[IMPORT_MAP]`."""
    if app.debug:
        app.extensions[IMPORT_MAP] = None
        return
    static = build(Path(app.static_folder), Path(app.config["STATIC_BUILD_DIR"]))
    prefix = app.static_url_path

    def hashed_static_url(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            values["filename"] = static.hashed_names.get(values["filename"], values["filename"])

    import_map = htmlsafe_json_dumps(static.import_map(prefix))
    app.extensions["inline_script_hashes"] = [csp_hash(import_map)]
    app.url_defaults(hashed_static_url)
    app.extensions[IMPORT_MAP] = import_map
    app.wsgi_app = StaticFiles(app.wsgi_app, static, prefix)
