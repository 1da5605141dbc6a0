// A share link goes to the station head by message: one tap copies it, or hands it to the phone's
// own share sheet where the browser has one. Without this script the link is still there to select.

import { t } from "../lib/common.js";

function copyButton(field) {
  const copy = document.createElement("button");
  copy.type = "button";
  copy.className = "link-button";
  copy.textContent = t("share_copy");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(field.value);
    } catch (error) {
      field.select();
      document.execCommand("copy");
    }
    copy.textContent = t("share_copied");
  });
  return copy;
}

function shareButton(field, title) {
  const share = document.createElement("button");
  share.type = "button";
  share.className = "link-button";
  share.textContent = t("share_send");
  share.addEventListener("click", () => navigator.share({ title, url: field.value }).catch(() => {}));
  return share;
}

for (const field of document.querySelectorAll(".share-link input[readonly]")) {
  const buttons = document.createElement("p");
  buttons.className = "share-actions";
  buttons.append(copyButton(field));
  if (navigator.share) buttons.append(shareButton(field, document.title));
  field.after(buttons);
}
