// Signature pads on the summary page: draw with a finger (pointer events) on a canvas; the PNG goes
// into the hidden input of the finalize form, and, like every change, to the outbox first: each
// role's sign-off is sent as it is made, so a 定稿 that never reaches the server loses no signature
// (the station's representative may be gone by then). Without JavaScript the pads stay hidden.

import { newMutationId, pageUser } from "../lib/common.js";
import { Kind } from "../lib/phone.js";
import * as Outbox from "../offline/outbox.js";

const section = document.querySelector("[data-signoff]");
const user = pageUser();

function field(role, name) {
  return document.querySelector(`[form="finalize-form"][name="${role}-${name}"]${name === "status" ? ":checked" : ""}`);
}

/** One role's sign-off as the page shows it now. */
function signOff(role) {
  const value = (name) => (field(role, name) ? field(role, name).value.trim() : "");
  const status = value("status");
  return { role, name: value("name"), image: value("image"), status: status === "signed" ? "" : status, note: value("note") };
}

const keyPrefix = () => `${Kind.signature}:${section.dataset.assessmentId}:`;
const entryKey = (role) => `${keyPrefix()}${role}`;

/** The newest sign-off of `role` goes to the outbox; it replaces one of the same role still waiting. */
async function keepSignOff(role) {
  if (!user) return;
  try {
    await Outbox.keep({
      kind: Kind.signature,
      key: entryKey(role),
      author: user.id,
      author_name: user.name,
      assessment_id: section.dataset.assessmentId,
      item_id: null,
      mutation_id: newMutationId(),
      payload: signOff(role),
    });
  } catch (error) {
    // The finalize form still carries the signature; only the early copy is missing.
  }
}

function setUp(pad) {
  const role = pad.querySelector("[data-signature-value]").name.replace(/-image$/, "");
  const canvas = pad.querySelector("canvas");
  const value = pad.querySelector("[data-signature-value]");
  const context = canvas.getContext("2d");
  let drawing = false;
  let drawn = false;

  function resize() {
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    const box = canvas.getBoundingClientRect();
    canvas.width = Math.round(box.width * ratio);
    canvas.height = Math.round(box.height * ratio);
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.lineWidth = 2.5;
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = "#10233f";
  }

  function point(event) {
    const box = canvas.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  }

  /** A new drawing replaces a kept signature rather than being drawn under it. */
  function forgetKept() {
    const kept = pad.querySelector(".signature-kept");
    if (kept) kept.remove();
  }

  function clear() {
    context.clearRect(0, 0, canvas.width, canvas.height);
    forgetKept();
    const had = value.value !== "";
    value.value = "";
    drawn = false;
    pad.classList.remove("signed");
    return had;
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    if (!drawn) clear();
    drawing = true;
    const [x, y] = point(event);
    context.beginPath();
    context.moveTo(x, y);
    context.lineTo(x + 0.1, y + 0.1);
    context.stroke();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    event.preventDefault();
    const [x, y] = point(event);
    context.lineTo(x, y);
    context.stroke();
    drawn = true;
  });
  function finish() {
    if (!drawing) return;
    drawing = false;
    if (drawn) {
      value.value = canvas.toDataURL("image/png");
      pad.classList.add("signed");
      keepSignOff(role);
    }
  }
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);
  pad.querySelector("[data-signature-clear]").addEventListener("click", () => { if (clear()) keepSignOff(role); });
  pad.addEventListener("signature:restore", (event) => {
    clear();
    value.value = event.detail.image;
    if (!event.detail.image) return;
    const kept = document.createElement("img");
    kept.className = "signature-kept";
    kept.alt = "";
    kept.src = event.detail.image;
    pad.prepend(kept);
    pad.classList.add("signed");
  });

  pad.hidden = false;
  resize();
}

function followStatus() {
  const pad = document.querySelector('[data-signature-for="station_representative"]');
  const radios = document.querySelectorAll('input[name="station_representative-status"]');
  if (!pad || !radios.length) return;
  function update() {
    const signs = document.querySelector('input[name="station_representative-status"]:checked').value === "signed";
    pad.hidden = !signs;
    if (!signs) pad.querySelector("[data-signature-clear]").click();
  }
  radios.forEach((radio) => radio.addEventListener("change", update));
  update();
}

/** Names, statuses and notes go to the outbox as they are typed (the engine sends them once they rest). */
function followFields() {
  for (const input of section.querySelectorAll('[form="finalize-form"][name]')) {
    const [role, name] = input.name.split("-");
    if (name === "image") continue;
    input.addEventListener(input.type === "radio" ? "change" : "input", () => keepSignOff(role));
  }
}

/** A sign-off still waiting in this user's outbox is newer than the page the server rendered. */
async function restoreWaiting() {
  const waiting = (await Outbox.all()).filter(
    (e) => e.kind === Kind.signature && e.state === "pending" && String(e.author) === String(user.id) &&
      e.key && e.key.startsWith(keyPrefix()),
  );
  for (const entry of waiting) {
    const { role, name, image, status, note } = entry.payload;
    const set = (fieldName, text) => { const input = field(role, fieldName); if (input) input.value = text || ""; };
    set("name", name);
    set("note", note);
    const radio = document.querySelector(`[form="finalize-form"][name="${role}-status"][value="${status || "signed"}"]`);
    if (radio) radio.checked = true;
    const pad = section.querySelector(`[data-signature-value][name="${role}-image"]`);
    if (pad) pad.closest("[data-signature-pad]").dispatchEvent(new CustomEvent("signature:restore", { detail: { image } }));
  }
}

if (section) {
  document.querySelectorAll("[data-signature-pad]").forEach(setUp);
  if (user) await restoreWaiting().catch(() => {});
  followStatus();
  followFields();
}
