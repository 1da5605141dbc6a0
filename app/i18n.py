"""Chinese by default; a cookie remembers a user's switch to English.

Babel parses zh_CN as zh_Hans_CN, and gettext then finds the catalog under translations/zh/.
"""

from flask import Flask, current_app, request
from flask_babel import gettext as _

LANGUAGE_COOKIE = "lang"
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def select_locale() -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def html_lang() -> str:
    return select_locale().replace("_", "-")


def js_strings() -> dict:
    """The words the page scripts show, in the page's language ("%(n)s" takes a number)."""
    return {
        "online": _("Online"),
        "offline": _("Offline"),
        "online_long": _("Online: changes are sent to the server at once."),
        "offline_long": _("Offline: changes are kept on this phone and sent when the network is back."),
        "all_synced": _("Everything is on the server."),
        "changes_waiting": _("%(n)s changes on this phone, not yet synced."),
        "photos_waiting": _("%(n)s photos on this phone, not yet uploaded."),
        "saved_on_phone": _("On this phone, not yet synced."),
        "refused_entry": _("%(item)s · %(kind)s · refused by the server: %(reason)s"),
        "refused_reason": _("Refused by the server: %(reason)s"),
        "photo_entry": _("photo"),
        "result_entry": _("result"),
        "retry": _("Try again"),
        "discard": _("Discard this change"),
        "confirm_discard": _("Discard it? This change will never reach the server."),
        "sync_now": _("Sync now"),
        "export": _("Export to a file"),
        "login_needed": _("Your login has expired: log in again to sync. The changes stay on this phone."),
        "offline_ready": _("Available offline"),
        "offline_not_ready": _("Not yet available offline: open it once while online."),
        "offline_not_saved": _("Not on this phone yet."),
        "downloading": _("Saving for offline use…"),
        "download_failed": _("Could not save for offline use. Try again."),
        "waiting_badge": _("Not synced"),
        "finalize_waiting": _("%(n)s changes are still on this phone: sync them before finalizing."),
        "storage_low": _("This phone is short of storage: sync soon."),
        "storage_unavailable": _(
            "This browser cannot keep data on the phone (private mode?). "
            "What you enter offline would be lost."
        ),
        "ios_hint": _(
            "On an iPhone, tap Share, then Add to Home Screen: otherwise Safari deletes data kept on the "
            "phone after 7 days without use."
        ),
        "logout_warning": _("%(n)s changes are still on this phone and not on the server."),
    }


def register(app: Flask) -> None:
    @app.context_processor
    def _language_context():
        return {"html_lang": html_lang(), "language_names": LANGUAGE_NAMES, "js_strings": js_strings}
