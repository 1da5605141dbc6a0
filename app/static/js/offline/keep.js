// Keeping an assessment on the phone: the line on the home list and the assessment's pages
// (保存以供离线使用) that asks the service worker to save every page of its walk; and whether the
// phone will keep what the outbox holds: persistent storage asked for, space left, and the
// iPhone's 7-day rule for sites not on the Home Screen.

import { fetchWhole, jsonOf, t } from "../lib/common.js";
import { WorkerMessage } from "../lib/shared.js";
import * as Worker from "./worker.js";

// Saving a whole assessment (about 60 pages) on a slow link takes minutes, not seconds.
const CACHE_ASSESSMENT_TIMEOUT_MS = 5 * 60 * 1000;

async function makeAvailableOffline(holder, force) {
  const id = holder.dataset.offlineAssessment;
  const label = holder.querySelector(".offline-label");
  const action = holder.querySelector("button");
  const cached = await Worker.ask(WorkerMessage.CACHED_ASSESSMENTS, {}, CACHE_ASSESSMENT_TIMEOUT_MS);
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
    const fields = { assessmentId: id, urls: list.urls };
    const result = await Worker.ask(WorkerMessage.CACHE_ASSESSMENT, fields, CACHE_ASSESSMENT_TIMEOUT_MS);
    if (!result || !result.ok) throw new Error(result ? result.error : "no worker");
    label.textContent = t("offline_ready");
    holder.classList.add("ready");
  } catch (error) {
    label.textContent = t("offline_not_ready");
  } finally {
    action.disabled = false;
  }
}

/** Each assessment line of the page: kept at once (unless it says not to), or on a tap. */
export function setUpOfflineButtons() {
  document.querySelectorAll("[data-offline-assessment]").forEach((holder) => {
    holder.querySelector("button").addEventListener("click", () => makeAvailableOffline(holder, true));
    makeAvailableOffline(holder, false);
  });
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
