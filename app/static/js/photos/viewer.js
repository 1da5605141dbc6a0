// The full view of one evidence photo: paging with swipe and arrows, removing it (asked first),
// and marking it up: the marked-up copy goes to the outbox like any photo.

import { newMutationId, t } from "../lib/common.js";
import { Kind } from "../lib/phone.js";
import * as Outbox from "../offline/outbox.js";
import * as Sync from "../offline/sync.js";
import { warnIfPhotosCannotBeKept } from "./panel.js";

export class PhotoViewer {
  constructor(view, user) {
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
      this.markup = new MarkUp(view, markup, user);
      whenLoaded(this.image, () => { startButton.hidden = false; });
      startButton.addEventListener("click", () => this.markup.open(this.image));
    }
  }

  go(link) {
    if (link) location.href = link.href;
  }

  unfinished() {
    return Boolean(this.markup && this.markup.unfinished());
  }
}

/**
 * Run `then` once `image` has loaded. A photo still loading (a busy server) has no size yet: marked
 * up then, the copy is a canvas of 0×0, which encodes to nothing.
 */
function whenLoaded(image, then) {
  if (image.complete && image.naturalWidth) then();
  else image.addEventListener("load", then, { once: true });
}

// While the server answers, a saved mark-up waits at most this long for it (the engine gives up
// sooner on a failed or stalled upload); then the assessor goes to the item, where it waits.
const MARKUP_CONFIRM_MS = 60000;

class MarkUp {
  constructor(view, section, user) {
    this.view = view;
    this.user = user;
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
    const failed = () => {
      this.state.textContent = t("markup_failed");
      enable(true);
    };
    const blob = await new Promise((resolve) => this.canvas.toBlob(resolve, "image/jpeg", 0.9));
    // No JPEG (the browser could not encode the canvas): an entry without its photo would only be
    // refused as lost while this page said it was saving.
    if (!blob) {
      failed();
      return;
    }
    const mutationId = newMutationId();
    const outcome = outcomeOf(mutationId);
    let kept;
    try {
      kept = await Outbox.keep({
        author: this.user.id,
        author_name: this.user.name,
        assessment_id: this.view.dataset.assessmentId,
        item_id: this.view.dataset.itemId,
        kind: Kind.photo,
        mutation_id: mutationId,
        blob,
        payload: { marked_up_from: this.view.dataset.photoId },
      });
    } catch (error) {
      outcome.stop();
      failed();
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
 * reason), or given up on: a failed try, the server found not to answer (a probe that failed
 * while the upload hangs, or before this page's engine had sent anything), or no answer in
 * MARKUP_CONFIRM_MS. A photo kept only in memory waits for the server, however long, since
 * leaving the page would lose it.
 */
function outcomeOf(mutationId) {
  let settle;
  const settled = new Promise((resolve) => { settle = resolve; });
  let inMemory = null; // known once the entry is kept
  let hopeless = false;
  let timer = null;
  const giveUp = () => {
    hopeless = true;
    if (inMemory === false) settle({});
  };
  const mine = (event) => event.detail.entry && event.detail.entry.mutation_id === mutationId;
  const listeners = {
    "sync:confirmed": (event) => { if (mine(event)) settle({ photo: event.detail.body }); },
    "sync:rejected": (event) => { if (mine(event)) settle({ refused: event.detail.body.error || "?" }); },
    "sync:flushed": (event) => {
      if (event.detail.result === "retry" || event.detail.result === "stop") giveUp();
    },
    "sync:status": () => { if (serverKnownDown()) giveUp(); },
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
      if (!inMemory) {
        if (hopeless) settle({});
        timer = setTimeout(() => settle({}), MARKUP_CONFIRM_MS);
      }
      return settled.finally(stop);
    },
  };
}

/** The server is known not to answer now: nothing is gained by waiting for it. */
function serverKnownDown() {
  const server = Sync.status().server;
  return !navigator.onLine || server === "unreachable" || server === "failing";
}

