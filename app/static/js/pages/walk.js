// One item of the walk: every tap and keystroke goes to the outbox first and shows at once; the
// server's answer only confirms it (status, derived outcome, progress) and never touches a field.
// The body sent is exactly the API's: {outcome, inputs, note}. Tapping an outcome chooses it and
// clears the counts; filling every count lets the counts decide; a count alone waits for its partner.
// Each result carries the revision of the item it was based on (`based_on`): the server keeps a
// teammate's newer result rather than let an older-based one replace it, and says so (shown here).

import { element, failureText, fetchWhole, newMutationId, pageUser, showLines, t } from "../lib/common.js";
import { countOf, Kind } from "../lib/phone.js";
import * as Outbox from "../offline/outbox.js";
import * as Sync from "../offline/sync.js";

const form = document.getElementById("item-form");
// Room kept between the note's block and the bars above and below it, in CSS pixels.
const GAP = 8;
const user = pageUser();

if (form && user && !form.querySelector("fieldset[disabled]")) setUp();

function setUp() {
  const assessmentId = form.dataset.assessmentId;
  const itemId = form.dataset.itemId;
  const key = `${Kind.finding}:${assessmentId}:${itemId}`;
  const note = form.querySelector('textarea[name="note"]');
  const tools = form.querySelector("[data-deduction-tools]");
  const OUTCOMES = 'input[name="outcome"]';
  // The revision of the result this page shows; what is entered here is based on it.
  let revision = Number(form.dataset.revision) || 0;
  let teammates = [];
  let countsModule = null;
  let team = null;
  const counts = () => [...form.querySelectorAll('input[name^="input-"]')];
  const numbers = () => counts().filter((field) => field.type === "number");
  let mode = numbers().some((field) => field.value.trim() !== "") ? "counts" : "outcome";
  let confirmed = null;

  form.addEventListener("submit", (event) => event.preventDefault());

  form.addEventListener("change", (event) => {
    const field = event.target;
    if (field.name === "outcome") {
      mode = "outcome";
      numbers().forEach((input) => { input.value = ""; });
      counts().filter((input) => input.type === "checkbox").forEach((input) => { input.checked = false; });
      keepChange();
      showDeductionTools();
    } else if (field.name.startsWith("input-") && field.type === "checkbox") {
      countsChanged();
    }
  });
  form.addEventListener("input", (event) => {
    const field = event.target;
    if (field === note) keepChange();
    else if (field.name && field.name.startsWith("input-") && field.type === "number") countsChanged();
  });

  function countsChanged() {
    const values = numbers().map((field) => field.value.trim());
    const filled = values.filter((value) => value !== "").length;
    if (filled && filled < values.length) return;
    mode = filled ? "counts" : "outcome";
    keepChange();
  }

  function body() {
    const chosen = form.querySelector(`${OUTCOMES}:checked`);
    if (mode === "outcome") return { outcome: chosen ? chosen.value : null, inputs: null, note: note.value, based_on: revision };
    const inputs = {};
    for (const field of counts()) {
      const name = field.name.slice("input-".length);
      if (field.type === "checkbox") inputs[name] = field.checked;
      else inputs[name] = countOf(field.value);
    }
    return { outcome: null, inputs, note: note.value, based_on: revision };
  }

  /**
   * What the server would refuse waits on the phone as a draft, never sent: 不适用 without its
   * reason, a note without a result. Once the missing part is entered it is queued as usual.
   */
  function missing(payload) {
    if (payload.outcome === "not_applicable" && !payload.note.trim()) return "reason";
    if (mode === "outcome" && !payload.outcome) return "outcome";
    return null;
  }

  async function keepChange() {
    const payload = body();
    const state = missing(payload) ? "draft" : "pending";
    if (state === "draft" && missing(payload) === "outcome" && !payload.note) {
      await dropDraft();
      return;
    }
    renderStatus({ entry: { state, payload } });
    if (missing(payload) === "reason" && document.activeElement !== note) note.focus();
    try {
      await Outbox.keep({ ...entryFields(), mutation_id: newMutationId(), state, payload });
    } catch (error) {
      renderStatus({ error: t("storage_unavailable") });
    }
  }

  /** A note cleared before any result was chosen leaves nothing behind on the phone either. */
  async function dropDraft() {
    const drafts = (await waiting()).filter((e) => e.state === "draft");
    await Promise.all(drafts.map((e) => Outbox.remove(e.seq)));
    renderStatus();
  }

  function entryFields() {
    return { kind: Kind.finding, key, author: user.id, author_name: user.name, assessment_id: assessmentId, item_id: itemId };
  }

  async function waiting() {
    return (await Sync.waitingFor(user)).filter((e) => e.key === key);
  }

  /**
   * A page opened from the phone's copy shows the result the server confirmed since that copy
   * was made, from the answer kept then: the copy is not fetched again after every change.
   */
  async function showConfirmed() {
    const record = await Outbox.confirmedFor(key);
    if (!record || String(record.author) !== String(user.id)) return;
    const shown = form.dataset.updatedAt;
    if (shown && Date.parse(shown) >= Date.parse(record.finding.updated_at)) {
      await Outbox.forgetConfirmed(key);
      return;
    }
    showResult(record.finding);
    learnRevision(record.finding);
    confirmed = timeOf(new Date(record.finding.updated_at));
  }

  /** The progress bar of a page opened from an older copy follows the last answer the phone kept. */
  async function showLatestProgress() {
    const record = await Outbox.confirmedFor(`progress:${assessmentId}`);
    const holder = document.getElementById("progress");
    if (!record || !holder || String(record.author) !== String(user.id)) return;
    if (holder.dataset.asOf && Date.parse(holder.dataset.asOf) >= Date.parse(record.at)) return;
    showProgress(record);
  }

  /** A page opened from the phone's copy (or before a sync) shows what waits, as entered. */
  async function showWaiting() {
    const [entry] = await waiting();
    if (!entry) return;
    showResult(entry.payload);
    renderStatus();
  }

  /** Put a result ({outcome, inputs, note}) in the fields; a note being typed is left alone. */
  function showResult({ outcome, inputs, note: text }) {
    mode = inputs ? "counts" : "outcome";
    form.querySelectorAll(OUTCOMES).forEach((radio) => { radio.checked = radio.value === outcome; });
    for (const field of counts()) {
      const value = inputs ? inputs[field.name.slice("input-".length)] : undefined;
      if (field.type === "checkbox") field.checked = Boolean(value);
      else field.value = value === undefined || value === null ? "" : value;
    }
    if (document.activeElement !== note) note.value = text;
    toggleTools();
  }

  function learnRevision(finding) {
    if (Number.isInteger(finding.revision)) revision = finding.revision;
  }

  /**
   * A deduction is one screen of work: the note is focused, and it and the camera and gallery
   * buttons beside it are brought between the top bar and the walk's bottom bar.
   */
  function showDeductionTools() {
    if (!toggleTools()) return;
    note.focus({ preventScroll: true });
    // WebKitGTK focuses the outcome tapped after its change event: the note takes the focus back.
    setTimeout(() => {
      if (document.activeElement && document.activeElement.matches(OUTCOMES)) note.focus({ preventScroll: true });
    }, 0);
    bringIntoView(document.getElementById("item-status") || note, tools || note);
  }

  /** The camera and gallery beside the note show while a deduction is chosen; answers whether one is. */
  function toggleTools() {
    const deducted = deductionChosen() === "deducted";
    if (tools) tools.hidden = !deducted;
    return deducted;
  }

  function bringIntoView(first, last) {
    const bar = document.querySelector(".topbar");
    const nav = document.querySelector(".walk-nav");
    const top = bar ? bar.getBoundingClientRect().bottom : 0;
    const bottom = nav ? nav.getBoundingClientRect().top : window.innerHeight;
    const from = first.getBoundingClientRect().top;
    const to = last.getBoundingClientRect().bottom;
    let by = 0;
    if (to > bottom - GAP) by = to - (bottom - GAP);
    if (from - by < top + GAP) by = from - (top + GAP);
    if (by) window.scrollBy({ top: by, behavior: "instant" });
  }

  /** The notice of a teammate's newer result, or null where pages/team.js cannot be had (the plain refusal then says it). */
  function notAppliedNotice(Team, entry) {
    if (!Team) return null;
    const time = timeOf(new Date(entry.current.at));
    return Team.notAppliedNotice(entry.current, time, {
      applyMine: () => applyMine(entry),
      keepTheirs: () => keepTheirs(entry),
    });
  }

  /** Mine again, as a new change based on the revision that stands now. */
  async function applyMine(entry) {
    revision = entry.current.revision;
    const payload = { ...entry.payload, based_on: revision };
    renderStatus({ entry: { state: "pending", payload } });
    await Outbox.keep({ ...entryFields(), mutation_id: newMutationId(), state: "pending", payload });
  }

  async function keepTheirs(entry) {
    revision = entry.current.revision;
    note.blur();
    showResult(entry.current);
    await Outbox.remove(entry.seq);
  }

  /** This user's entries for the item, in one read that also learns what other users left waiting on it here. */
  async function readEntries() {
    const entries = (await Outbox.all()).filter((e) => e.key === key);
    teammates = entries.filter((e) => String(e.author) !== String(user.id));
    return entries.filter((e) => String(e.author) === String(user.id));
  }

  function teamModule() {
    team = team || import("./team.js").catch(() => { team = null; return null; });
    return team;
  }

  function timeOf(date) {
    return date.toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
  }

  function deductionChosen() {
    const chosen = form.querySelector(`${OUTCOMES}:checked`);
    const label = chosen && chosen.closest("label.outcome");
    if (!label) return null;
    if (label.dataset.kind === "not_applicable") return "not_applicable";
    return label.dataset.kind === "zero" || label.dataset.kind === "partial" ? "deducted" : null;
  }

  function prompt() {
    const kind = deductionChosen();
    if (!kind || note.value.trim()) return null;
    return element("p", "prompt", kind === "deducted" ? t("note_needed_deduction") : t("note_needed_na"));
  }

  /** What a draft still needs before it can be sent, asked for in words where the note is. */
  function draftPrompt(entry) {
    const reason = missing(entry.payload) === "reason";
    return element("p", "prompt", reason ? t("reason_needed_na") : t("outcome_needed"));
  }

  /** The item's status line, from the outbox (waiting, sending, refused) or the last confirmation. */
  async function renderStatus(hint = {}) {
    const status = document.getElementById("item-status");
    if (!status) return;
    const [entry] = hint.entry ? [hint.entry] : await readEntries();
    const overruled = entry && entry.state === "rejected" && entry.current;
    const Team = teammates.length || overruled ? await teamModule() : null;
    const lines = Team ? Team.teammateLines(teammates) : [];
    const notice = overruled && notAppliedNotice(Team, entry);
    const sending = Sync.status().sending;
    if (hint.error) {
      lines.push(element("p", "error", hint.error));
    } else if (notice) {
      lines.push(notice);
    } else if (entry && entry.state === "draft") {
      lines.push(draftPrompt(entry));
    } else if (entry && entry.state === "rejected") {
      lines.push(element("p", "error", t("refused_reason", { reason: entry.error })));
    } else if (entry && sending.some((e) => e.key === key)) {
      lines.push(element("p", "pending sending", t("sending")));
    } else if (entry) {
      lines.push(element("p", "pending", t("saved_on_phone")));
      if (entry.error) lines.push(element("p", "muted", failureText(entry.error)));
    } else if (confirmed) {
      lines.push(element("p", "saved", t("saved_at", { time: confirmed })));
    } else if (status.querySelector(".pending, .error, .not-applied")) {
      lines.push(element("p", "saved", t("synced")));
    } else if (!lines.length) {
      return;
    }
    const needed = prompt();
    if (needed && !(entry && (entry.state === "rejected" || entry.state === "draft"))) lines.push(needed);
    const newNotice = !status.querySelector(".not-applied") && lines.some((line) => line.classList.contains("not-applied"));
    showLines(status, lines);
    if (newNotice) status.querySelector(".not-applied").scrollIntoView({ block: "center" });
    document.dispatchEvent(new CustomEvent("walk:result", { detail: { deducted: deductionChosen() === "deducted" } }));
  }

  function showProgress(answer) {
    const progress = document.querySelector("#progress progress");
    if (!progress || !Array.isArray(answer.unscored)) return;
    document.getElementById("progress").dataset.unscored = JSON.stringify(answer.unscored);
    const total = Number(progress.max);
    const scored = total - answer.unscored.length;
    progress.value = scored;
    progress.textContent = `${scored}/${total}`;
    document.querySelector("#progress .progress-count").textContent = `${scored}/${total}`;
    document.querySelector("#progress .progress-score").textContent = t("points_total", { score: answer.score });
    if (countsModule) recount();
  }

  /**
   * Results waiting on the phone count as entered in the progress bar (offline/counts.js). The
   * module loads only once one waits: the walk's first visit stays light.
   */
  function recount() {
    countsModule = countsModule || import("../offline/counts.js").catch(() => null);
    countsModule.then((module) => module && module.showCounts());
  }

  async function recountIfWaiting() {
    const entries = await Outbox.all();
    if (entries.some((e) => e.kind === Kind.finding && String(e.assessment_id) === assessmentId)) recount();
  }

  /** Counted items explain the outcome their counts give: that sentence is the server's. */
  async function showDerived() {
    const answer = await fetchWhole(location.pathname, { headers: { "HX-Request": "true" } });
    if (!answer.ok) return;
    const fragment = new DOMParser().parseFromString(answer.text, "text/html");
    const fresh = fragment.querySelector(".derived");
    const shown = form.querySelector(".derived");
    if (fresh && shown) shown.replaceWith(fresh);
    else if (fresh) form.querySelector("fieldset.counts").append(fresh);
  }

  document.addEventListener("sync:confirmed", async (event) => {
    const { entry, body: answer } = event.detail;
    if (entry.key !== key || !answer.finding) return;
    showProgress(answer);
    learnRevision(answer.finding);
    if ((await waiting()).length) return renderStatus();
    const outcome = answer.finding.outcome;
    form.querySelectorAll(OUTCOMES).forEach((radio) => { radio.checked = radio.value === outcome; });
    confirmed = timeOf(new Date());
    renderStatus();
    if (answer.finding.inputs) showDerived().catch(() => {});
  });
  document.addEventListener("sync:sending", () => renderStatus());
  Outbox.onChange(() => {
    renderStatus();
    if (!countsModule) recountIfWaiting().catch(() => {});
  });
  recountIfWaiting().catch(() => {});
  showLatestProgress().catch(() => {});
  showConfirmed().catch(() => {}).then(showWaiting).then(() => renderStatus());
}
