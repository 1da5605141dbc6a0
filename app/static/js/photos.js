// Evidence photos: each photo is shrunk on the phone, kept in the outbox and sent from there by
// the sync engine; its row says where it is. Captions, the reason why no photo could be taken and
// mark-ups go the same way. The full view pages with swipe and arrows. Without this script the
// plain forms in the same markup still upload, remove and explain.

import { element, failureText, newMutationId, pageUser, t } from "./common.js";
import * as Outbox from "./outbox.js";
import * as Sync from "./sync.js";
import { DEFAULT_MAX_EDGE, captureTimeOf, downscale } from "./shrink.js";

const user = pageUser();
const panels = [];

function withNext(url) {
  return `${url}${url.includes("?") ? "&" : "?"}next=${encodeURIComponent(location.pathname)}`;
}

function entryBase(section) {
  return { author: user.id, author_name: user.name, assessment_id: section.dataset.assessmentId, item_id: section.dataset.itemId };
}

class PhotoPanel {
  constructor(section) {
    this.section = section;
    this.maxEdge = parseInt(section.dataset.maxEdge, 10) || DEFAULT_MAX_EDGE;
    this.queue = section.querySelector("[data-photo-queue]");
    this.strip = section.querySelector("[data-photo-strip]");
    this.jobs = new Map();
    this.preparing = 0;
    section.classList.add("photos-js");
    section.querySelectorAll("[data-photo-input]").forEach((input) => {
      input.addEventListener("change", () => {
        for (const file of input.files) this.add(file);
        input.value = "";
      });
    });
    const reasonForm = section.querySelector("[data-no-photo-form]");
    if (reasonForm) {
      reasonForm.addEventListener("submit", (event) => {
        event.preventDefault();
        this.keepReason(reasonForm);
      });
    }
    this.warnIfPhotosCannotBeKept();
    this.showWaitingPhotos();
  }

  /** Said before the photo is taken: in private mode a photo can only wait in this page's memory. */
  async warnIfPhotosCannotBeKept() {
    if (await Outbox.canKeepPhotos()) return;
    const warning = element("p", "error photo-memory-warning", t("photo_memory_only"));
    warning.setAttribute("role", "note");
    this.section.querySelector("h2").after(warning);
  }

  async add(file) {
    const job = this.newJob(newMutationId());
    job.inMemory = true;
    this.setState(job, "preparing", t("photo_preparing"));
    this.preparing += 1;
    try {
      const takenAt = await captureTimeOf(file);
      const blob = await downscale(file, this.maxEdge);
      job.ui.preview.src = URL.createObjectURL(blob);
      const kept = await Outbox.keep({
        ...entryBase(this.section),
        kind: "photo",
        mutation_id: job.mutationId,
        blob,
        payload: { caption: job.ui.caption.value, taken_at: takenAt },
      });
      job.seq = kept.seq;
      job.inMemory = Boolean(kept.blob_in_memory);
      this.setState(job, "queued", job.inMemory ? t("photo_in_memory") : t("photo_queued"));
    } catch (error) {
      this.setState(job, "failed", `${t("photo_failed")}: ${t("storage_unavailable")}`);
    } finally {
      this.preparing -= 1;
    }
  }

  newJob(mutationId) {
    const row = element("li", "photo-job");
    const preview = element("img", "photo-job-preview");
    preview.alt = "";
    const body = element("div", "photo-job-body");
    const state = element("span", "photo-job-state");
    const bar = element("progress", "photo-job-progress");
    bar.max = 100;
    bar.value = 0;
    const caption = element("input", "photo-job-caption");
    caption.type = "text";
    caption.maxLength = 300;
    caption.placeholder = t("photo_caption");
    caption.setAttribute("aria-label", t("photo_caption"));
    const retry = element("button", "photo-job-retry", t("retry"));
    retry.type = "button";
    retry.hidden = true;
    const remove = element("button", "photo-job-remove link-button", t("photo_remove"));
    remove.type = "button";
    remove.hidden = true;
    body.append(state, bar, caption, retry, remove);
    row.append(preview, body);
    this.queue.append(row);
    const job = { mutationId, row, photoId: null, state: "", ui: { preview, state, bar, caption, retry, remove } };
    caption.addEventListener("change", () => this.keepCaption(job));
    retry.addEventListener("click", async () => {
      if (job.seq && job.state === "failed") await Outbox.retry(job.seq);
      Sync.probe();
    });
    remove.addEventListener("click", async () => {
      if (job.seq) await Outbox.remove(job.seq);
      this.jobs.delete(mutationId);
      row.remove();
    });
    this.jobs.set(mutationId, job);
    return job;
  }

