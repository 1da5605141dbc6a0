"""What the phone's scripts are told by Python, each value taken from where it is defined.

The limits of what is typed, the time a JSON request may take, the kinds of outbox entry, the
count rule and the addresses the outbox sends to and the service worker keeps. Pages read them
from the JSON block `#phone` in base.html (templates call `max_length`); the service worker gets
them rendered into /sw.js, so it needs no request to learn them, offline included.
"""

from flask import url_for

from app.services import assessments, outbox_import, photos, rectifications, signoff, verification
from rubric import COUNT_PATTERN, MAX_COUNT

# A JSON request (a save, the server probe) not answered in full by then is given up; htmx's own
# requests have the same limit.
JSON_TIMEOUT_MS = 15_000

# The service worker's time limits. A kept page is shown from the phone at once and fetched again
# in the background, given up after KEPT_PAGE_REFRESH_MS; a page saved for offline use is given
# KEEP_PAGE_MS; the assessor's home (not kept, only copied) falls back to its copy after HOME_PAGE_MS;
# a static file the shell does not hold fails after STATIC_FILE_MS rather than hang a page. Any
# other page (a PDF download, say) waits for the server as long as the browser would.
WORKER_TIMEOUTS_MS = {
    "kept_page_refresh": 30_000,
    "keep_page": 30_000,
    "home_page": 8_000,
    "static_file": 30_000,
}

LIMITS = {
    "note": assessments.NOTE_MAX_LENGTH,
    "no_photo_reason": assessments.NO_PHOTO_REASON_MAX_LENGTH,
    "caption": photos.CAPTION_MAX_LENGTH,
    "rectification_text": rectifications.TEXT_MAX_LENGTH,
    "review_comment": rectifications.COMMENT_MAX_LENGTH,
    "signer_name": signoff.NAME_MAX_LENGTH,
    "signer_note": signoff.NOTE_MAX_LENGTH,
    "verification_code": verification.TYPED_MAX_LENGTH,
}

# Where each outbox entry goes (methods stay with the sync engine), then what else the pages ask
# the server: {name} is filled in on the phone.
SEND_URLS = {
    "finding": ("api.put_finding", "assessment_id", "item_id"),
    "findings": ("api.post_findings", "assessment_id"),
    "photo": ("api.upload_photo", "assessment_id", "item_id"),
    "caption": ("api.update_photo", "photo_id"),
    "no_photo_reason": ("photos.no_photo_reason", "assessment_id", "item_id"),
    "signature": ("api.put_signature", "assessment_id", "role"),
    "rectification": ("station.answer", "assessment_id", "item_id"),
    "me": ("api.me",),
    "login": ("auth.login",),
    "worker": ("pwa.service_worker",),
}
# The pages of an assessment the service worker keeps, and the addresses that lead to them.
PAGE_URLS = {
    "root": ("auth.index",),
    "home": ("assess.home",),
    "resume": ("assess.resume", "assessment_id"),
    "index": ("assess.index", "assessment_id"),
    "summary": ("assess.summary", "assessment_id"),
    "item": ("assess.item", "assessment_id", "item_id"),
    "photo_page": ("photos.view", "photo_id"),
    "kept_pages": ("assess.offline_urls", "assessment_id"),
    "offline": ("pwa.offline",),
}
# Stand-ins url_for accepts for any converter (int or text) and that no address holds otherwise.
_STAND_IN = 987_654_320


def url_template(endpoint: str, *names: str) -> str:
    """The URL of `endpoint` with "{name}" where each of `names` goes."""
    stand_ins = {name: _STAND_IN + i for i, name in enumerate(names)}
    url = url_for(endpoint, **stand_ins)
    for name, stand_in in stand_ins.items():
        url = url.replace(str(stand_in), f"{{{name}}}")
    return url


def _templates(routes: dict) -> dict:
    return {name: url_template(*route) for name, route in routes.items()}


def phone_values() -> dict:
    """Everything the page scripts are told, for the `#phone` JSON block."""
    return {
        "json_timeout_ms": JSON_TIMEOUT_MS,
        "limits": LIMITS,
        "count": {"pattern": COUNT_PATTERN, "max": MAX_COUNT},
        "kinds": list(outbox_import.KINDS),
        "urls": _templates(SEND_URLS) | _templates(PAGE_URLS),
        "kept_page_refresh_ms": WORKER_TIMEOUTS_MS["kept_page_refresh"],
    }


def worker_values() -> dict:
    """What the service worker is told: the pages it keeps, its time limits, the outbox kinds it hears of."""
    return {"kinds": list(outbox_import.KINDS), "urls": _templates(PAGE_URLS), "timeouts": WORKER_TIMEOUTS_MS}


def max_length(name: str) -> int:
    """The most characters the field `name` takes, for a template's maxlength."""
    return LIMITS[name]
