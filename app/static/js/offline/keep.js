// Keeping an assessment on the phone: the line on the home list and the assessment's pages
// (保存以供离线使用) that asks the service worker to keep every page of its walk, n of N; and whether the
// phone will keep what the outbox holds: persistent storage asked for, space left, and the
// iPhone's 7-day rule for sites not on the Home Screen.

import { t } from "../lib/common.js";
import { WorkerMessage } from "../lib/shared.js";
import * as Worker from "./worker.js";

// Saving a whole assessment (about 60 pages) on a slow link takes minutes, not seconds.
const CACHE_ASSESSMENT_TIMEOUT_MS = 5 * 60 * 1000;

/** The line of one assessment: n/N pages held, "可离线使用" only when all are. */
function showCount(holder, count, keeping) {
  const label = holder.querySelector(".offline-label");
  const whole = Boolean(count) && count.total > 0 && count.stored === count.total;
  holder.classList.remove("not-started");
  holder.classList.toggle("ready", whole && !keeping);
  if (keeping) label.textContent = count ? t("keeping_count", count) : t("downloading");
  else if (whole) label.textContent = t("kept_whole", count);
  else if (count) label.textContent = t("kept_part", count);
  else label.textContent = t("offline_not_saved");
}

/** Keep an assessment (or go on with a keep cut short), showing each page as it is stored. */
async function keep(holder) {
  const id = holder.dataset.offlineAssessment;
  const action = holder.querySelector("button");
  action.disabled = true;
  const done = Worker.ask(WorkerMessage.CACHE_ASSESSMENT, { assessmentId: id }, CACHE_ASSESSMENT_TIMEOUT_MS);
  let finished = false;
  done.finally(() => { finished = true; });
  while (!finished) {
    const answer = await Promise.race([done.then(() => null), Worker.ask(WorkerMessage.KEEP_PROGRESS, { assessmentId: id })]);
    if (answer && answer.count && !finished) showCount(holder, answer.count, answer.count.keeping);
    if (answer && answer.count && !answer.count.keeping) break;
  }
  const result = await done;
  action.disabled = false;
  if (result && result.ok) {
    showCount(holder, result, false);
    return;
  }
  const now = await Worker.ask(WorkerMessage.CACHED_ASSESSMENTS);
  const count = now && now.kept[id];
  showCount(holder, count, false);
  if (!count) holder.querySelector(".offline-label").textContent = t("offline_not_ready");
}

/**
 * Each assessment line of the page: how much of it the phone holds. On its own pages (not on the
 * home, which says data-offline-auto="false") it is kept at once, and kept up to date (the
 * server's list again, the pages not yet held) each time; a keep cut short goes on on any page.
 */
async function showOrKeep(holders) {
  const answer = await Worker.ask(WorkerMessage.CACHED_ASSESSMENTS, {}, CACHE_ASSESSMENT_TIMEOUT_MS);
  // Without a worker the lines keep their (empty) place rather than leave and move the page.
  if (!answer) return;
  for (const holder of holders) {
    const count = answer.kept[holder.dataset.offlineAssessment];
    const whole = count && count.stored === count.total;
    showCount(holder, count, false);
    if (holder.dataset.offlineAuto !== "false" || (count && !whole)) keep(holder);
  }
}

export function setUpOfflineButtons() {
  const holders = [...document.querySelectorAll("[data-offline-assessment]")];
  holders.forEach((holder) => holder.querySelector("button").addEventListener("click", () => keep(holder)));
  showOrKeep(holders);
  window.addEventListener("online", () => showOrKeep(holders));
}

const LOW_STORAGE_BYTES = 50 * 1024 * 1024;

export async function checkStorage() {
  const warnings = [];
  if (navigator.storage && navigator.storage.persist) {
    const persisted = await navigator.storage.persisted();
    if (!persisted) await navigator.storage.persist();
  }
  if (navigator.storage && navigator.storage.estimate) {
    const { usage, quota } = await navigator.storage.estimate();
    if (quota && quota - usage < LOW_STORAGE_BYTES) warnings.push(t("storage_low"));
  }
  const iOS = /iPad|iPhone|iPod/.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  const standalone = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
  if (iOS && !standalone) {
    warnings.push(t("ios_hint"));
    const banner = document.getElementById("ios-hint");
    if (banner) {
      banner.hidden = false;
      banner.textContent = t("ios_hint");
    }
  }
  return warnings;
}
