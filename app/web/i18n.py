"""Chinese by default; a cookie remembers a user's switch to English.

Babel parses zh_CN as zh_Hans_CN, and gettext then finds the catalog under translations/zh/.
"""

from flask import current_app, request
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
        "offline": _("Server unreachable"),
        "checking": _("Checking the connection…"),
        "server_failing": _("Server error"),
        "online_long": _("Online: the server answers, changes are sent at once."),
        "offline_long": _(
            "The server cannot be reached: changes are kept on this phone and sent as soon as it answers."
        ),
        "checking_long": _("Asking the server whether it answers…"),
        "server_failing_long": _(
            "The server answers with errors: changes are kept on this phone and sent again shortly."
        ),
        "all_synced": _("Everything is on the server."),
        "waiting_items_photos": _("%(items)s items and %(photos)s photos waiting to sync"),
        "waiting_items": _("%(n)s items waiting to sync"),
        "waiting_photos": _("%(n)s photos waiting to sync"),
        "waiting_signatures": _("%(n)s signatures waiting to sync"),
        "waiting_drafts": _("%(n)s items for you to finish"),
        "share_copy": _("Copy the link"),
        "share_copied": _("Copied"),
        "share_send": _("Send…"),
        "saved_on_phone": _("On this phone, not yet synced."),
        "sending": _("Sending to the server…"),
        "synced": _("Saved"),
        "saved_at": _("Saved %(time)s"),
        "failure_timeout": _("The server did not answer in time: trying again shortly."),
        "failure_network": _("No connection: sent when the server can be reached."),
        "failure_server": _("The server could not save it (%(reason)s): trying again shortly."),
        "note_needed_deduction": _("Write down the problem you found: a deduction needs a note."),
        "note_needed_na": _("Write down why this item does not apply."),
        "reason_needed_na": _(
            "Why does this item not apply here? Write the reason in the note: 不适用 is saved with it."
        ),
        "outcome_needed": _("Choose a result: the note is kept on this phone and saved with it."),
        "points_total": _("%(score)s points"),
        "refused_entry": _("%(item)s · %(kind)s · refused by the server: %(reason)s"),
        "refused_reason": _("Refused by the server: %(reason)s"),
        "photo_entry": _("photo"),
        "signature_entry": _("signature"),
        "signoff": _("Sign-off"),
        "result_entry": _("result"),
        "retry": _("Try again"),
        "discard": _("Discard this change"),
        "confirm_discard": _("Discard it? This change will never reach the server."),
        "sync_now": _("Sync now"),
        "export": _("Export to a file"),
        "login_needed": _("Your login has expired: log in again to sync. The changes stay on this phone."),
        "login_other": _(
            "This browser is now logged in as someone else: log in again as %(name)s to send your changes."
        ),
        "others_waiting": _(
            "Also on this phone: %(count)s by %(name)s. They are sent when %(name)s logs in here."
        ),
        "kept_whole": _("Kept %(stored)s/%(total)s, available offline"),
        "kept_part": _("Kept %(stored)s/%(total)s"),
        "keeping_count": _("Saving %(stored)s/%(total)s…"),
        "offline_not_ready": _("Not yet available offline: open it once while online."),
        "offline_not_saved": _("Not on this phone yet."),
        "downloading": _("Saving for offline use…"),
        "waiting_badge": _("Not synced"),
        "waiting_count": _("%(n)s not synced"),
        "category_scored": _("%(scored)s of %(total)s items scored"),
        "open_items": "(" + _("%(n)s open") + ")",
        "unscored_items": _(
            "%(n)s items are not scored yet (results waiting on this phone count as entered)."
        ),
        "all_entered": _("Every item is entered: some results still wait on this phone to be synced."),
        "not_applied": _(
            "%(name)s set this item to “%(outcome)s” at %(time)s, after the result yours was based on: "
            "yours was not applied."
        ),
        "apply_mine": _("Apply mine"),
        "keep_theirs": _("Keep theirs"),
        "teammate_waiting": _(
            "%(name)s has a change to this item waiting on this phone: it is sent when %(name)s logs in here."
        ),
        "finalize_waiting": _("Sync before finalizing: %(count)s."),
        "storage_low": _("This phone is short of storage: sync soon."),
        "storage_unavailable": _(
            "This browser cannot keep data on the phone (private mode?). "
            "What you enter offline would be lost."
        ),
        "worker_failed": _(
            "This browser did not install the offline part of the app: pages cannot be opened offline. "
            "Changes are still kept on the phone."
        ),
        "ios_hint": _(
            "On an iPhone, tap Share, then Add to Home Screen: otherwise Safari deletes data kept on the "
            "phone after 7 days without use."
        ),
        "logout_warning": _("Not yet on the server: %(count)s."),
        "logout_failed": _(
            "Not logged out: the server cannot be reached. Everything stays on this phone as it was; "
            "log out again once the server answers."
        ),
        "finalize_offline": _(
            "This needs the server, which cannot be reached now. Nothing is lost: what you entered "
            "stays on this page. Try again once the server answers."
        ),
        "start_offline": _(
            "Starting or finding an assessment needs the server, which cannot be reached now. "
            "Assessments kept on this phone can still be walked."
        ),
        "photo_preparing": _("Preparing…"),
        "photo_saved": _("Saved"),
        "photo_failed": _("Failed"),
        "photo_remove": _("Remove"),
        "photo_caption": _("Caption (optional)"),
        "photo_marked": _("Marked up"),
        "photo_queued": _("On this phone, uploads when the network is back."),
        "photo_in_memory": _("Only in this page's memory: keep the page open until it is saved."),
        "photo_memory_only": _(
            "This browser cannot keep photos on the phone (private mode?): a photo taken now waits only "
            "in this page's memory until it is uploaded. Keep the page open until it shows Saved."
        ),
        "photo_lost": _("the photo was only in a page's memory and is lost: take it again"),
        "photo_pending": _("A photo is not yet kept on this phone. Leave anyway?"),
        "photo_sending_wait": _(
            "The photo is being sent, please wait… It is only in this page's memory: "
            "leaving before it is sent loses it."
        ),
        "photo_sending_offline": _(
            "The photo is only in this page's memory and the server cannot be reached: it is sent "
            "as soon as the server answers. Leaving before then loses it."
        ),
        "photo_leave_anyway": _("Leave anyway (the photo is lost)"),
        "photos_lost": _("%(n)s photos lost: take them again"),
        "photo_needed": _("A deduction needs a photo, or a reason why none could be taken."),
        "markup_saving": _("Saving…"),
        "markup_failed": _("Saving failed. Try again."),
        "photo_remove_confirm": _("Remove this photo? Its marked-up copies are removed too."),
        "rect_photo_ready": _("Ready: sent with the answer."),
        "rect_too_many_photos": _("At most %(n)s photos per answer."),
        "rect_photo_failed_first": _("A photo was refused: remove it or try it again before sending."),
        "rect_sending": _(
            "The answer is on this phone: it is sent with its photos as soon as the server answers."
        ),
        "rect_sent": _("Your answer was sent for review."),
        "rect_edit": _("Change the answer"),
        "rect_unsent": _("The answer is not sent yet. Leave anyway?"),
        "review_comment_needed": _("Say why the answer is not accepted."),
    }
