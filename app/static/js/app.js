"use strict";
// Loaded in <head> without defer so the page knows at once that scripts run: the save buttons
// that only a page without JavaScript needs are hidden from the first paint.
document.documentElement.classList.add("js");

// A count means nothing until its partner is filled in too (papers checked and papers with
// errors): sending one alone would answer an error and swap the form under the user's fingers.
document.addEventListener("htmx:configRequest", (event) => {
  const field = event.detail.elt;
  if (!field.matches || !field.matches('input[type="number"][name^="input-"]')) return;
  const values = Array.from(field.form.querySelectorAll('input[type="number"][name^="input-"]'), (f) => f.value.trim());
  if (values.some((v) => v === "") && values.some((v) => v !== "")) event.preventDefault();
});
