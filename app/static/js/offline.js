// The page side of working offline: the status bar (is the server answering, what waits, what
// waits for someone else), keeping assessments on the phone through the service worker, and the
// guards that keep a change from being dropped: leaving a page, logging out, starting offline.

import { button, element, fetchWhole, jsonOf, pageUser, showLines, t } from "./common.js";
import * as Outbox from "./outbox.js";
import * as Sync from "./sync.js";

const WORKER_TIMEOUT_MS = 10000;
// Saving a whole assessment (about 60 pages) on a slow link takes minutes, not seconds.
const CACHE_ASSESSMENT_TIMEOUT_MS = 5 * 60 * 1000;
const user = pageUser();
const indicator = document.getElementById("sync-indicator");
let entries = [];
let storageWarnings = [];
let workerRegistered = Promise.resolve(false);
let workerFailed = false;

const mine = () => entries.filter((e) => String(e.author) === String(user.id));
const othersWaiting = () => entries.filter((e) => String(e.author) !== String(user.id));

async function reread() {
  try {
    entries = (await Outbox.all()).filter((e) => e.kind !== "probe");
  } catch (error) {
    entries = [];
  }
  render();
}

function render() {
  renderIndicator();
  markIndexItems();
  guardFinalize();
}

/** The photo an entry changes: a photo's own entry, or the photo a caption is typed on. */
function photoOf(entry) {
  if (entry.kind === "photo") return entry.mutation_id;
  if (entry.kind === "caption") return entry.payload.photo_mutation_id || `id:${entry.payload.photo_id}`;
  return null;
}

/**
 * "3 项、2 张照片待同步": items (whatever waits for one item counts once), photos (a caption counts
 * with its photo) and signatures; then the items whose change waits for the assessor to finish it
 * (a draft is never sent, so it is not said to wait for the sync).
 */
export function waitingText(list) {
  const itemKey = (e) => `${e.assessment_id}:${e.item_id}`;
  const drafts = new Set(list.filter((e) => e.state === "draft").map(itemKey)).size;
  const sendable = list.filter((e) => e.state !== "draft");
  const itemEntries = sendable.filter((e) => !photoOf(e) && e.kind !== "signature");
  const items = new Set(itemEntries.map(itemKey)).size;
  const photos = new Set(sendable.map(photoOf).filter(Boolean)).size;
  const signatures = sendable.filter((e) => e.kind === "signature").length;
  let text = "";
  if (items && photos) text = t("waiting_items_photos", { items, photos });
  else if (items) text = t("waiting_items", items);
  else if (photos) text = t("waiting_photos", photos);
  const parts = [text, signatures && t("waiting_signatures", signatures), drafts && t("waiting_drafts", drafts)];
  return parts.filter(Boolean).join(" · ");
}

function serverWords() {
  const state = Sync.status();
  if (Sync.serverAnswering()) return ["online", t("online"), t("online_long")];
  if (state.server === "failing") return ["failing", t("server_failing"), t("server_failing_long")];
  if (state.server === "unknown") return ["unknown", t("checking"), t("checking_long")];
  return ["offline", t("offline"), t("offline_long")];
}

function renderIndicator() {
  if (!indicator) return;
  const waiting = mine();
  const rejected = waiting.filter((e) => e.state === "rejected");
  const [kind, short, long] = serverWords();
  const summary = indicator.querySelector(".sync-summary");
  const dot = element("span", `dot ${kind}`);
  const count = waitingText(waiting);
  const words = count ? `${short} · ${count}` : short;
  if (summary.textContent !== words || !summary.querySelector(`.dot.${kind}`)) summary.replaceChildren(dot, words);
  indicator.classList.toggle("has-waiting", waiting.length > 0);
  indicator.classList.toggle("is-offline", kind !== "online");
  indicator.dataset.server = kind;

  const panel = indicator.querySelector(".sync-panel-body");
  const lines = [element("p", null, long)];
  if (!Outbox.isDurable()) lines.push(element("p", "error", t("storage_unavailable")));
  if (!waiting.length && Outbox.isDurable()) lines.push(element("p", "saved", t("all_synced")));
  if (waiting.length) lines.push(element("p", null, count));
  const login = Sync.status().login;
  if (login === "needed") lines.push(element("p", "error", t("login_needed")));
  if (login === "other") lines.push(element("p", "error", t("login_other", { name: user.name })));
  lines.push(...rejected.map(rejectedEntry));
  const others = othersWaiting();
  if (others.length) {
    const names = [...new Set(others.map((e) => e.author_name || "?"))].join("、");
    lines.push(element("p", "prompt others-waiting", t("others_waiting", { count: waitingText(others), name: names })));
  }
  if (waiting.length) {
    const actions = element("div", "actions");
    actions.append(button(t("sync_now"), () => Sync.probe()), button(t("export"), exportWaiting));
    lines.push(actions);
  }
  if (workerFailed) lines.push(element("p", "prompt", t("worker_failed")));
  lines.push(...storageWarnings.map((warning) => element("p", "prompt", warning)));
  showLines(panel, lines);
}

