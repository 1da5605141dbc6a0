// What Python tells the page scripts (app/web/phone.py), read from the page's #phone JSON block:
// the time a JSON request may take, the limits of what is typed, the kinds of outbox entry, the
// count rule and the addresses of the server. None of it is typed again here.

import { fillUrl, matchUrl } from "./shared.js";

const holder = document.getElementById("phone");
const values = holder ? JSON.parse(holder.textContent) : { limits: {}, kinds: [], urls: {}, count: {} };

export const jsonTimeoutMs = () => values.json_timeout_ms;

/** The most characters the field `name` takes (note, caption, no_photo_reason …). */
export const maxLength = (name) => values.limits[name];

/** Each kind of outbox entry by its own name (Kind.finding === "finding"); a name Python does not list throws. */
export const Kind = new Proxy(Object.freeze(Object.fromEntries(values.kinds.map((kind) => [kind, kind]))), {
  get(kinds, name) {
    if (Object.hasOwn(kinds, name)) return kinds[name];
    throw new TypeError(`no outbox entry kind ${String(name)}`);
  },
});

/** The count typed in `text`, or the text itself when it is no count (the server refuses it, naming the field). */
export function countOf(text) {
  const { pattern, max } = values.count;
  if (!new RegExp(`^(?:${pattern})$`).test(text)) return text;
  const count = Number(text);
  return count <= max ? count : text;
}

/** The server's address `name` with each {field} filled in from `fields`. */
export const urlFor = (name, fields = {}) => fillUrl(address(name), fields);

/** Whether `url` is the server's address `name` (the login page, say), whatever its fields. */
export const isUrl = (name, url) => matchUrl(address(name), new URL(url, location.href).pathname) !== null;

function address(name) {
  const template = values.urls[name];
  if (!template) throw new Error(`no address named ${name}`);
  return template;
}

/** How long the service worker may take to fetch again a page it showed from the phone. */
export const keptPageRefreshMs = () => values.kept_page_refresh_ms;