  setState(job, state, text, percent) {
    job.state = state;
    job.row.dataset.state = state;
    job.ui.state.textContent = text || "";
    job.ui.bar.hidden = state !== "uploading";
    if (percent !== undefined) job.ui.bar.value = percent;
    job.ui.retry.hidden = state !== "failed";
    job.ui.remove.hidden = !(state === "failed" && job.rejected);
  }

  keepCaption(job) {
    const payload = job.photoId
      ? { caption: job.ui.caption.value, photo_id: job.photoId }
      : { caption: job.ui.caption.value, photo_mutation_id: job.mutationId };
    return Outbox.keep({
      ...entryBase(this.section),
      kind: "caption",
      key: `caption:${job.mutationId}`,
      mutation_id: newMutationId(),
      payload,
    });
  }

  async keepReason(form) {
    const state = form.querySelector("[data-reason-state]");
    const reason = form.querySelector("[name=no_photo_reason]").value;
    try {
      const entry = await Outbox.keep({
        ...entryBase(this.section),
        kind: "no_photo_reason",
        key: `no_photo_reason:${this.section.dataset.assessmentId}:${this.section.dataset.itemId}`,
        mutation_id: newMutationId(),
        payload: { no_photo_reason: reason },
      });
      this.reasonKey = entry.key;
      state.textContent = t("saved_on_phone");
      this.showNeeded(this.deducted);
    } catch (error) {
      state.textContent = t("storage_unavailable");
    }
  }

  /** Photos and captions still on the phone for this item, from an earlier visit or a reload. */
  async showWaitingPhotos() {
    let waiting;
    try {
      waiting = await Sync.waitingFor(user);
    } catch (error) {
      return;
    }
    const here = waiting.filter((e) => String(e.assessment_id) === this.section.dataset.assessmentId && e.item_id === this.section.dataset.itemId);
    for (const entry of here.filter((e) => e.kind === "photo")) {
      const job = this.newJob(entry.mutation_id);
      job.seq = entry.seq;
      if (entry.blob) job.ui.preview.src = URL.createObjectURL(entry.blob);
      job.ui.caption.value = entry.payload.caption || "";
      this.showEntry(job, entry);
    }
    for (const entry of here.filter((e) => e.kind === "caption")) {
      const job = this.jobs.get(entry.payload.photo_mutation_id);
      if (job) job.ui.caption.value = entry.payload.caption;
    }
  }

  showEntry(job, entry) {
    job.seq = entry.seq;
    job.rejected = entry.state === "rejected";
    if (job.rejected) {
      const reason = entry.error === "lost" ? t("photo_lost") : entry.error;
      this.setState(job, "failed", `${t("photo_failed")}: ${reason}`);
    } else if (entry.error && entry.error !== "network" && entry.error !== "timeout") {
      this.setState(job, "failed", `${t("photo_failed")}: ${entry.error}`);
    } else if (entry.error) {
      this.setState(job, "queued", `${t("photo_queued")} ${failureText(entry.error)}`);
    } else {
      this.setState(job, "queued", entry.blob_in_memory ? t("photo_in_memory") : t("photo_queued"));
    }
  }

  /** The engine's news about this panel's photos. */
  async follow() {
    const entries = await Sync.waitingFor(user);
    const sending = Sync.status().sending;
    for (const entry of entries.filter((e) => e.kind === "photo")) {
      const job = this.jobs.get(entry.mutation_id);
      const onItsWay = sending && sending.mutation_id === entry.mutation_id;
      if (job && !onItsWay && job.state !== "preparing" && job.state !== "saved") this.showEntry(job, entry);
    }
    if (this.reasonKey && !entries.some((e) => e.key === this.reasonKey)) {
      this.section.querySelector("[data-reason-state]").textContent = t("photo_saved");
      this.reasonKey = null;
    }
  }

