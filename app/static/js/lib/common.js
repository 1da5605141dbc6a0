// What every page script shares: the CSRF token, mutation ids, the UI strings the server hands
// over in <script id="ui-strings">, the logged-in user, and fetch with a timeout.

import { jsonTimeoutMs } from "./phone.js";

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export function newMutationId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

let strings = null;

/** The UI string `key` in the page's language; "%(name)s" takes values[name], "%(n)s" a bare number. */
export function t(key, values) {
  if (strings === null) {
    const holder = document.getElementById("ui-strings");
    strings = holder ? JSON.parse(holder.textContent) : {};
  }
  const named = typeof values === "object" && values !== null ? values : { n: values };
  return (strings[key] || key).replace(/%\((\w+)\)s/g, (match, name) => (name in named ? named[name] : match));
}

/** Why the last try of a waiting entry failed, in words: it still waits and is tried again. */
export function failureText(error) {
  if (error === "timeout" || error === "network") return t(`failure_${error}`);
  return t("failure_server", { reason: error });
}

/** The logged-in user as the page was rendered for: {id, username, name}, or null. */
export function pageUser() {
  const holder = document.getElementById("page-user");
  return holder ? JSON.parse(holder.textContent) : null;
}

/**
 * fetch() and its whole body within `ms`, or a TimeoutError: a server that accepts and never
 * answers, or sends its headers and then stalls, must not hang a save. Answers {status, ok, url,
 * redirected, text}: the body is already read, so nothing after it can wait without a limit.
 */
export async function fetchWhole(url, options = {}, ms = jsonTimeoutMs()) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, ms);
  try {
    const response = await fetch(url, { credentials: "same-origin", ...options, signal: controller.signal });
    const text = await response.text();
    return { status: response.status, ok: response.ok, url: response.url, redirected: response.redirected, text };
  } catch (error) {
    throw timedOut ? new DOMException("timeout", "TimeoutError") : error;
  } finally {
    clearTimeout(timer);
  }
}

/** The JSON body of an answer fetchWhole() read, or null when it is not JSON. */
export function jsonOf(answer) {
  try {
    return JSON.parse(answer.text);
  } catch (error) {
    return null;
  }
}

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

export function button(label, onClick, className) {
  const node = element("button", className, label);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

/** Put `nodes` into `holder` unless it already shows the same: a live region re-read on every event
 *  would chatter to screen readers, and a node replaced under a finger or a test goes stale. */
export function showLines(holder, nodes) {
  const same = holder.children.length === nodes.length &&
    nodes.every((node, i) => node.outerHTML === holder.children[i].outerHTML);
  if (!same) holder.replaceChildren(...nodes);
}
