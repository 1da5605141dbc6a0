// Evidence photos of an item (the photo panel) and the full view of one photo. Each photo is
// shrunk on the phone, kept in the outbox and sent from there by the sync engine; its row says
// where it is. Captions and the reason why no photo could be taken go the same way. Without this
// script the plain forms in the same markup still upload, remove and explain.

import { element, newMutationId, pageUser, t } from "../lib/common.js";
import { Kind, maxLength } from "../lib/phone.js";
import * as Outbox from "../offline/outbox.js";
import * as Sync from "../offline/sync.js";
import { holdWhileUnsent } from "../photos/leaving.js";
import { PhotoPanel, setRowState, showKept, warnIfPhotosCannotBeKept } from "../photos/panel.js";
import { preparePhoto } from "../photos/shrink.js";

const user = pageUser();

function withNext(url) {
  return `${url}${url.includes("?") ? "&" : "?"}next=${encodeURIComponent(location.pathname)}`;
}

function captionField(value) {
  const caption = element("input", "photo-job-caption photo-caption");
  caption.type = "text";
  caption.maxLength = maxLength("caption");
  caption.placeholder = t("photo_caption");
  caption.setAttribute("aria-label", t("photo_caption"));
  caption.value = value || "";
  return caption;
}

function thumbLink(photo) {
  const link = element("a", "photo-thumb");
  link.href = withNext(photo.page_url);
  const image = element("img");
  image.src = photo.thumb_url;
  image.alt = photo.caption || "";
  link.append(image);
  if (photo.marked_up_from) link.append(element("span", "photo-tag", t("photo_marked")));
  return link;
}