function rejectedEntry(entry) {
  const box = element("div", "rejected");
  const kind = t(`${entry.kind === "photo" || entry.kind === "signature" ? entry.kind : "result"}_entry`);
  const reason = entry.error === "lost" ? t("photo_lost") : entry.error;
  box.append(element("p", null, t("refused_entry", { item: entry.item_id || t("signoff"), kind, reason })));
  const actions = element("div", "actions");
  if (entry.error !== "lost") actions.append(button(t("retry"), () => Outbox.retry(entry.seq)));
  actions.append(button(t("discard"), async () => { if (confirm(t("confirm_discard"))) await Outbox.remove(entry.seq); }));
  box.append(actions);
  return box;
}

function markIndexItems() {
  document.querySelectorAll("[data-index-assessment]").forEach((list) => {
    const ids = new Set(mine().filter((e) => String(e.assessment_id) === list.dataset.indexAssessment).map((e) => e.item_id));
    list.querySelectorAll("li[data-item-id]").forEach((li) => {
      let badge = li.querySelector(".badge.pending");
      if (ids.has(li.dataset.itemId) && !badge) {
        badge = element("span", "badge pending", t("waiting_badge"));
        li.querySelector(".row-link").append(badge);
      } else if (!ids.has(li.dataset.itemId) && badge) {
        badge.remove();
      }
    });
  });
}

function guardFinalize() {
  const finalize = document.querySelector("[data-finalize-assessment]");
  if (!finalize) return;
  const waiting = mine().filter((e) => String(e.assessment_id) === finalize.dataset.finalizeAssessment);
  const note = document.getElementById("finalize-waiting");
  note.hidden = waiting.length === 0;
  note.textContent = t("finalize_waiting", { count: waitingText(waiting) });
  finalize.querySelector("button").disabled = waiting.length > 0 || finalize.dataset.complete !== "true";
}

/**
 * Ask the service worker something; answers null when there is none or it does not answer in time.
 * Where it could not be registered, at once: waiting for it would only delay a logout.
 */
async function askWorker(message, ms = WORKER_TIMEOUT_MS) {
  if (!(await workerRegistered)) return null;
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

async function makeAvailableOffline(holder, force) {
  const id = holder.dataset.offlineAssessment;
  const label = holder.querySelector(".offline-label");
  const action = holder.querySelector("button");
  const cached = await askWorker({ type: "cached-assessments" }, CACHE_ASSESSMENT_TIMEOUT_MS);
  // Without a worker the line keeps its (empty) place rather than leave and move the page.
  if (!cached) return;
  holder.classList.remove("not-started");
  if (!force && cached.ids.includes(String(id))) {
    label.textContent = t("offline_ready");
    holder.classList.add("ready");
    return;
  }
  if (!force && holder.dataset.offlineAuto === "false") {
    label.textContent = t("offline_not_saved");
    return;
  }
  label.textContent = t("downloading");
  action.disabled = true;
  try {
    const list = jsonOf(await fetchWhole(holder.dataset.offlineUrls));
    if (!list) throw new Error("no list of pages");
    const message = { type: "cache-assessment", assessmentId: id, urls: list.urls };
    const result = await askWorker(message, CACHE_ASSESSMENT_TIMEOUT_MS);
    if (!result || !result.ok) throw new Error(result ? result.error : "no worker");
    label.textContent = t("offline_ready");
    holder.classList.add("ready");
  } catch (error) {
    label.textContent = t("offline_not_ready");
  } finally {
    action.disabled = false;
  }
}

function setUpOfflineButtons() {
  document.querySelectorAll("[data-offline-assessment]").forEach((holder) => {
    holder.querySelector("button").addEventListener("click", () => makeAvailableOffline(holder, true));
    makeAvailableOffline(holder, false);
  });
}

/** Tell the service worker something that needs no answer; nothing happens where there is none. */
async function tellWorker(message) {
  if (!(await workerRegistered)) return;
  const registration = await navigator.serviceWorker.getRegistration();
  if (registration && registration.active) registration.active.postMessage(message);
}

/**
 * Each confirmed change goes to the service worker at once, so leaving the page before the sync
 * ends loses nothing; it refreshes the pages that need it once the outbox is empty.
 */
function reportConfirmed(entry) {
  tellWorker({ type: "confirmed", assessmentId: entry.assessment_id, itemId: entry.item_id, kind: entry.kind });
}

function reportOutboxEmpty() {
  if (!mine().some((e) => e.state === "pending")) tellWorker({ type: "outbox-empty" });
}

function blobToDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/**
 * This user's waiting entries as a file an admin can import. A caption typed on a photo that is
 * itself still waiting goes into the photo's entry, since the photo has no id on the server yet.
 */
async function exportWaiting() {
  const own = (await Sync.waitingFor(user)).map((entry) => ({ ...entry, payload: { ...entry.payload } }));
  const photos = new Map(own.filter((e) => e.kind === "photo").map((e) => [e.mutation_id, e]));
  const exported = [];
  for (const entry of own) {
    const photo = entry.kind === "caption" && photos.get(entry.payload.photo_mutation_id);
    if (photo) {
      photo.payload.caption = entry.payload.caption;
      continue;
    }
    if (entry.blob) entry.blob = await blobToDataUrl(entry.blob);
    exported.push(entry);
  }
  const body = {
    format: "assessment-outbox",
    version: 1,
    exported_at: new Date().toISOString(),
    exported_by: user.username,
    entries: exported,
  };
  const file = new Blob([JSON.stringify(body, null, 1)], { type: "application/json" });
  const link = element("a");
  link.href = URL.createObjectURL(file);
  link.download = `outbox-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-")}.json`;
  document.body.append(link);
  link.click();
  link.remove();
}

/**
 * Logging out happens on the server first; only once it answered does the worker stop saving
 * pages under the old session and are this user's pages removed from the phone. With the server
 * unreachable nothing is done and the assessor is told so. What waits in the outbox stays: it
 * belongs to its author and is sent at their next login.
 */
async function logOut(form, dialog) {
  const message = dialog.querySelector(".logout-failed");
  message.hidden = true;
  let response = null;
  try {
    response = await fetchWhole(form.action, { method: "POST", body: new FormData(form) });
  } catch (error) {
    response = null;
  }
  if (!response || !response.ok || !new URL(response.url).pathname.startsWith("/login")) {
    message.textContent = t("logout_failed");
    message.hidden = false;
    if (!dialog.open) dialog.showModal();
    return;
  }
  await askWorker({ type: "stop-saving" });
  await askWorker({ type: "drop-assessment-caches" });
  location.assign(response.url);
}

function guardLogout() {
  const dialog = document.getElementById("logout-dialog");
  const form = document.querySelector("form.logout-form");
  if (!dialog || !form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await Outbox.written();
    await reread();
    const waiting = mine();
    dialog.querySelector(".logout-waiting").hidden = waiting.length === 0;
    dialog.querySelector(".logout-count").textContent = waiting.length ? t("logout_warning", { count: waitingText(waiting) }) : "";
    if (waiting.length) {
      dialog.querySelector(".logout-failed").hidden = true;
      dialog.showModal();
      return;
    }
    await logOut(form, dialog);
  });
  dialog.querySelector("[data-action=sync]").addEventListener("click", () => Sync.probe());
  dialog.querySelector("[data-action=export]").addEventListener("click", exportWaiting);
  dialog.querySelector("[data-action=leave]").addEventListener("click", () => logOut(form, dialog));
}

