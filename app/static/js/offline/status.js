// The status bar: is the server answering, what waits (per item, per photo), what the server
// refused, what waits for someone else on this phone; and the marks it leaves on the page (the
// index's 待同步 badges, 定稿 held back while changes wait).

import { button, element, showLines, t } from "../lib/common.js";
import { Kind } from "../lib/phone.js";
import { exportWaiting } from "./export.js";
import * as Outbox from "./outbox.js";
import * as Sync from "./sync.js";
import * as Worker from "./worker.js";

const indicator = document.getElementById("sync-indicator");
let user = null;
let entries = [];
let storageWarnings = [];

/** This page user's entries, as last read. */
export const mine = () => entries.filter((e) => String(e.author) === String(user.id));
const othersWaiting = () => entries.filter((e) => String(e.author) !== String(user.id));

export function start(pageUser) {
  user = pageUser;
  if (indicator) indicator.classList.remove("not-started");
}

export function showStorageWarnings(warnings) {
  storageWarnings = warnings;
  renderIndicator();
}

/** Read the outbox again and show it. */
export async function reread() {
  try {
    entries = (await Outbox.all()).filter((e) => e.kind !== Outbox.PROBE);
  } catch (error) {
    entries = [];
  }
  render();
}

export function render() {
  renderIndicator();
  markIndexItems();
  guardFinalize();
}

/** The photo an entry changes: a photo's own entry, or the photo a caption is typed on. */
function photoOf(entry) {
  if (entry.kind === Kind.photo) return entry.mutation_id;
  if (entry.kind === Kind.caption) return entry.payload.photo_mutation_id || `id:${entry.payload.photo_id}`;
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
  const lost = list.filter((e) => e.kind === Kind.photo && e.error === Outbox.LOST).length;
  const sendable = list.filter((e) => e.state !== "draft" && e.error !== Outbox.LOST);
  const itemEntries = sendable.filter((e) => !photoOf(e) && e.kind !== Kind.signature);
  const items = new Set(itemEntries.map(itemKey)).size;
  const photos = new Set(sendable.map(photoOf).filter(Boolean)).size;
  const signatures = sendable.filter((e) => e.kind === Kind.signature).length;
  let text = "";
  if (items && photos) text = t("waiting_items_photos", { items, photos });
  else if (items) text = t("waiting_items", items);
  else if (photos) text = t("waiting_photos", photos);
  const parts = [text, signatures && t("waiting_signatures", signatures), drafts && t("waiting_drafts", drafts), lost && t("photos_lost", lost)];
  return parts.filter(Boolean).join(" · ");
}

function serverWords() {
  const state = Sync.status();
  if (Sync.serverAnswering()) return ["online", t("online"), t("online_long")];
  if (state.server === "failing") return ["failing", t("server_failing"), t("server_failing_long")];
  if (state.server === "unknown") return ["unknown", t("checking"), t("checking_long")];
  return ["offline", t("offline"), t("offline_long")];
}

export function renderIndicator() {
  if (!indicator || !user) return;
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
    actions.append(button(t("sync_now"), () => Sync.probe()), button(t("export"), () => exportWaiting(user)));
    lines.push(actions);
  }
  if (Worker.registrationFailed()) lines.push(element("p", "prompt", t("worker_failed")));
  lines.push(...storageWarnings.map((warning) => element("p", "prompt", warning)));
  showLines(panel, lines);
}

function rejectedEntry(entry) {
  const box = element("div", "rejected");
  const kind = t(`${entry.kind === Kind.photo || entry.kind === Kind.signature ? entry.kind : "result"}_entry`);
  const reason = entry.error === Outbox.LOST ? t("photo_lost") : entry.error;
  box.append(element("p", null, t("refused_entry", { item: entry.item_id || t("signoff"), kind, reason })));
  const actions = element("div", "actions");
  if (entry.error !== Outbox.LOST) actions.append(button(t("retry"), () => Outbox.retry(entry.seq)));
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
