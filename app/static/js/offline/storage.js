// Whether the phone will keep what the outbox holds: persistent storage asked for, space left,
// and the iPhone's 7-day rule for sites not on the Home Screen. Answers the warnings to show.

import { t } from "../lib/common.js";

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
