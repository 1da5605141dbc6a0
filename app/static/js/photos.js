// Evidence photos: each photo is shrunk on the phone, kept in the outbox and sent from there by
// the sync engine; its row says where it is. Captions, the reason why no photo could be taken and
// mark-ups go the same way. The full view pages with swipe and arrows. Without this script the
// plain forms in the same markup still upload, remove and explain.

import { element, newMutationId, pageUser, t } from "./common.js";
import * as Outbox from "./outbox.js";
import { photoRow, setRowState, showEntryState, waitingHere } from "./photo_rows.js";
import * as Sync from "./sync.js";
import { DEFAULT_MAX_EDGE, preparePhoto } from "./shrink.js";

const user = pageUser();
const panels = [];
const markups = [];

function withNext(url) {
  return `${url}${url.includes("?") ? "&" : "?"}next=${encodeURIComponent(location.pathname)}`;
}

function entryBase(holder) {
  return { author: user.id, author_name: user.name, assessment_id: holder.dataset.assessmentId, item_id: holder.dataset.itemId };
}

function captionField(value) {
  const caption = element("input", "photo-job-caption photo-caption");
  caption.type = "text";
  caption.maxLength = 300;
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

/** Said before a photo is taken: where the browser cannot keep photos, one waits only in this page's memory. */
async function warnIfPhotosCannotBeKept(heading) {
  if (await Outbox.canKeepPhotos()) return;
  const warning = element("p", "error photo-memory-warning", t("photo_memory_only"));
  warning.setAttribute("role", "note");
  heading.after(warning);
}

class PhotoPanel {
  constructor(section) {
    this.section = section;
    this.maxEdge = parseInt(section.dataset.maxEdge, 10) || DEFAULT_MAX_EDGE;
    this.queue = section.querySelector("[data-photo-queue]");
    this.strip = section.querySelector("[data-photo-strip]");
    this.reason = section.querySelector("[data-no-photo-form] [name=no_photo_reason]");
    this.reasonState = section.querySelector("[data-reason-state]");
    this.reasonKey = `no_photo_reason:${section.dataset.assessmentId}:${section.dataset.itemId}`;
    this.jobs = new Map();
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
    if (this.queue) this.strip.querySelectorAll("li[data-photo-id]").forEach((item) => this.addCaptionField(item));
    warnIfPhotosCannotBeKept(section.querySelector("h2"));
    this.showWaiting();
  }

  async add(file) {
    const job = this.newJob(newMutationId());
    job.inMemory = true;
    setRowState(job, "preparing", t("photo_preparing"));
    this.preparing += 1;
    try {
      const { blob, takenAt } = await preparePhoto(file, this.maxEdge);
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
      setRowState(job, "queued", job.inMemory ? t("photo_in_memory") : t("photo_queued"));
    } catch (error) {
      setRowState(job, "failed", `${t("photo_failed")}: ${t("storage_unavailable")}`);
    } finally {
      this.preparing -= 1;
    }
  }

  newJob(mutationId) {
    const job = photoRow(mutationId);
    job.photoId = null;
    job.ui.caption = captionField("");
    job.ui.state.after(job.ui.bar, job.ui.caption);
    this.queue.append(job.row);
    job.ui.caption.addEventListener("input", () => this.keepCaption(job.ui.caption, `caption:${mutationId}`, job));
    job.ui.retry.addEventListener("click", async () => {
      if (job.seq && job.state === "failed") await Outbox.retry(job.seq);
      Sync.probe();
    });
    job.ui.remove.addEventListener("click", async () => {
      if (job.seq) await Outbox.remove(job.seq);
      this.jobs.delete(mutationId);
      job.row.remove();
    });
    this.jobs.set(mutationId, job);
    return job;
  }

  /** The caption goes to the outbox as it is typed: the newest text replaces the waiting one. */
  keepCaption(field, key, job) {
    const photoId = job ? job.photoId : field.closest("[data-photo-id]").dataset.photoId;
    const payload = photoId ? { caption: field.value, photo_id: photoId } : { caption: field.value, photo_mutation_id: job.mutationId };
    return Outbox.keep({ ...entryBase(this.section), kind: "caption", key, mutation_id: newMutationId(), payload });
  }

  addCaptionField(item) {
    const field = captionField(item.dataset.caption);
    field.addEventListener("input", () => this.keepCaption(field, `caption:photo:${item.dataset.photoId}`));
    item.classList.add("photo-item");
    item.append(field);
  }

  /** The reason goes to the outbox as it is typed (the newest text wins), so leaving at once loses nothing. */
  async keepReason() {
    try {
      await Outbox.keep({
        ...entryBase(this.section),
        kind: "no_photo_reason",
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
    const here = await waitingHere(user, this.section);
    for (const entry of here.filter((e) => e.kind === "photo")) {
      const job = this.newJob(entry.mutation_id);
      if (entry.blob) job.ui.preview.src = URL.createObjectURL(entry.blob);
      job.ui.caption.value = entry.payload.caption || "";
      showEntryState(job, entry);
    }
    for (const entry of here.filter((e) => e.kind === "caption")) {
      const job = this.jobs.get(entry.payload.photo_mutation_id);
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

  /** The engine's news about this panel's photos. */
  async follow() {
    const entries = await Sync.waitingFor(user);
    const sending = Sync.status().sending;
    for (const entry of entries.filter((e) => e.kind === "photo")) {
      const job = this.jobs.get(entry.mutation_id);
      const onItsWay = sending.some((e) => e.mutation_id === entry.mutation_id);
      if (job && !onItsWay && job.state !== "preparing" && job.state !== "saved") showEntryState(job, entry);
    }
    if (this.reasonWaits && !entries.some((e) => e.key === this.reasonKey)) {
      this.reasonState.textContent = t("photo_saved");
      this.reasonWaits = false;
    }
  }

  sending(entry, percent) {
    const job = entry && this.jobs.get(entry.mutation_id);
    if (job && entry.kind === "photo") setRowState(job, "uploading", `${percent}%`, percent);
  }

  confirmed(entry, photo) {
    const job = this.jobs.get(entry.mutation_id);
    if (!job || entry.kind !== "photo") return;
    job.photoId = photo.id;
    setRowState(job, "saved", t("photo_saved"));
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
    const hasPhotos = this.strip.children.length > 0 || this.jobs.size > 0;
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
    const removeForm = view.querySelector("form[data-photo-remove]");
    if (removeForm) {
      removeForm.addEventListener("submit", (event) => {
        if (!window.confirm(t("photo_remove_confirm"))) event.preventDefault();
      });
    }
    const markup = view.querySelector("[data-markup]");
    const startButton = view.querySelector("[data-markup-start]");
    if (markup && startButton) {
      this.markup = new MarkUp(view, markup);
      markups.push(this.markup);
      startButton.hidden = false;
      startButton.addEventListener("click", () => this.markup.open(this.image));
    }
  }

  go(link) {
    if (link) location.href = link.href;
  }
}

// While the server answers, a saved mark-up waits at most this long for it (the engine gives up
// sooner on a failed or stalled upload); then the assessor goes to the item, where it waits.
const MARKUP_CONFIRM_MS = 60000;

class MarkUp {
  constructor(view, section) {
    this.view = view;
    this.section = section;
    this.canvas = section.querySelector("[data-markup-canvas]");
    this.context = this.canvas.getContext("2d");
    this.state = section.querySelector("[data-markup-state]");
    this.strokes = [];
    this.current = null;
    this.waitingInMemory = false;
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
    warnIfPhotosCannotBeKept(view.querySelector(".photo-actions"));
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

  /**
   * The marked-up copy goes to the outbox like any photo. Once the server confirms it, its page
   * opens (showing it beside the original). When the server is known not to answer, or the upload
   * fails or takes too long, the assessor goes to the item at once, where the copy waits in its
   * row. A copy this browser keeps only in memory stays on this page until it is sent.
   */
  async save() {
    if (!this.strokes.length) {
      this.close();
      return;
    }
    const buttons = this.section.querySelectorAll("button");
    const enable = (on) => buttons.forEach((b) => { b.disabled = !on; });
    enable(false);
    this.state.textContent = t("markup_saving");
    const blob = await new Promise((resolve) => this.canvas.toBlob(resolve, "image/jpeg", 0.9));
    const mutationId = newMutationId();
    const outcome = outcomeOf(mutationId);
    let kept;
    try {
      kept = await Outbox.keep({
        ...entryBase(this.view),
        kind: "photo",
        mutation_id: mutationId,
        blob,
        payload: { marked_up_from: this.view.dataset.photoId },
      });
    } catch (error) {
      outcome.stop();
      this.state.textContent = t("markup_failed");
      enable(true);
      return;
    }
    this.waitingInMemory = Boolean(kept.blob_in_memory);
    if (this.waitingInMemory) {
      this.state.textContent = t("photo_in_memory");
    } else if (serverKnownDown()) {
      outcome.stop();
      location.assign(this.view.dataset.itemUrl);
      return;
    }
    const { photo, refused } = await outcome.result(this.waitingInMemory);
    this.waitingInMemory = false;
    if (photo) {
      const back = this.view.dataset.next;
      location.assign(photo.page_url + (back ? `?next=${encodeURIComponent(back)}` : ""));
    } else if (refused) {
      this.state.textContent = t("refused_reason", { reason: refused });
      enable(true);
    } else {
      location.assign(this.view.dataset.itemUrl);
    }
  }

  unfinished() {
    return this.waitingInMemory;
  }
}

/**
 * What becomes of the photo entry `mutationId`: confirmed (with the photo), refused (with the
 * reason), or given up on: a failed try, or no answer in MARKUP_CONFIRM_MS. A photo kept only in
 * memory waits for the server, however long, since leaving the page would lose it.
 */
function outcomeOf(mutationId) {
  let settle;
  const settled = new Promise((resolve) => { settle = resolve; });
  let inMemory = false;
  let timer = null;
  const mine = (event) => event.detail.entry && event.detail.entry.mutation_id === mutationId;
  const listeners = {
    "sync:confirmed": (event) => { if (mine(event)) settle({ photo: event.detail.body }); },
    "sync:rejected": (event) => { if (mine(event)) settle({ refused: event.detail.body.error || "?" }); },
    "sync:flushed": (event) => {
      if (!inMemory && (event.detail.result === "retry" || event.detail.result === "stop")) settle({});
    },
  };
  for (const [name, listener] of Object.entries(listeners)) document.addEventListener(name, listener);
  const stop = () => {
    clearTimeout(timer);
    for (const [name, listener] of Object.entries(listeners)) document.removeEventListener(name, listener);
  };
  return {
    stop,
    result(keptInMemory) {
      inMemory = keptInMemory;
      if (!inMemory) timer = setTimeout(() => settle({}), MARKUP_CONFIRM_MS);
      return settled.finally(stop);
    },
  };
}

/** The server is known not to answer now: nothing is gained by waiting for it. */
function serverKnownDown() {
  const server = Sync.status().server;
  return !navigator.onLine || server === "unreachable" || server === "failing";
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
    if ([...panels, ...markups].some((holder) => holder.unfinished())) {
      event.preventDefault();
      event.returnValue = t("photo_pending");
    }
  });
}

init();
