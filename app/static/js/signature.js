// Signature pads on the finalize page: draw with a finger (pointer events) on a canvas; the PNG
// goes into the hidden input of the finalize form. Without JavaScript the pads stay hidden.

function setUp(pad) {
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

  function clear() {
    context.clearRect(0, 0, canvas.width, canvas.height);
    value.value = "";
    drawn = false;
    pad.classList.remove("signed");
  }

  canvas.addEventListener("pointerdown", (event) => {
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
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
    }
  }
  canvas.addEventListener("pointerup", finish);
  canvas.addEventListener("pointercancel", finish);
  pad.querySelector("[data-signature-clear]").addEventListener("click", clear);

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

document.querySelectorAll("[data-signature-pad]").forEach(setUp);
followStatus();
