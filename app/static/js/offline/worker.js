// The page side of the service worker: registering it, asking it something (with a time limit),
// telling it of confirmed changes, in the messages of lib/shared.js; and merging in the server's
// copy of a page it showed from the phone.
//
// A page kept on the phone opens from there at once, and the worker fetches it again behind it.
// Once the server's copy is in, what changed there (a teammate's result, a new score) is merged
// into the page shown: a three-way merge of the copy shown, the page as it is now and the server's
// copy. What the assessor or a script of the page changed since it opened stays as it is, and the
// field being edited is never touched.

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

const FIELDS = "input, textarea, select";
// Parts a script of the page holds (its listeners, its state): they are merged into, never replaced.
const HELD = `${FIELDS}, button, canvas, [data-offline-assessment]`;
// A worker asked after its answer is in still needs a moment to reply.
const ANSWER_MARGIN_MS = 5000;

/** Merge the server's copy of this page in, once the worker has it; answers whether anything changed. */
export async function mergeFreshCopy() {
  const answer = await ask(WorkerMessage.FRESH_PAGE, { url: location.href }, keptPageRefreshMs() + ANSWER_MARGIN_MS);
  if (!answer || !answer.copies) return false;
  const parse = (html) => new DOMParser().parseFromString(html, "text/html");
  const served = parse(answer.copies.served);
  const fresh = parse(answer.copies.fresh);
  const token = 'meta[name="csrf-token"]';
  merge(document.querySelector(token), served.querySelector(token), fresh.querySelector(token));
  const merged = merge(document.getElementById("main"), served.getElementById("main"), fresh.getElementById("main"));
  // Parts the server drew anew (an assessment finalized meanwhile, say) are not merged but shown
  // whole: the worker holds the fresh copy now, and nothing is lost, since every change is in the
  // outbox. Only a field being typed in keeps the page as it is.
  if (!merged && !document.activeElement.matches(FIELDS)) location.reload();
  document.dispatchEvent(new CustomEvent("page:refreshed"));
  return true;
}

/**
 * Bring into `live` what changed from `served` to `fresh`, where `live` still shows what was
 * served. Answers false where the server's copy changed shape around what the page's scripts hold.
 */
function merge(live, served, fresh) {
  if (!live || !served || !fresh || served.isEqualNode(fresh)) return true;
  if (live.matches(FIELDS)) {
    mergeField(live, served, fresh);
    return true;
  }
  const held = live.matches(HELD) || live.querySelector(HELD) || fresh.querySelector(HELD);
  if (live.isEqualNode(served) && !held) {
    live.replaceWith(document.importNode(fresh, true));
    return true;
  }
  mergeAttributes(live, served, fresh);
  const [now, before, after] = [live, served, fresh].map((node) => [...node.children]);
  const sameShape =
    before.length === after.length &&
    now.length >= before.length &&
    before.every((child, i) => child.tagName === after[i].tagName && child.tagName === now[i].tagName);
  if (!sameShape) return !held;
  return before.map((child, i) => merge(now[i], child, after[i])).every(Boolean);
}

const OWN_STATE = new Set(["value", "checked"]);

function mergeAttributes(live, served, fresh) {
  const names = new Set([...served.getAttributeNames(), ...fresh.getAttributeNames()]);
  for (const name of names) {
    if (live.matches(FIELDS) && OWN_STATE.has(name)) continue;
    const [before, after] = [served.getAttribute(name), fresh.getAttribute(name)];
    if (before === after || live.getAttribute(name) !== before) continue;
    if (after === null) live.removeAttribute(name);
    else live.setAttribute(name, after);
  }
}

/** A field takes the server's value only while it shows the one first served and is not being edited. */
function mergeField(live, served, fresh) {
  if (live === document.activeElement) return;
  mergeAttributes(live, served, fresh);
  if (live.type === "radio" || live.type === "checkbox") {
    if (live.checked === served.hasAttribute("checked")) live.checked = fresh.hasAttribute("checked");
  } else if (live.value === served.value) {
    live.value = fresh.value;
  }
}