class EvidencePhotos {
  constructor(section) {
    this.section = section;
    this.maxEdge = parseInt(section.dataset.maxEdge, 10);
    const list = section.querySelector("[data-photo-queue]");
    this.panel = new PhotoPanel(user, section, list, { onNewRow: (job) => this.addRowCaption(job) });
    this.strip = section.querySelector("[data-photo-strip]");
    this.reason = section.querySelector("[data-no-photo-form] [name=no_photo_reason]");
    this.reasonState = section.querySelector("[data-reason-state]");
    this.reasonKey = `${Kind.no_photo_reason}:${section.dataset.assessmentId}:${section.dataset.itemId}`;
    this.preparing = 0;
    section.classList.add("photos-js");
    section.querySelectorAll("[data-photo-input]").forEach((input) => {
      input.addEventListener("change", () => {
        for (const file of input.files) this.add(file);
        input.value = "";
      });
    });
    if (this.reason) {
      this.reason.form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.keepReason();
      });
      this.reason.addEventListener("input", () => this.keepReason());
    }
    if (this.panel.list) this.strip.querySelectorAll("li[data-photo-id]").forEach((item) => this.addCaptionField(item));
    warnIfPhotosCannotBeKept(section.querySelector("h2"));
    this.showWaiting();
  }

  async add(file) {
    const job = this.panel.newJob(newMutationId());
    job.inMemory = true;
    setRowState(job, "preparing", t("photo_preparing"));
    this.preparing += 1;
    try {
      const { blob, takenAt } = await preparePhoto(file, this.maxEdge);
      job.ui.preview.src = URL.createObjectURL(blob);
      const kept = await Outbox.keep(this.panel.entry({
        mutation_id: job.mutationId,
        blob,
        payload: { caption: job.ui.caption.value, taken_at: takenAt },
      }));
      showKept(job, kept);
    } catch (error) {
      setRowState(job, "failed", `${t("photo_failed")}: ${t("storage_unavailable")}`);
    } finally {
      this.preparing -= 1;
    }
  }

  /** A photo's row has its caption field. */
  addRowCaption(job) {
    job.photoId = null;
    job.ui.caption = captionField("");
    job.ui.state.after(job.ui.bar, job.ui.caption);
    job.ui.caption.addEventListener("input", () => this.keepCaption(job.ui.caption, `${Kind.caption}:${job.mutationId}`, job));
  }

  /** The caption goes to the outbox as it is typed: the newest text replaces the waiting one. */
  keepCaption(field, key, job) {
    const photoId = job ? job.photoId : field.closest("[data-photo-id]").dataset.photoId;
    const payload = photoId ? { caption: field.value, photo_id: photoId } : { caption: field.value, photo_mutation_id: job.mutationId };
    return Outbox.keep({ ...this.panel.base(), kind: Kind.caption, key, mutation_id: newMutationId(), payload });
  }

  addCaptionField(item) {
    const field = captionField(item.dataset.caption);
    field.addEventListener("input", () => this.keepCaption(field, `${Kind.caption}:photo:${item.dataset.photoId}`));
    item.classList.add("photo-item");
    item.append(field);
  }

  /** The reason goes to the outbox as it is typed (the newest text wins), so leaving at once loses nothing. */
  async keepReason() {
    try {
      await Outbox.keep({
        ...this.panel.base(),
        kind: Kind.no_photo_reason,
        key: this.reasonKey,
        mutation_id: newMutationId(),
        payload: { no_photo_reason: this.reason.value },
      });
      this.reasonWaits = true;
      this.reasonState.textContent = t("saved_on_phone");
      this.showNeeded(this.deducted);
    } catch (error) {
      this.reasonState.textContent = t("storage_unavailable");
    }
  }

  /** What still waits on the phone for this item (from an earlier visit, a reload, an offline open), as entered. */
  async showWaiting() {
    const here = await this.panel.waitingHere();
    for (const [job, entry] of this.panel.restore(here)) job.ui.caption.value = entry.payload.caption || "";
    for (const entry of here.filter((e) => e.kind === Kind.caption)) {
      const job = this.panel.jobs.get(entry.payload.photo_mutation_id);
      const item = entry.payload.photo_id && this.strip.querySelector(`[data-photo-id="${entry.payload.photo_id}"] .photo-caption`);
      const field = job ? job.ui.caption : item;
      if (field && document.activeElement !== field) field.value = entry.payload.caption;
    }
    const reason = here.find((e) => e.key === this.reasonKey);
    if (reason && this.reason) {
      if (document.activeElement !== this.reason) this.reason.value = reason.payload.no_photo_reason;
      this.reason.closest("details").open = true;
      this.reasonWaits = true;
      this.reasonState.textContent = t("saved_on_phone");
    }
  }

  /** The engine's news about this item's photos and reason. */
  async follow() {
    const entries = await Sync.waitingFor(user);
    this.panel.follow(entries);
    if (this.reasonWaits && !entries.some((e) => e.key === this.reasonKey)) {
      this.reasonState.textContent = t("photo_saved");
      this.reasonWaits = false;
    }
  }

  sending(entry, percent) {
    this.panel.sending(entry, percent);
  }

  confirmed(entry, photo) {
    const job = this.panel.confirmed(entry);
    if (!job) return;
    job.photoId = photo.id;
    this.showInStrip(photo, job);
  }

  /**
   * A confirmed photo is shown once, in the strip with its caption field: its row becomes that item.
   * A caption being typed is not moved under the finger (it would end an IME composition): the row
   * moves when the field is left.
   */
  showInStrip(photo, job) {
    if (document.activeElement === job.ui.caption) {
      job.ui.caption.addEventListener("blur", () => this.showInStrip(photo, job), { once: true });
      return;
    }
    if (this.strip.querySelector(`[data-photo-id="${photo.id}"]`)) {
      job.row.remove();
      return;
    }
    job.row.dataset.photoId = photo.id;
    job.row.classList.add("photo-item");
    job.row.replaceChildren(thumbLink(photo), job.ui.caption, job.ui.state);
    this.strip.append(job.row);
    const badge = this.section.querySelector("h2 .badge");
    if (badge) badge.textContent = this.strip.children.length;
    this.showNeeded(this.deducted);
  }

  /**
   * A deduction needs a photo or a reason why none could be taken: said as soon as it is chosen.
   * The reason box opens while neither is there, and closes once photos arrive unless a reason is written.
   */
  showNeeded(deducted) {
    this.deducted = deducted;
    const reasonGiven = Boolean(this.reason && this.reason.value.trim());
    const hasPhotos = this.strip.children.length > 0 || this.panel.jobs.size > 0;
    const missing = deducted && !hasPhotos && !reasonGiven;
    let needed = this.section.querySelector(".photos-needed");
    if (missing && !needed) {
      needed = element("p", "photos-needed", t("photo_needed"));
      needed.setAttribute("role", "note");
      this.section.querySelector("h2").after(needed);
    } else if (!missing && needed) {
      needed.remove();
    }
    const details = this.section.querySelector("details.no-photo");
    if (details && missing) details.open = true;
    else if (details && hasPhotos && !reasonGiven && !details.contains(document.activeElement)) details.open = false;
  }

  /** Leaving now would lose a photo: it is being shrunk, or this browser keeps it only in memory. */
  unfinished() {
    return this.preparing > 0 || this.panel.unfinished();
  }
}

function init() {
  if (!user) return;
  const panels = [...document.querySelectorAll("[data-photos]")].map((section) => new EvidencePhotos(section));
  const views = [...document.querySelectorAll("[data-photo-view]")];
  // The full view and its mark-up load only where a photo is shown whole: the walk's first visit
  // on a weak link carries none of it.
  const viewers = [];
  if (views.length) {
    import("../photos/viewer.js").then(({ PhotoViewer }) => viewers.push(...views.map((view) => new PhotoViewer(view, user))));
  }
  document.addEventListener("sync:sending", (event) => panels.forEach((panel) => {
    if (event.detail.entry) panel.sending(event.detail.entry, 0);
    else panel.follow();
  }));
  document.addEventListener("sync:progress", (event) => panels.forEach((panel) => panel.sending(event.detail.entry, event.detail.percent)));
  document.addEventListener("sync:confirmed", (event) => panels.forEach((panel) => panel.confirmed(event.detail.entry, event.detail.body)));
  document.addEventListener("walk:result", (event) => panels.forEach((panel) => panel.showNeeded(event.detail.deducted)));
  Outbox.onChange(() => panels.forEach((panel) => panel.follow()));
  holdWhileUnsent(() => [...panels, ...viewers].some((holder) => holder.unfinished()));
}

init();