  sending(entry, percent) {
    const job = entry && this.jobs.get(entry.mutation_id);
    if (job && entry.kind === "photo") this.setState(job, "uploading", `${percent}%`, percent);
  }

  confirmed(entry, photo) {
    const job = this.jobs.get(entry.mutation_id);
    if (!job || entry.kind !== "photo") return;
    job.photoId = photo.id;
    this.setState(job, "saved", t("photo_saved"));
    this.showThumb(photo);
  }

  showThumb(photo) {
    if (this.strip.querySelector(`[data-photo-id="${photo.id}"]`)) return;
    const item = element("li");
    item.dataset.photoId = photo.id;
    const link = element("a", "photo-thumb");
    link.href = withNext(photo.page_url);
    const image = element("img");
    image.src = photo.thumb_url;
    image.alt = photo.caption || "";
    link.append(image);
    if (photo.marked_up_from) link.append(element("span", "photo-tag", t("photo_marked")));
    item.append(link);
    this.strip.append(item);
    const badge = this.section.querySelector("h2 .badge");
    if (badge) badge.textContent = this.strip.children.length;
    this.showNeeded(this.deducted);
  }

  /** A deduction needs a photo or a reason why none could be taken: said as soon as it is chosen. */
  showNeeded(deducted) {
    this.deducted = deducted;
    const reason = this.section.querySelector("[name=no_photo_reason]");
    const missing = deducted && !this.strip.children.length && this.jobs.size === 0 && !(reason && reason.value.trim());
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
  }

  /** Leaving now would lose a photo: it is being shrunk, or this browser keeps it only in memory. */
  unfinished() {
    return this.preparing > 0 || [...this.jobs.values()].some((job) => job.inMemory && job.state !== "saved");
  }
}

