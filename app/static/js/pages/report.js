// The report page's print button; printing itself is the browser's, laid out by report.css.
for (const button of document.querySelectorAll("[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
