// The station's answer to a deduction, from a phone. Photos go the evidence photos' way: shrunk
// here, kept in the outbox and sent from there by the sync engine, each in its own row (ready,
// on this phone, n%, saved, failed with a retry). When the answer is sent, each photo is kept
// ahead of it and the answer names them, so the engine (which sends in order) delivers the answer
// last and whole: a reviewer never sees it without its photos. Without this script the plain form
// posts. The reviewer's side: 不认可 asks for its comment at the field.

import { button, element, failureText, fetchWhole, newMutationId, pageUser, t } from "../lib/common.js";
import { Kind } from "../lib/phone.js";
import * as Outbox from "../offline/outbox.js";
import * as Sync from "../offline/sync.js";
import { PhotoPanel, setRowState, showKept } from "../photos/panel.js";
import { preparePhoto } from "../photos/shrink.js";

const user = pageUser();
const forms = [];

class AnswerForm {
  constructor(form) {
    this.form = form;
    this.text = form.querySelector("textarea[name=text]");
    this.photos = new PhotoPanel(user, form, form.querySelector("[data-photo-queue]"), {
      purpose: "rectification",
      onRemove: () => (this.answer ? this.keepAnswer() : undefined),
    });
    this.picker = form.querySelector(".photo-pick");
    this.submit = form.querySelector("button[type=submit]");
    this.state = form.querySelector("[data-rect-state]");
    this.maxEdge = parseInt(form.dataset.maxEdge, 10);
    this.maxPhotos = parseInt(form.dataset.maxPhotos, 10) || 10;
    this.key = `${Kind.rectification}:${form.dataset.assessmentId}:${form.dataset.itemId}`;
    this.answer = null;
    form.classList.add("photos-js");
    const input = form.querySelector("[data-rect-photos]");
    input.addEventListener("change", () => {
      for (const file of input.files) this.add(file);
      input.value = "";
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.restore();
  }

  get jobs() {
    return [...this.photos.jobs.values()];
  }

  say(text, kind) {
    this.state.replaceChildren(...(text ? [text] : []));
    this.state.className = `rect-state ${kind || ""}`;
    this.state.hidden = !text;
  }

  add(file) {
    if (this.jobs.length >= this.maxPhotos) {
      this.say(t("rect_too_many_photos", this.maxPhotos), "error");
      return;
    }
    const job = this.photos.newJob(newMutationId());
    setRowState(job, "preparing", t("photo_preparing"));
    job.prepared = preparePhoto(file, this.maxEdge).then(({ blob, takenAt }) => {
      job.blob = blob;
      job.takenAt = takenAt;
      job.ui.preview.src = URL.createObjectURL(blob);
      if (job.state === "preparing") setRowState(job, "ready", t("rect_photo_ready"));
    });
  }

  /** While the answer is on its way it is shown as sent, not to be changed. */
  lock(locked) {
    this.text.readOnly = locked;
    this.picker.hidden = locked;
    this.submit.hidden = locked;
  }

  async send() {
    if (!this.text.value.trim()) {
      this.text.reportValidity();
      return;
    }
    if (this.jobs.some((job) => job.rejected)) {
      this.say(t("rect_photo_failed_first"), "error");
      return;
    }
    this.lock(true);
    this.say(t("saved_on_phone"), "pending");
    await Promise.all(this.jobs.map((job) => job.prepared));
    try {
      for (const job of this.jobs.filter((j) => !j.seq && j.state !== "saved")) await this.keepPhoto(job);
      await this.keepAnswer();
    } catch (error) {
      this.say(t("storage_unavailable"), "error");
      this.lock(false);
    }
  }

  async keepPhoto(job) {
    const kept = await Outbox.keep(this.photos.entry({
      upload_url: this.form.dataset.photoUrl,
      mutation_id: job.mutationId,
      blob: job.blob,
      payload: { taken_at: job.takenAt },
    }));
    showKept(job, kept);
  }

  /** The answer, naming its photos; a newer one (say, without a refused photo) replaces a waiting one. */
  async keepAnswer() {
    this.answer = await Outbox.keep({
      ...this.photos.base(),
      kind: Kind.rectification,
      key: this.key,
      mutation_id: newMutationId(),
      payload: { text: this.text.value, photos: this.jobs.map((job) => job.mutationId) },
    });
    this.showAnswer(this.answer);
  }

  showAnswer(entry) {
    if (entry.state === "rejected") {
      const actions = element("span", "actions");
      actions.append(
        button(t("retry"), async () => { await Outbox.retry(entry.seq); Sync.probe(); }),
        button(t("rect_edit"), () => this.edit(entry)),
      );
      this.state.replaceChildren(element("span", null, t("refused_reason", { reason: entry.error })), actions);
      this.state.className = "rect-state error";
      this.state.hidden = false;
    } else if (entry.error) {
      this.say(`${t("rect_sending")} ${failureText(entry.error)}`, "pending");
    } else {
      this.say(t("rect_sending"), "pending");
    }
  }

  /** A refused answer goes back to the form, its photos with it. */
  async edit(entry) {
    await Outbox.remove(entry.seq);
    this.answer = null;
    this.say("");
    this.lock(false);
  }

  /** A reload, or a later visit, shows what still waits on the phone for this deduction. */
  async restore() {
    const here = await this.photos.waitingHere();
    this.photos.restore(here);
    const answer = here.find((e) => e.key === this.key);
    if (!answer) return;
    for (const id of answer.payload.photos.filter((id) => !this.photos.jobs.has(id))) {
      setRowState(this.photos.newJob(id), "saved", t("photo_saved"));
    }
    this.text.value = answer.payload.text;
    this.answer = answer;
    this.lock(true);
    this.showAnswer(answer);
  }

  async follow() {
    const entries = await Sync.waitingFor(user);
    const sending = Sync.status().sending;
    this.photos.follow(entries);
    const answer = this.answer && entries.find((e) => e.key === this.key);
    if (answer && !sending.some((e) => e.key === this.key)) this.showAnswer(answer);
  }

  sending(entry, percent) {
    if (!this.photos.sending(entry, percent) && entry.key === this.key) this.say(t("sending"), "pending");
  }

  confirmed(entry) {
    if (!this.photos.confirmed(entry) && this.answer && entry.mutation_id === this.answer.mutation_id) this.answered();
  }

  /** The server has the answer: the deduction shows it as the server does, photos and all. */
  async answered() {
    forms.splice(forms.indexOf(this), 1);
    this.say(t("rect_sent"), "saved");
    const section = this.form.closest(".rectification");
    try {
      const response = await fetchWhole(location.pathname, { headers: { Accept: "text/html" } });
      const page = new DOMParser().parseFromString(response.text, "text/html");
      const fresh = page.getElementById(section.closest("article").id).querySelector(".rectification");
      if (response.ok && fresh) section.replaceWith(fresh);
    } catch (error) {
      // The line above says it was sent; the page shows it at the next visit.
    }
  }

  /** Leaving now would lose what was typed or chosen, or a photo this browser keeps only in memory. */
  unfinished() {
    const draft = !this.answer && (this.text.value.trim() || this.jobs.some((job) => !job.seq));
    return Boolean(draft) || this.photos.unfinished();
  }
}

/** 不认可 needs a comment: said at the field, before the page is sent and reloaded at its top. */
function guardReview(form) {
  const comment = form.querySelector("textarea[name=comment]");
  comment.addEventListener("input", () => comment.setCustomValidity(""));
  form.addEventListener("submit", (event) => {
    if (!event.submitter || event.submitter.value !== "not_accepted" || comment.value.trim()) return;
    event.preventDefault();
    comment.setCustomValidity(t("review_comment_needed"));
    comment.reportValidity();
  });
}

function init() {
  if (!user) return;
  document.querySelectorAll("[data-review-form]").forEach(guardReview);
  document.querySelectorAll("[data-rect-form]").forEach((form) => forms.push(new AnswerForm(form)));
  if (!forms.length) return;
  document.addEventListener("sync:sending", (event) => forms.forEach((form) => {
    if (event.detail.entry) form.sending(event.detail.entry, 0);
    else form.follow();
  }));
  document.addEventListener("sync:progress", (event) => forms.forEach((form) => form.sending(event.detail.entry, event.detail.percent)));
  document.addEventListener("sync:confirmed", (event) => forms.forEach((form) => form.confirmed(event.detail.entry)));
  Outbox.onChange(() => forms.forEach((form) => form.follow()));
  window.addEventListener("beforeunload", (event) => {
    if (forms.some((form) => form.unfinished())) {
      event.preventDefault();
      event.returnValue = t("rect_unsent");
    }
  });
}

init();
