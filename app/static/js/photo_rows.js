// A photo's row while it is made ready and sent: its preview, where it is (preparing, ready, on this
// phone, n%, saved, failed) and the buttons to try again or remove it. Evidence photos (photos.js)
// and the station's rectification photos (rectification.js) show the same rows.

import { element, failureText, t } from "./common.js";
import * as Sync from "./sync.js";

/** What still waits on the phone from `user` for the item `holder` stands for (data-assessment-id, data-item-id). */
export async function waitingHere(user, holder) {
  let waiting;
  try {
    waiting = await Sync.waitingFor(user);
  } catch (error) {
    return [];
  }
  const { assessmentId, itemId } = holder.dataset;
  return waiting.filter((e) => String(e.assessment_id) === assessmentId && e.item_id === itemId);
}

/** A new row for the photo whose outbox entry is (or will be) `mutationId`; not yet in the page. */
export function photoRow(mutationId) {
  const row = element("li", "photo-job");
  const preview = element("img", "photo-job-preview");
  preview.alt = "";
  const body = element("div", "photo-job-body");
  const state = element("span", "photo-job-state");
  const bar = element("progress", "photo-job-progress");
  bar.max = 100;
  bar.value = 0;
  const retry = element("button", "photo-job-retry", t("retry"));
  retry.type = "button";
  retry.hidden = true;
  const remove = element("button", "photo-job-remove link-button", t("photo_remove"));
  remove.type = "button";
  remove.hidden = true;
  body.append(state, bar, retry, remove);
  row.append(preview, body);
  return { mutationId, row, seq: null, state: "", rejected: false, inMemory: false, ui: { preview, body, state, bar, retry, remove } };
}

/** Where the photo is. Only a failed photo can be tried again; a refused one, or one not yet sent, removed. */
export function setRowState(job, state, text, percent) {
  job.state = state;
  job.row.dataset.state = state;
  job.ui.state.textContent = text || "";
  job.ui.bar.hidden = state !== "uploading";
  if (percent !== undefined) job.ui.bar.value = percent;
  job.ui.retry.hidden = state !== "failed";
  job.ui.remove.hidden = !((state === "failed" && job.rejected) || state === "ready");
}

/** What the outbox says about the photo's entry: waiting (and why the last try failed), or refused. */
export function showEntryState(job, entry) {
  job.seq = entry.seq;
  job.rejected = entry.state === "rejected";
  if (job.rejected) {
    const reason = entry.error === "lost" ? t("photo_lost") : entry.error;
    setRowState(job, "failed", `${t("photo_failed")}: ${reason}`);
  } else if (entry.error && entry.error !== "network" && entry.error !== "timeout") {
    setRowState(job, "failed", `${t("photo_failed")}: ${entry.error}`);
  } else if (entry.error) {
    setRowState(job, "queued", `${t("photo_queued")} ${failureText(entry.error)}`);
  } else {
    setRowState(job, "queued", entry.blob_in_memory ? t("photo_in_memory") : t("photo_queued"));
  }
}
