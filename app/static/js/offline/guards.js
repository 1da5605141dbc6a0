// What keeps a change or a form from being lost to a missing network: a link followed while a
// change is being written waits for the write; starting an assessment, 核对并定稿 and 定稿 need the
// server, and offline they are refused with words, every value entered left in place. Logging out
// happens on the server first; only once it answered does the worker stop saving pages under the
// old session and are this user's pages removed from the phone. With the server unreachable
// nothing is done and the assessor is told so. What waits in the outbox stays: it belongs to its
// author and is sent at their next login. With changes waiting, the dialog offers to sync or
// export them first.

import { element, fetchWhole, t } from "../lib/common.js";
import { isUrl } from "../lib/phone.js";
import { WorkerMessage } from "../lib/shared.js";
import { exportWaiting } from "./export.js";
import * as Outbox from "./outbox.js";
import * as Status from "./status.js";
import * as Sync from "./sync.js";
import * as Worker from "./worker.js";

/** A link followed while a change is still being written to the phone waits for that write. */
export function guardLinks() {
  document.addEventListener("click", async (event) => {
    if (!Outbox.writing() || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey) return;
    const link = event.target.closest && event.target.closest("a[href]");
    if (!link || link.target || link.hasAttribute("download")) return;
    event.preventDefault();
    await Outbox.written();
    location.assign(link.href);
  });
}

/** Starting an assessment needs the server: offline it is refused with words, not a browser error. */
export function guardStart() {
  const message = document.getElementById("start-offline");
  if (!message) return;
  const refuse = () => {
    message.textContent = t("start_offline");
    message.hidden = false;
  };
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("#station-results form")) return;
    event.preventDefault();
    message.hidden = true;
    try {
      const response = await fetchWhole(form.action, { method: "POST", body: new FormData(form) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      location.assign(response.url);
    } catch (error) {
      refuse();
    }
  });
  for (const name of ["htmx:sendError", "htmx:timeout"]) {
    document.addEventListener(name, (event) => { if (event.detail.elt.id === "station-search") refuse(); });
  }
  document.addEventListener("htmx:afterRequest", (event) => {
    if (event.detail.elt.id === "station-search" && event.detail.successful) message.hidden = true;
  });
}

/** Whether the server answers for this page's user now: asked, not guessed from the last sync. */
async function serverAnswersNow(user) {
  try {
    const me = await Sync.whoIsLoggedIn();
    return Boolean(me) && String(me.id) === String(user.id);
  } catch (error) {
    return false;
  }
}

/**
 * Forms that post a whole page (核对并定稿, 定稿, back to the summary) go only when the server
 * answers: offline they would land on a browser error page. Refused, the page stays as it is,
 * every value entered in place, and says why.
 */
export function guardServerForms(user) {
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("form[data-needs-server]")) return;
    if (form.dataset.serverChecked) {
      delete form.dataset.serverChecked;
      return;
    }
    event.preventDefault();
    const submitter = event.submitter;
    let message = form.querySelector(".needs-server");
    if (message) message.hidden = true;
    if (await serverAnswersNow(user)) {
      form.dataset.serverChecked = "yes";
      form.requestSubmit(submitter);
      return;
    }
    if (!message) {
      message = element("p", "error needs-server");
      message.setAttribute("role", "alert");
      form.prepend(message);
    }
    message.textContent = t("finalize_offline");
    message.hidden = false;
  });
}

async function logOut(form, dialog) {
  const message = dialog.querySelector(".logout-failed");
  message.hidden = true;
  let response = null;
  try {
    response = await fetchWhole(form.action, { method: "POST", body: new FormData(form) });
  } catch (error) {
    response = null;
  }
  if (!response || !response.ok || !isUrl("login", response.url)) {
    message.textContent = t("logout_failed");
    message.hidden = false;
    if (!dialog.open) dialog.showModal();
    return;
  }
  await Worker.ask(WorkerMessage.STOP_SAVING);
  await Worker.ask(WorkerMessage.DROP_ASSESSMENT_CACHES);
  location.assign(response.url);
}

export function guardLogout(user) {
  const dialog = document.getElementById("logout-dialog");
  const form = document.querySelector("form.logout-form");
  if (!dialog || !form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await Outbox.written();
    await Status.reread();
    const waiting = Status.mine();
    dialog.querySelector(".logout-waiting").hidden = waiting.length === 0;
    dialog.querySelector(".logout-count").textContent = waiting.length ? t("logout_warning", { count: Status.waitingText(waiting) }) : "";
    if (waiting.length) {
      dialog.querySelector(".logout-failed").hidden = true;
      dialog.showModal();
      return;
    }
    await logOut(form, dialog);
  });
  dialog.querySelector("[data-action=sync]").addEventListener("click", () => Sync.probe());
  dialog.querySelector("[data-action=export]").addEventListener("click", () => exportWaiting(user));
  dialog.querySelector("[data-action=leave]").addEventListener("click", () => logOut(form, dialog));
}
