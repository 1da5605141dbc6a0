// Counts that tell the truth on the phone: a result waiting in the outbox, or confirmed since the
// page was drawn, was entered and is never counted as unscored. The server draws each count with
// the items it found unscored (data-unscored, data-open-items); this recounts from those, so
// running it again (on every outbox change, on page show) gives the same answer, and without
// JavaScript the server's numbers stand.

import { element, pageUser, t } from "../lib/common.js";
import { Kind } from "../lib/phone.js";
import * as Outbox from "./outbox.js";

const user = pageUser();
const root = document.querySelector("[data-counts-assessment]");

const idsOf = (node, name) => JSON.parse(node.dataset[name] || "[]");

/**
 * The items among `open` that were entered on this phone: `waiting` (item → whether the page's
 * user is among those whose result waits) and `confirmed` (sent since the page was drawn).
 */
async function entered(assessmentId, open) {
  const waiting = new Map();
  for (const entry of await Outbox.all()) {
    if (entry.kind !== Kind.finding || entry.state !== "pending") continue;
    if (String(entry.assessment_id) !== String(assessmentId) || !open.has(entry.item_id)) continue;
    if (!entry.payload.outcome && !entry.payload.inputs) continue;
    waiting.set(entry.item_id, Boolean(waiting.get(entry.item_id)) || String(entry.author) === String(user.id));
  }
  const confirmed = new Set();
  await Promise.all([...open].filter((id) => !waiting.has(id)).map(async (id) => {
    const record = await Outbox.confirmedFor(`${Kind.finding}:${assessmentId}:${id}`);
    if (record && record.finding && record.finding.outcome) confirmed.add(id);
  }));
  return { waiting, confirmed };
}

function mark(holder, count) {
  let badge = holder.querySelector(":scope > .waiting-count");
  if (!count) {
    if (badge) badge.remove();
    return;
  }
  if (!badge) {
    badge = element("span", "badge pending waiting-count");
    holder.append(badge);
  }
  badge.textContent = t("waiting_count", count);
}

function showProgress(found) {
  const holder = document.getElementById("progress");
  if (!holder || !holder.dataset.unscored) return;
  const progress = holder.querySelector("progress");
  const unscored = idsOf(holder, "unscored");
  const total = Number(progress.max);
  const open = unscored.filter((id) => !found.waiting.has(id) && !found.confirmed.has(id)).length;
  const scored = total - open;
  progress.value = scored;
  progress.textContent = `${scored}/${total}`;
  holder.querySelector(".progress-count").textContent = `${scored}/${total}`;
  mark(holder.querySelector(".progress-line"), unscored.filter((id) => found.waiting.has(id)).length);
}

/** A line that counts open items (a category's, the checklist's) says how many are still open. */
function showOpenCount(node, found) {
  if (!("shown" in node.dataset)) node.dataset.shown = node.firstChild ? node.firstChild.textContent : "";
  const ids = idsOf(node, "openItems");
  const open = ids.filter((id) => !found.waiting.has(id) && !found.confirmed.has(id)).length;
  const waiting = ids.filter((id) => found.waiting.has(id)).length;
  const total = Number(node.dataset.total || ids.length);
  let text = node.dataset.shown;
  if (open < ids.length) {
    const key = open === 0 && node.dataset.doneText ? node.dataset.doneText : node.dataset.openText;
    text = t(key, { n: open, scored: total - open, total });
  }
  node.firstChild.textContent = text;
  mark(node, waiting);
}

/** The index's "not yet" badge of an item entered on the phone says so instead. */
function showBadges(found) {
  document.querySelectorAll("li[data-item-id] [data-unscored-badge]").forEach((badge) => {
    const id = badge.closest("li").dataset.itemId;
    if (!("shown" in badge.dataset)) badge.dataset.shown = badge.textContent;
    // The page's user's own waiting results get their 待同步 badge from the status bar (status.js).
    badge.hidden = found.waiting.get(id) === true;
    // Not .pending: the status bar's own badges go by that class, and would take this one for theirs.
    badge.classList.toggle("entered", found.waiting.has(id) || found.confirmed.has(id));
    if (found.waiting.has(id)) badge.textContent = t("waiting_badge");
    else badge.textContent = found.confirmed.has(id) ? t("synced") : badge.dataset.shown;
  });
}

/** Recount every count of the page from the server's numbers and what the phone holds. */
export async function showCounts() {
  if (!root || !user) return;
  const progress = document.getElementById("progress");
  const open = new Set(progress && progress.dataset.unscored ? idsOf(progress, "unscored") : []);
  document.querySelectorAll("[data-open-items]").forEach((node) => idsOf(node, "openItems").forEach((id) => open.add(id)));
  if (!open.size) return;
  let found;
  try {
    found = await entered(root.dataset.countsAssessment, open);
  } catch (error) {
    return;
  }
  showProgress(found);
  document.querySelectorAll("[data-open-items]").forEach((node) => showOpenCount(node, found));
  showBadges(found);
}

if (root && user) {
  Outbox.onChange(() => showCounts());
  window.addEventListener("pageshow", () => showCounts());
  showCounts();
}