class PhotoViewer {
  constructor(view) {
    this.view = view;
    this.image = view.querySelector("[data-photo-image]");
    this.previous = view.querySelector('a[rel="prev"]');
    this.following = view.querySelector('a[rel="next"]');
    const figure = view.querySelector("[data-swipe]");
    let start = null;
    figure.addEventListener("touchstart", (event) => {
      start = event.touches.length === 1 ? { x: event.touches[0].clientX, y: event.touches[0].clientY } : null;
    }, { passive: true });
    figure.addEventListener("touchend", (event) => {
      if (!start) return;
      const dx = event.changedTouches[0].clientX - start.x;
      const dy = event.changedTouches[0].clientY - start.y;
      start = null;
      if (Math.abs(dx) > 50 && Math.abs(dx) > Math.abs(dy) * 1.5) this.go(dx < 0 ? this.following : this.previous);
    });
    document.addEventListener("keydown", (event) => {
      if (event.target.closest && event.target.closest("input, textarea, [data-markup]:not([hidden])")) return;
      if (event.key === "ArrowLeft") this.go(this.previous);
      else if (event.key === "ArrowRight") this.go(this.following);
    });
    view.querySelectorAll("form[data-confirm]").forEach((form) => {
      form.addEventListener("submit", (event) => {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
    const markup = view.querySelector("[data-markup]");
    const startButton = view.querySelector("[data-markup-start]");
    if (markup && startButton) {
      this.markup = new MarkUp(view, markup);
      startButton.hidden = false;
      startButton.addEventListener("click", () => this.markup.open(this.image));
    }
  }

  go(link) {
    if (link) location.href = link.href;
  }
}

// A mark-up waits this long for the server before the assessor is taken back to the item, where it waits.
const MARKUP_CONFIRM_MS = 20000;

class MarkUp {
  constructor(view, section) {
    this.view = view;
    this.section = section;
    this.canvas = section.querySelector("[data-markup-canvas]");
    this.context = this.canvas.getContext("2d");
    this.state = section.querySelector("[data-markup-state]");
    this.strokes = [];
    this.current = null;
    this.canvas.addEventListener("pointerdown", (event) => {
      event.preventDefault();
      this.canvas.setPointerCapture(event.pointerId);
      this.current = [this.point(event)];
      this.strokes.push(this.current);
      this.draw();
    });
    this.canvas.addEventListener("pointermove", (event) => {
      if (!this.current) return;
      event.preventDefault();
      this.current.push(this.point(event));
      this.draw();
    });
    for (const name of ["pointerup", "pointercancel"]) this.canvas.addEventListener(name, () => { this.current = null; });
    section.querySelector("[data-markup-undo]").addEventListener("click", () => { this.strokes.pop(); this.draw(); });
    section.querySelector("[data-markup-cancel]").addEventListener("click", () => this.close());
    section.querySelector("[data-markup-save]").addEventListener("click", () => this.save());
  }

  open(image) {
    this.image = image;
    this.canvas.width = image.naturalWidth;
    this.canvas.height = image.naturalHeight;
    this.strokes = [];
    this.section.hidden = false;
    this.state.textContent = "";
    this.draw();
    this.section.scrollIntoView({ block: "start" });
  }

  close() {
    this.section.hidden = true;
    this.strokes = [];
  }

  point(event) {
    const box = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) * this.canvas.width) / box.width,
      y: ((event.clientY - box.top) * this.canvas.height) / box.height,
    };
  }

  draw() {
    const context = this.context;
    context.drawImage(this.image, 0, 0, this.canvas.width, this.canvas.height);
    context.strokeStyle = "#e0001b";
    context.lineWidth = Math.max(4, Math.round(Math.max(this.canvas.width, this.canvas.height) / 180));
    context.lineCap = "round";
    context.lineJoin = "round";
    for (const stroke of this.strokes) {
      context.beginPath();
      context.moveTo(stroke[0].x, stroke[0].y);
      if (stroke.length === 1) context.lineTo(stroke[0].x + 0.1, stroke[0].y);
      for (const point of stroke) context.lineTo(point.x, point.y);
      context.stroke();
    }
  }

  /** The marked-up copy goes to the outbox like any photo; once confirmed, its page opens. */
  async save() {
    if (!this.strokes.length) {
      this.close();
      return;
    }
    const buttons = this.section.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    this.state.textContent = t("markup_saving");
    const blob = await new Promise((resolve) => this.canvas.toBlob(resolve, "image/jpeg", 0.9));
    const mutationId = newMutationId();
    const confirmed = new Promise((resolve) => {
      const listener = (event) => {
        if (event.detail.entry.mutation_id !== mutationId) return;
        document.removeEventListener("sync:confirmed", listener);
        resolve(event.detail.body);
      };
      document.addEventListener("sync:confirmed", listener);
      setTimeout(() => resolve(null), MARKUP_CONFIRM_MS);
    });
    try {
      await Outbox.keep({
        author: user.id,
        author_name: user.name,
        assessment_id: this.view.dataset.assessmentId,
        item_id: this.view.dataset.itemId,
        kind: "photo",
        mutation_id: mutationId,
        blob,
        payload: { marked_up_from: this.view.dataset.photoId },
      });
    } catch (error) {
      this.state.textContent = t("markup_failed");
      buttons.forEach((b) => { b.disabled = false; });
      return;
    }
    const photo = await confirmed;
    const back = this.view.dataset.next;
    location.href = photo ? photo.page_url + (back ? `?next=${encodeURIComponent(back)}` : "") : back;
  }
}

function init() {
  if (!user) return;
  document.querySelectorAll("[data-photos]").forEach((section) => panels.push(new PhotoPanel(section)));
  document.querySelectorAll("[data-photo-view]").forEach((view) => new PhotoViewer(view));
  document.addEventListener("sync:sending", (event) => panels.forEach((panel) => {
    if (event.detail.entry) panel.sending(event.detail.entry, 0);
    else panel.follow();
  }));
  document.addEventListener("sync:progress", (event) => panels.forEach((panel) => panel.sending(event.detail.entry, event.detail.percent)));
  document.addEventListener("sync:confirmed", (event) => panels.forEach((panel) => panel.confirmed(event.detail.entry, event.detail.body)));
  document.addEventListener("walk:result", (event) => panels.forEach((panel) => panel.showNeeded(event.detail.deducted)));
  Outbox.onChange(() => panels.forEach((panel) => panel.follow()));
  window.addEventListener("beforeunload", (event) => {
    if (panels.some((panel) => panel.unfinished())) {
      event.preventDefault();
      event.returnValue = t("photo_pending");
    }
  });
}

init();