/** Starting an assessment needs the server: offline it is refused with words, not a browser error. */
function guardStart() {
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
async function serverAnswersNow() {
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
function guardServerForms() {
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
    if (await serverAnswersNow()) {
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

/** A link followed while a change is still being written to the phone waits for that write. */
function guardLinks() {
  document.addEventListener("click", async (event) => {
    if (!Outbox.writing() || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey) return;
    const link = event.target.closest && event.target.closest("a[href]");
    if (!link || link.target || link.hasAttribute("download")) return;
    event.preventDefault();
    await Outbox.written();
    location.assign(link.href);
  });
}

async function checkStorage() {
  storageWarnings = [];
  if (navigator.storage && navigator.storage.persist) {
    const persisted = await navigator.storage.persisted();
    if (!persisted) await navigator.storage.persist();
  }
  if (navigator.storage && navigator.storage.estimate) {
    const { usage, quota } = await navigator.storage.estimate();
    if (quota && quota - usage < 50 * 1024 * 1024) storageWarnings.push(t("storage_low"));
  }
  const iOS = /iPad|iPhone|iPod/.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  const standalone = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
  if (iOS && !standalone) {
    storageWarnings.push(t("ios_hint"));
    const banner = document.getElementById("ios-hint");
    if (banner) {
      banner.hidden = false;
      banner.textContent = t("ios_hint");
    }
  }
}

/** Whether the service worker is registered: true, or false when this browser has none or refused it. */
async function registerWorker() {
  if (!("serviceWorker" in navigator)) return false;
  try {
    await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  } catch (error) {
    workerFailed = true;
    renderIndicator();
    return false;
  }
  setUpOfflineButtons();
  return true;
}

async function start() {
  if (!user) return;
  if (indicator) indicator.classList.remove("not-started");
  workerRegistered = registerWorker();
  guardLinks();
  guardLogout();
  guardStart();
  guardServerForms();
  await Outbox.open();
  Outbox.onChange(reread);
  for (const name of ["sync:status", "sync:flushed", "sync:sending"]) document.addEventListener(name, render);
  document.addEventListener("sync:confirmed", (event) => reportConfirmed(event.detail.entry));
  document.addEventListener("sync:flushed", (event) => { if (event.detail.result === "done") reportOutboxEmpty(); });
  await reread();
  Sync.start(user);
  checkStorage().then(renderIndicator, () => {});
}

start();
