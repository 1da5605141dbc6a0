// A page kept on the phone opens from there at once, and the service worker fetches it again
// behind it. Once the server's copy is in, what changed there (a teammate's result, a new score)
// is merged into the page shown: a three-way merge of the copy shown, the page as it is now and the
// server's copy. What the assessor or a script of the page changed since it opened stays as it is,
// and the field being edited is never touched.

import { keptPageRefreshMs } from "../lib/phone.js";
import { WorkerMessage } from "../lib/shared.js";
import * as Worker from "./worker.js";

const FIELDS = "input, textarea, select";
// Parts a script of the page holds (its listeners, its state): they are merged into, never replaced.
const HELD = `${FIELDS}, button, canvas, [data-offline-assessment]`;
// A worker asked after its answer is in still needs a moment to reply.
const ANSWER_MARGIN_MS = 5000;

/** Merge the server's copy of this page in, once the worker has it; answers whether anything changed. */
export async function mergeFreshCopy() {
  const answer = await Worker.ask(WorkerMessage.FRESH_PAGE, { url: location.href }, keptPageRefreshMs() + ANSWER_MARGIN_MS);
  if (!answer || !answer.copies) return false;
  const parse = (html) => new DOMParser().parseFromString(html, "text/html");
  const served = parse(answer.copies.served);
  const fresh = parse(answer.copies.fresh);
  merge(document.getElementById("main"), served.getElementById("main"), fresh.getElementById("main"));
  const token = 'meta[name="csrf-token"]';
  merge(document.querySelector(token), served.querySelector(token), fresh.querySelector(token));
  document.dispatchEvent(new CustomEvent("page:refreshed"));
  return true;
}

/** Bring into `live` what changed from `served` to `fresh`, where `live` still shows what was served. */
function merge(live, served, fresh) {
  if (!live || !served || !fresh || served.isEqualNode(fresh)) return;
  if (live.matches(FIELDS)) {
    mergeField(live, served, fresh);
    return;
  }
  if (live.isEqualNode(served) && !live.matches(HELD) && !live.querySelector(HELD) && !fresh.querySelector(HELD)) {
    live.replaceWith(document.importNode(fresh, true));
    return;
  }
  mergeAttributes(live, served, fresh);
  const [now, before, after] = [live, served, fresh].map((node) => [...node.children]);
  const sameShape =
    before.length === after.length &&
    now.length >= before.length &&
    before.every((child, i) => child.tagName === after[i].tagName && child.tagName === now[i].tagName);
  if (sameShape) before.forEach((child, i) => merge(now[i], child, after[i]));
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
