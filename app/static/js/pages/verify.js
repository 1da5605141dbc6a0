// The public 核验 page: a PDF dropped anywhere on the check's card is checked at once, as if it had
// been chosen and sent with the form. Without this script the form's file field does the same.

function dropZone(card) {
  const form = card.querySelector("form.verify-upload");
  const input = form.querySelector("input[type=file]");
  card.querySelector(".verify-drop-hint").hidden = false;
  const over = (on) => card.classList.toggle("is-dropping", on);
  card.addEventListener("dragover", (event) => {
    event.preventDefault();
    over(true);
  });
  card.addEventListener("dragleave", (event) => {
    if (!card.contains(event.relatedTarget)) over(false);
  });
  card.addEventListener("drop", (event) => {
    event.preventDefault();
    over(false);
    const [file] = event.dataTransfer.files;
    if (!file) return;
    const chosen = new DataTransfer();
    chosen.items.add(file);
    input.files = chosen.files;
    form.requestSubmit();
  });
}

const card = document.querySelector("#check");
if (card && card.querySelector("form.verify-upload")) dropZone(card);
