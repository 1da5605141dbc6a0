// Logging out happens on the server first; only once it answered does the worker stop saving
// pages under the old session and are this user's pages removed from the phone. With the server
// unreachable nothing is done and the assessor is told so. What waits in the outbox stays: it
// belongs to its author and is sent at their next login. With changes waiting, the dialog offers
// to sync or export them first.

import { fetchWhole, t } from "../lib/common.js";
import { isUrl } from "../lib/phone.js";
import { exportWaiting } from "./export.js";
import { WorkerMessage } from "./messages.js";
import * as Outbox from "./outbox.js";
import * as Status from "./status.js";
import * as Sync from "./sync.js";
import * as Worker from "./worker.js";

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
