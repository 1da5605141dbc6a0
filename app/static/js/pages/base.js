// What every page runs (base.html): the status bar, the service worker and keeping assessments on
// the phone (with the server's copy of a page shown from the phone merged in), the guards that
// keep a change from being dropped, and the sync engine, started for the logged-in user.

import { pageUser } from "../lib/common.js";
import { urlFor } from "../lib/phone.js";
import { guardLinks, guardLogout, guardServerForms, guardStart } from "../offline/guards.js";
import { checkStorage, setUpOfflineButtons } from "../offline/keep.js";
import * as Outbox from "../offline/outbox.js";
import * as Status from "../offline/status.js";
import * as Sync from "../offline/sync.js";
import * as Worker from "../offline/worker.js";

async function start(user) {
  Status.start(user);
  Worker.register(urlFor("worker")).then((registered) => {
    if (registered) setUpOfflineButtons();
    else Status.renderIndicator();
  });
  Worker.mergeFreshCopy().then((changed) => changed && Status.render(), () => {});
  guardLinks();
  guardLogout(user);
  guardStart();
  guardServerForms(user);
  await Outbox.open();
  Outbox.onChange(Status.reread);
  for (const name of ["sync:status", "sync:flushed", "sync:sending"]) document.addEventListener(name, Status.render);
  document.addEventListener("sync:confirmed", (event) => Worker.reportConfirmed(event.detail.entry));
  document.addEventListener("sync:flushed", (event) => {
    if (event.detail.result === "done" && !Status.mine().some((e) => e.state === "pending")) Worker.reportOutboxEmpty();
  });
  await Status.reread();
  Sync.start(user);
  checkStorage().then(Status.showStorageWarnings, () => {});
}

const user = pageUser();
if (user) start(user);
