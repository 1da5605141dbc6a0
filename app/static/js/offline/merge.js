// Merging the server's copy of a page shown from the phone into the page as it is now: a
// three-way merge of the copy shown, the page now and the server's copy. What the assessor or a
// script of the page changed since it opened stays as it is, and the field being edited is never
// touched. Loaded only when the server's copy differs (offline/worker.js).

const FIELDS = "input, textarea, select";
// Parts a script of the page holds (its listeners, its state): they are merged into, never replaced.
const HELD = `${FIELDS}, button, canvas, [data-offline-assessment]`;

const TOKEN = 'meta[name="csrf-token"]';

/**
 * Merge `fresh` (the server's page) into this document, which showed `served`; answers false where
 * the server drew a part anew around what the page's scripts hold, and the page must be shown whole.
 */
export function mergePage(served, fresh) {
  const token = fresh.querySelector(TOKEN);
  if (token) [document, served, fresh].forEach((page) => takeToken(page, token.content));
  return merge(document.getElementById("main"), served.getElementById("main"), fresh.getElementById("main"));
}

/**
 * Every render signs the session's CSRF token anew, so the server's copy always differs there: the
 * page takes the new token everywhere it is written, and the two copies stop differing in it, or
 * each page shown from the phone would look changed.
 */
function takeToken(page, value) {
  page.querySelector(TOKEN).setAttribute("content", value);
  page.body.setAttribute("hx-headers", JSON.stringify({ "X-CSRFToken": value }));
  page.querySelectorAll('input[name="csrf_token"]').forEach((input) => {
    input.setAttribute("value", value);
    input.value = value;
  });
}

/** Whether a field is being typed in. */
export const editing = () => document.activeElement.matches(FIELDS);

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
