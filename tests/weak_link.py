"""A link that swallows the phone's result writes, the same in every engine's tests.

On a weak link a request leaves and no answer comes back: the page that sent it waits, holding
whatever it holds while it sends, and the assessor walks on to the next item meanwhile. While the
link is `down`, every result write the server receives is held and never answered (it ends in a
503 after HELD_AT_MOST_S, long after the test): lost on the dead link, it never reached the app.
`restore()` lets the next writes through, and the test sees what the phone does once the server
answers again.
"""

import threading

from tests.browser.test_offline import is_finding_write
from tests.browser.test_outbox import findings_by_item

# Run in a page of the app, this holds the phone's sending lock and never lets go, as a page did
# that was left for Firefox's back/forward cache in the middle of sending.
HOLD_THE_SENDING_LOCK_FOREVER = "void navigator.locks.request('outbox-flush', () => new Promise(() => {}));"
HELD_AT_MOST_S = 300
# How long after the link comes back the waiting results may take to arrive, by the sync engine's
# design (app/static/js/offline/sync.js): the request left on the dead link is given up at its
# timeout (15 s, plus 1 s per result), the next try waits out its backoff (at most 20 s), and a lock
# left behind is taken over once its lease is 10 s old; the rest is room for a busy machine.
ARRIVAL_S = 60


class WeakLink:
    def __init__(self, app):
        self.up = threading.Event()
        self.up.set()
        self.never = threading.Event()
        self.held = 0
        inner = app.wsgi_app

        def link(environ, start_response):
            if is_finding_write(environ) and not self.up.is_set():
                self.held += 1
                self.never.wait(HELD_AT_MOST_S)
                start_response("503 Service Unavailable", [("Content-Type", "application/json")])
                return [b'{"error": "the link dropped"}']
            return inner(environ, start_response)

        app.wsgi_app = link

    def down(self) -> None:
        self.up.clear()

    def restore(self) -> None:
        self.up.set()


def all_scored_full(server, assessment_id: int, items: list[str]) -> bool:
    """Whether the server holds 完全符合 for each of `items`: what the weak-link walks score."""
    stored = findings_by_item(server, assessment_id)
    return all(item in stored and stored[item][0] == "full" for item in items)
