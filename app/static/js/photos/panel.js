// The photos of one item being made ready and sent, shared by evidence photos (pages/photos.js)
// and the station's rectification photos (pages/rectification.js): a row per photo with its
// preview, where it is (preparing, ready, on this phone, n%, saved, failed) and the buttons to try
// again or remove it; the rows follow the outbox and the sync engine, and come back after a reload.

import { element, failureText, t } from "../lib/common.js";
import { Kind } from "../lib/phone.js";
import * as Outbox from "../offline/outbox.js";
import * as Sync from "../offline/sync.js";

/** A new row for the photo whose outbox entry is (or will be) `mutationId`; not yet in the page. */
function photoRow(mutationId) {
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
function showEntryState(job, entry) {
  job.seq = entry.seq;
  job.rejected = entry.state === "rejected";
  if (job.rejected) {
    const reason = entry.error === Outbox.LOST ? t("photo_lost") : entry.error;
    setRowState(job, "failed", `${t("photo_failed")}: ${reason}`);
  } else if (entry.error && entry.error !== "network" && entry.error !== "timeout") {
    setRowState(job, "failed", `${t("photo_failed")}: ${entry.error}`);
  } else if (entry.error) {
    setRowState(job, "queued", `${t("photo_queued")} ${failureText(entry.error)}`);
  } else {
    setRowState(job, "queued", entry.blob_in_memory ? t("photo_in_memory") : t("photo_queued"));
  }
}

/** The row says the photo is in the outbox now, on the phone or (where it cannot be kept) in memory. */
export function showKept(job, kept) {
  job.seq = kept.seq;
  job.inMemory = Boolean(kept.blob_in_memory);
  setRowState(job, "queued", job.inMemory ? t("photo_in_memory") : t("photo_queued"));
}

export class PhotoPanel {
  /**
   * `holder` names the item (data-assessment-id, data-item-id) and `list` holds the rows;
   * `purpose` is the photos' own ("rectification"), if any; `onNewRow(job)` adds to a new row what
   * the page shows more, `onRemove(job)` runs once a row is removed. The page passes the engine's
   * events to sending(), confirmed() and follow().
   */
  constructor(user, holder, list, { purpose = undefined, onNewRow = () => {}, onRemove = () => {} } = {}) {
    this.user = user;
    this.holder = holder;
    this.list = list;
    this.purpose = purpose;
    this.onNewRow = onNewRow;
    this.onRemove = onRemove;
    this.jobs = new Map();
  }

  /** What still waits on the phone from this user for this item. */
  async waitingHere() {
    let waiting;
    try {
      waiting = await Sync.waitingFor(this.user);
    } catch (error) {
      return [];
    }
    const { assessmentId, itemId } = this.holder.dataset;
    return waiting.filter((e) => String(e.assessment_id) === assessmentId && e.item_id === itemId);
  }

  /** What every outbox entry about this item carries: its author and the item. */
  base() {
    const { assessmentId, itemId } = this.holder.dataset;
    return { author: this.user.id, author_name: this.user.name, assessment_id: assessmentId, item_id: itemId };
  }

  /** The outbox entry of a photo of this panel, with `fields`. */
  entry(fields) {
    return { ...this.base(), kind: Kind.photo, ...(this.purpose ? { purpose: this.purpose } : {}), ...fields };
  }

  newJob(mutationId) {
    const job = photoRow(mutationId);
    this.list.append(job.row);
    job.ui.retry.addEventListener("click", async () => {
      if (job.seq && job.state === "failed") await Outbox.retry(job.seq);
      Sync.probe();
    });
    job.ui.remove.addEventListener("click", () => this.remove(job));
    this.jobs.set(mutationId, job);
    this.onNewRow(job);
    return job;
  }

  async remove(job) {
    if (job.seq) await Outbox.remove(job.seq);
    this.jobs.delete(job.mutationId);
    job.row.remove();
    await this.onRemove(job);
  }

  /** Rows for the photos of this panel still waiting in `entries` (a reload, a later visit). */
  restore(entries) {
    const photos = entries.filter((e) => e.kind === Kind.photo && e.purpose === this.purpose);
    return photos.map((entry) => {
      const job = this.newJob(entry.mutation_id);
      if (entry.blob) job.ui.preview.src = URL.createObjectURL(entry.blob);
      showEntryState(job, entry);
      return [job, entry];
    });
  }

  /** The outbox changed: each row in it that is not on its way says where its entry is. */
  follow(entries) {
    const sending = Sync.status().sending;
    for (const job of this.jobs.values()) {
      if (!job.seq || job.state === "saved" || job.state === "preparing") continue;
      const entry = entries.find((e) => e.mutation_id === job.mutationId);
      if (entry && !sending.some((e) => e.mutation_id === job.mutationId)) showEntryState(job, entry);
    }
  }

  /** Answers the row of `entry` when it is this panel's, now `percent` sent. */
  sending(entry, percent) {
    const job = entry && this.jobs.get(entry.mutation_id);
    if (job) setRowState(job, "uploading", `${percent}%`, percent);
    return job;
  }

  /** Answers the row of `entry` when it is this panel's, now saved on the server. */
  confirmed(entry) {
    const job = this.jobs.get(entry.mutation_id);
    if (job) setRowState(job, "saved", t("photo_saved"));
    return job;
  }

  /** A photo this browser keeps only in memory is lost if the page is left before it is sent. */
  unfinished() {
    return [...this.jobs.values()].some((job) => job.inMemory && job.state !== "saved");
  }
}

/** Said before a photo is taken: where the browser cannot keep photos, one waits only in this page's memory. */
export async function warnIfPhotosCannotBeKept(heading) {
  if (await Outbox.canKeepPhotos()) return;
  const warning = element("p", "error photo-memory-warning", t("photo_memory_only"));
  warning.setAttribute("role", "note");
  heading.after(warning);
}
