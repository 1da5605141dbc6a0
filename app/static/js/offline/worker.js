// The page side of the service worker: registering it, asking it something (with a time limit),
// telling it of confirmed changes, in the messages of lib/shared.js; and asking for the server's
// copy of a page it showed from the phone (kept pages open from the phone at once and are fetched
// again behind them), to merge what changed there (offline/merge.js) into the page shown.

import { keptPageRefreshMs } from "../lib/phone.js";
import { WorkerMessage, workerMessage } from "../lib/shared.js";

const WORKER_TIMEOUT_MS = 10000;
let registered = Promise.resolve(false);
let failed = false;

/** Whether this browser refused the service worker (pages then do not open offline; the outbox still works). */
export const registrationFailed = () => failed;

/** Register /sw.js; answers true, or false when this browser has none or refused it. */
export function register(url) {
  registered = (async () => {
    if (!("serviceWorker" in navigator)) return false;
    try {
      await navigator.serviceWorker.register(url, { scope: "/" });
    } catch (error) {
      failed = true;
      return false;
    }
    return true;
  })();
  return registered;
}

/**
 * Ask the service worker something; answers null when there is none or it does not answer in time.
 * Where it could not be registered, at once: waiting for it would only delay a logout.
 */
export async function ask(type, fields = {}, ms = WORKER_TIMEOUT_MS) {
  const message = workerMessage(type, fields);
  if (!(await registered)) return null;
  const registration = await Promise.race([
    navigator.serviceWorker.ready,
    new Promise((resolve) => setTimeout(() => resolve(null), WORKER_TIMEOUT_MS)),
  ]);
  if (!registration || !registration.active) return null;
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), ms);
    channel.port1.onmessage = (event) => { clearTimeout(timer); resolve(event.data); };
    registration.active.postMessage(message, [channel.port2]);
  });
}

/** Tell the service worker something that needs no answer; nothing happens where there is none. */
async function tell(type, fields = {}) {
  const message = workerMessage(type, fields);
  if (!(await registered)) return;
  const registration = await navigator.serviceWorker.getRegistration();
  if (registration && registration.active) registration.active.postMessage(message);
}

/**
 * Each confirmed change goes to the service worker at once, so leaving the page before the sync
 * ends loses nothing; it refreshes the pages that need it once the outbox is empty.
 */
export function reportConfirmed(entry) {
  tell(WorkerMessage.CONFIRMED, { assessmentId: entry.assessment_id, itemId: entry.item_id, kind: entry.kind });
}

export function reportOutboxEmpty() {
  tell(WorkerMessage.OUTBOX_EMPTY);
}

// A worker asked after its answer is in still needs a moment to reply.
const ANSWER_MARGIN_MS = 5000;

/** Merge the server's copy of this page in, once the worker has it; answers whether anything changed. */
export async function mergeFreshCopy() {
  const answer = await ask(WorkerMessage.FRESH_PAGE, { url: location.href }, keptPageRefreshMs() + ANSWER_MARGIN_MS);
  if (!answer || !answer.copies) return false;
  const { editing, mergePage } = await import("./merge.js");
  const parse = (html) => new DOMParser().parseFromString(html, "text/html");
  // Parts the server drew anew (an assessment finalized meanwhile, say) are not merged but shown
  // whole: the worker holds the fresh copy now, and nothing is lost, since every change is in the
  // outbox. Only a field being typed in keeps the page as it is.
  if (!mergePage(parse(answer.copies.served), parse(answer.copies.fresh)) && !editing()) location.reload();
  document.dispatchEvent(new CustomEvent("page:refreshed"));
  return true;
}
