// Leaving a page that holds photos only in its memory (a browser that cannot keep them on the
// phone) would lose them. A link followed meanwhile (下一项, the index) waits until they are sent,
// saying so, and the assessor may leave anyway after being told plainly that they are lost. Leaving
// otherwise (back, a reload, closing) is asked about by the browser.

import { button, element, t } from "../lib/common.js";
import * as Sync from "../offline/sync.js";

/** Hold links and the page while `unfinished()` says a photo would be lost. */
export function holdWhileUnsent(unfinished) {
  let target = null;
  let leavingAnyway = false;
  const notice = element("div", "leaving-notice prompt");
  notice.setAttribute("role", "alert");
  notice.hidden = true;
  const words = element("p");
  notice.append(words, button(t("photo_leave_anyway"), () => go(true)));

  const say = () => {
    words.textContent = Sync.serverAnswering() ? t("photo_sending_wait") : t("photo_sending_offline");
  };
  function go(anyway) {
    if (!target || (!anyway && unfinished())) return;
    leavingAnyway = anyway;
    location.assign(target);
  }

  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || !unfinished()) return;
    const link = event.target.closest && event.target.closest("a[href]");
    if (!link || link.target || link.hasAttribute("download")) return;
    event.preventDefault();
    target = link.href;
    say();
    if (!notice.isConnected) (document.querySelector(".walk-nav") || document.querySelector("main") || document.body).before(notice);
    notice.hidden = false;
    Sync.probe();
  });
  document.addEventListener("sync:status", () => { if (target) say(); });
  document.addEventListener("sync:confirmed", () => go(false));
  window.addEventListener("beforeunload", (event) => {
    if (leavingAnyway || !unfinished()) return;
    event.preventDefault();
    event.returnValue = t("photo_pending");
  });
}
