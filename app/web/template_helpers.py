"""The helpers every template may call, registered once by create_app; some live in their own
modules (the rubric's 不适用 policy, the outbox author token, the page's language), all are named
here."""

from flask import Flask, current_app, url_for
from flask_login import current_user

from app.models import Assessment
from app.services import deadlines, forms, rectifications, signoff
from app.services.json_shapes import user_json
from app.services.reports import signing
from app.services.rubrics import not_applicable_policy
from app.web import assets, i18n
from app.web.phone import max_length, phone_values
from app.web.security import outbox_author_token


def signature_data_url(signature) -> str:
    return signoff.data_url(signature)


def rectification_label(status: str) -> str:
    return str(rectifications.STATUS_LABELS[status])


def back_url(assessment: Assessment) -> str:
    """Where a report's reader came from: the station's findings page or the assessor's summary."""
    if current_user.can_assess:
        return url_for("assess.summary", assessment_id=assessment.id)
    return url_for("station.assessment", assessment_id=assessment.id)


def signature_shown_image(draft_image: str) -> str:
    return signoff.shown_image(draft_image)


def rectification_countdown(state):
    """Days left to answer a deduction (negative once overdue), or None."""
    return deadlines.countdown(state, deadlines.today())


def rectification_progress(assessment: Assessment):
    """Where the assessment's rectification stands today, or None with nothing to rectify."""
    return deadlines.progress(assessment, deadlines.today())


def answers_waiting() -> int:
    """How many station answers wait for this user's review, for the assessor's home."""
    return sum(len(states) for _assessment, states in rectifications.review_queue(current_user))


def rectifications_waiting(assessment: Assessment) -> list:
    return rectifications.waiting_for_review(assessment) if assessment.is_finalized else []


def signing_state() -> signing.State:
    """Whether finalized reports are signed, and by whom, for the administrators' audit page."""
    return signing.state(current_app.config)


def can_manage_forms(user) -> bool:
    return forms.can_manage(user)


def page_context() -> dict:
    """What the frame of every page reads per request: its language and the scripts' import map."""
    return {
        "html_lang": i18n.html_lang(),
        "language_names": i18n.LANGUAGE_NAMES,
        "js_strings": i18n.js_strings,
        "static_import_map": current_app.extensions.get(assets.IMPORT_MAP),
    }


GLOBALS = (
    signature_data_url,
    rectification_label,
    back_url,
    signature_shown_image,
    rectification_countdown,
    rectification_progress,
    answers_waiting,
    rectifications_waiting,
    not_applicable_policy,
    can_manage_forms,
    outbox_author_token,
    user_json,
    phone_values,
    max_length,
    signing_state,
)


def register(app: Flask) -> None:
    app.jinja_env.globals.update({helper.__name__: helper for helper in GLOBALS})
    app.context_processor(page_context)
