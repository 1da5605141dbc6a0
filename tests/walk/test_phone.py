"""One source per rule: the limits of what is typed, the request timeout, the outbox kinds and the
server's addresses reach templates and scripts from Python (app/web/phone.py), never typed again."""

import json
import re
from pathlib import Path

import pytest

from app.services import assessments, outbox_import, photos, signoff
from app.web import phone
from tests import ROOT

JS = ROOT / "app" / "static" / "js"
TEMPLATES = ROOT / "app" / "templates"
SCRIPTS = sorted(path for path in JS.rglob("*.js") if not path.name.startswith("htmx-"))
PAGES = sorted(TEMPLATES.rglob("*.html"))
# The first part of every address the app answers; a script or template writing one types a route.
ROUTE_PREFIXES = (
    "api",
    "assess",
    "photos",
    "station",
    "admin",
    "reports",
    "shared",
    "login",
    "logout",
    "offline",
)
ROUTE_IN_A_STRING = re.compile(rf"""["'`]/({"|".join(ROUTE_PREFIXES)})(?=[/"'`?])""")
ROUTE_IN_AN_ATTRIBUTE = re.compile(rf"""(href|action|src|hx-\w+)="/({"|".join(ROUTE_PREFIXES)})\b""")


def name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_the_scan_sees_the_scripts_and_templates():
    assert JS / "pages" / "walk.js" in SCRIPTS and JS / "sw.js" in SCRIPTS
    assert TEMPLATES / "base.html" in PAGES


@pytest.mark.parametrize("path", PAGES, ids=name)
def test_a_template_takes_each_length_limit_from_python(path):
    found = re.findall(r'maxlength="\d+"', path.read_text(encoding="utf-8"), flags=re.IGNORECASE)
    assert not found, f"{name(path)} types {found}: use max_length(...)"


@pytest.mark.parametrize("path", SCRIPTS, ids=name)
def test_a_script_takes_each_length_limit_from_python(path):
    found = re.findall(r"maxLength\s*=\s*\d+", path.read_text(encoding="utf-8"))
    assert not found, f"{name(path)} types {found}: use maxLength(...) from lib/phone.js"


@pytest.mark.parametrize("path", SCRIPTS + PAGES, ids=name)
def test_the_request_timeout_is_typed_only_in_python(path):
    seconds = phone.JSON_TIMEOUT_MS // 1000
    pattern = rf"\b({phone.JSON_TIMEOUT_MS}|{seconds}_000|{seconds}e3|{seconds}\s*\*\s*1000)\b"
    found = re.findall(pattern, path.read_text(encoding="utf-8"))
    assert not found, f"{name(path)} types the {phone.JSON_TIMEOUT_MS} ms timeout: it comes from phone.py"


@pytest.mark.parametrize("path", SCRIPTS, ids=name)
def test_a_script_takes_every_address_from_python(path):
    text = path.read_text(encoding="utf-8")
    found = [match.group(0) for match in ROUTE_IN_A_STRING.finditer(text)]
    assert not found, f"{name(path)} types the addresses {found}: use urlFor(...) from lib/phone.js"


@pytest.mark.parametrize("path", PAGES, ids=name)
def test_a_template_takes_every_address_from_url_for(path):
    found = [match.group(0) for match in ROUTE_IN_AN_ATTRIBUTE.finditer(path.read_text(encoding="utf-8"))]
    assert not found, f"{name(path)} types the addresses {found}: use url_for(...)"


@pytest.mark.parametrize("path", SCRIPTS, ids=name)
def test_a_script_names_outbox_kinds_through_python(path):
    kinds = "|".join(outbox_import.KINDS)
    found = re.findall(rf"""kind\s*(?:===|!==|:)\s*["'`]({kinds})["'`]""", path.read_text(encoding="utf-8"))
    assert not found, f"{name(path)} types the outbox kinds {found}: use Kind from lib/phone.js"


def test_every_outbox_kind_has_its_address_and_an_importer():
    assert set(outbox_import.KINDS) <= set(phone.SEND_URLS)


def test_a_page_hands_its_scripts_and_htmx_the_values_from_python(assessor, assessment_id):
    page = assessor.client.get(f"/assess/{assessment_id}/items/1.1.1").get_data(as_text=True)
    block = re.search(r'<script type="application/json" id="phone">(.*?)</script>', page).group(1)
    values = json.loads(block)
    assert values["limits"] == phone.LIMITS and values["kinds"] == list(outbox_import.KINDS)
    assert values["json_timeout_ms"] == phone.JSON_TIMEOUT_MS
    assert values["urls"]["finding"] == "/api/assessments/{assessment_id}/findings/{item_id}"
    assert values["urls"]["item"] == "/assess/{assessment_id}/items/{item_id}"
    htmx_config = json.loads(re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page).group(1))
    assert htmx_config["timeout"] == phone.JSON_TIMEOUT_MS
    assert f'maxlength="{assessments.NOTE_MAX_LENGTH}"' in page
    assert values["limits"]["caption"] == photos.CAPTION_MAX_LENGTH
    assert values["limits"]["signer_name"] == signoff.NAME_MAX_LENGTH


def test_the_service_worker_is_told_the_pages_it_keeps_and_the_message_kinds(client):
    body = client.get("/sw.js").get_data(as_text=True)
    told = json.loads(body.split("const PHONE = ", 1)[1].split(";\n", 1)[0])
    assert told["urls"]["index"] == "/assess/{assessment_id}/index"
    assert "const WorkerMessage = Object.freeze(" in body and "\nexport " not in body


def test_the_worker_answers_every_message_the_pages_may_send():
    """One vocabulary (lib/shared.js): sw.js has a case for each kind, no script types one by hand."""
    vocabulary = JS / "lib" / "shared.js"
    kinds = dict(re.findall(r'^  (\w+): "([\w-]+)",$', vocabulary.read_text(encoding="utf-8"), re.M))
    worker = (JS / "sw.js").read_text(encoding="utf-8")
    assert kinds and all(f"case WorkerMessage.{kind}:" in worker for kind in kinds)
    for path in (path for path in SCRIPTS if path != vocabulary):
        text = path.read_text(encoding="utf-8")
        found = [value for value in kinds.values() if re.search(rf"""["'`]{value}["'`]""", text)]
        assert not found, f"{name(path)} types the worker messages {found}: use WorkerMessage"
