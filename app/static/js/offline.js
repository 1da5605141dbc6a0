"use strict";
// Offline behaviour of the pages: registers the service worker, routes walk changes through the
// outbox when the network is gone, shows what is on the phone and what is on the server, keeps
// assessments available offline, and guards logging out while changes wait.
(function () {
  const strings = JSON.parse(document.getElementById("ui-strings").textContent);
  const t = (key, values) => {
    const named = typeof values === "object" && values !== null ? values : { n: values };
    return (strings[key] || key).replace(/%\((\w+)\)s/g, (match, name) => (name in named ? named[name] : match));
  };
  const indicator = document.getElementById("sync-indicator");
  const itemForm = () => document.getElementById("item-form");
  let waiting = [];
  let storageWorks = true;
  let storageWarnings = [];
  let backoff = 5000;
  let timer = null;

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function newMutationId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }


  /** Re-read the outbox. Entries may leave it from this page, another tab or the worker. */
  async function refresh() {
    const before = new Set(waiting.map((e) => e.seq));
    try {
      waiting = await Outbox.all();
      storageWorks = true;
    } catch (error) {
      storageWorks = false;
      waiting = [];
    }
    const now = new Set(waiting.map((e) => e.seq));
    if ([...before].some((seq) => !now.has(seq))) {
      refreshCurrentItem();
      document.dispatchEvent(new CustomEvent("outbox:synced"));
    }
    renderIndicator();
    markIndexItems();
    guardFinalize();
  }

  function pendingFor(assessmentId, itemId) {
    return waiting.filter((e) => String(e.assessment_id) === String(assessmentId) && (!itemId || e.item_id === itemId));
  }


  function renderIndicator() {
    if (!indicator) return;
    const online = navigator.onLine;
    const changes = waiting.filter((e) => e.kind !== "photo" && e.state === "pending").length;
    const photos = waiting.filter((e) => e.kind === "photo" && e.state === "pending").length;
    const rejected = waiting.filter((e) => e.state === "rejected");
    const summary = indicator.querySelector(".sync-summary");
    summary.textContent = "";
    const dot = document.createElement("span");
    dot.className = online ? "dot online" : "dot offline";
    summary.append(dot, online ? t("online") : t("offline"));
    if (changes || photos || rejected.length) {
      summary.append(" · ", String(changes + photos + rejected.length));
    }
    indicator.classList.toggle("has-waiting", Boolean(changes || photos || rejected.length));
    indicator.classList.toggle("is-offline", !online);

    const panel = indicator.querySelector(".sync-panel-body");
    panel.textContent = "";
    const line = (text, cls) => {
      const p = document.createElement("p");
      p.textContent = text;
      if (cls) p.className = cls;
      panel.append(p);
      return p;
    };
    line(online ? t("online_long") : t("offline_long"));
    if (!storageWorks) line(t("storage_unavailable"), "error");
    if (!changes && !photos && !rejected.length && storageWorks) line(t("all_synced"), "saved");
    if (changes) line(t("changes_waiting", changes));
    if (photos) line(t("photos_waiting", photos));
    if (indicator.dataset.login === "needed") line(t("login_needed"), "error");
    for (const entry of rejected) panel.append(rejectedEntry(entry));
    if (changes || photos || rejected.length) {
      const actions = document.createElement("div");
      actions.className = "actions";
      actions.append(button(t("sync_now"), () => flushNow()), button(t("export"), exportWaiting));
      panel.append(actions);
    }
    for (const warning of storageWarnings) line(warning, "prompt");
  }

  function rejectedEntry(entry) {
    const box = document.createElement("div");
    box.className = "rejected";
    const title = document.createElement("p");
    const kind = entry.kind === "photo" ? t("photo_entry") : t("result_entry");
    title.textContent = t("refused_entry", { item: entry.item_id, kind, reason: entry.error });
    const actions = document.createElement("div");
    actions.className = "actions";
    actions.append(
      button(t("retry"), async () => { await Outbox.retry(entry.seq); flushNow(); }),
      button(t("discard"), async () => { if (confirm(t("confirm_discard"))) await Outbox.remove(entry.seq); refresh(); })
    );
    box.append(title, actions);
    return box;
  }

  function button(label, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }


  async function flushNow() {
    clearTimeout(timer);
    if (!storageWorks) return;
    let result = "done";
    if (navigator.onLine) {
      await Outbox.renewToken(csrfToken());
      result = await Outbox.flush();
    } else {
      result = "offline";
    }
    if (indicator) indicator.dataset.login = result === "login" ? "needed" : "";
    await refresh();
    if (result === "done") {
      backoff = 5000;
    } else {
      backoff = Math.min(backoff * 2, 5 * 60 * 1000);
    }
    if (waiting.some((e) => e.state === "pending")) timer = setTimeout(flushNow, backoff);
  }

  function askForBackgroundSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready
      .then((registration) => registration.sync && registration.sync.register("outbox"))
      .catch(() => {});
  }


  function entryFromForm(form, triggerName) {
    const inputs = {};
    let counted = false;
    for (const field of form.querySelectorAll('[name^="input-"]')) {
      const name = field.name.slice("input-".length);
      if (field.type === "checkbox") {
        inputs[name] = field.checked;
      } else if (field.value.trim() !== "") {
        const raw = field.value.trim();
        inputs[name] = /^-?\d+$/.test(raw) ? parseInt(raw, 10) : raw;
        counted = true;
      }
    }
    const chosen = form.querySelector('input[name="outcome"]:checked');
    const note = form.querySelector('textarea[name="note"]').value;
    if (triggerName === "outcome" || !counted) return { outcome: chosen ? chosen.value : null, inputs: null, note };
    return { outcome: null, inputs, note };
  }

  async function keepOnPhone(form, mutationId, payload) {
    try {
      await Outbox.add({
        kind: "finding",
        mutation_id: mutationId,
        assessment_id: form.dataset.assessmentId,
        item_id: form.dataset.itemId,
        payload,
        csrf: csrfToken(),
      });
    } catch (error) {
      storageWorks = false;
      showItemStatus(t("storage_unavailable"), "error");
      renderIndicator();
      return;
    }
    if (payload.inputs === null) form.querySelectorAll('input[type="number"][name^="input-"]').forEach((f) => { f.value = ""; });
    showItemStatus(t("saved_on_phone"), "pending");
    askForBackgroundSync();
    await refresh();
    if (navigator.onLine) flushNow();
  }

  function showItemStatus(text, cls) {
    const status = document.getElementById("item-status");
    if (!status) return;
    status.textContent = "";
    const p = document.createElement("p");
    p.className = cls;
    p.textContent = text;
    status.append(p);
  }

  document.addEventListener("htmx:configRequest", (event) => {
    const form = event.detail.elt.closest && event.detail.elt.closest("#item-form");
    if (!form || event.defaultPrevented) return;
    const mutationId = newMutationId();
    const payload = entryFromForm(form, event.detail.elt.name);
    event.detail.parameters.mutation_id = mutationId;
    event.detail.elt.pendingChange = { mutationId, payload };
    if (!navigator.onLine || pendingFor(form.dataset.assessmentId).some((e) => e.state === "pending")) {
      event.preventDefault();
      keepOnPhone(form, mutationId, payload);
    }
  });

  function keepFailedRequest(event) {
    const change = event.detail.elt.pendingChange;
    const form = event.detail.elt.closest && event.detail.elt.closest("#item-form");
    if (change && form) keepOnPhone(form, change.mutationId, change.payload);
  }
  document.addEventListener("htmx:sendError", keepFailedRequest);
  document.addEventListener("htmx:timeout", keepFailedRequest);

  /** A page opened from the phone's copy shows the changes still waiting, as entered. */
  function showWaitingOnItem() {
    const form = itemForm();
    if (!form) return;
    const entries = pendingFor(form.dataset.assessmentId, form.dataset.itemId).filter((e) => e.kind === "finding");
    if (!entries.length) return;
    const last = entries[entries.length - 1];
    const { outcome, inputs, note } = last.payload;
    form.querySelectorAll('input[name="outcome"]').forEach((radio) => { radio.checked = radio.value === outcome; });
    for (const field of form.querySelectorAll('[name^="input-"]')) {
      const value = inputs ? inputs[field.name.slice("input-".length)] : undefined;
      if (field.type === "checkbox") field.checked = Boolean(value);
      else field.value = value === undefined || value === null ? "" : value;
    }
    form.querySelector('textarea[name="note"]').value = note;
    if (last.state === "rejected") showItemStatus(t("refused_reason", { reason: last.error }), "error");
    else showItemStatus(t("saved_on_phone"), "pending");
  }

  function refreshCurrentItem() {
    const form = itemForm();
    if (!form || !window.htmx) return;
    if (pendingFor(form.dataset.assessmentId, form.dataset.itemId).length) return;
    if (!document.querySelector("#item-status .pending")) return;
    window.htmx.ajax("GET", window.location.pathname, { target: "#item", swap: "outerHTML" });
  }

  function markIndexItems() {
    document.querySelectorAll("[data-index-assessment]").forEach((list) => {
      const ids = new Set(pendingFor(list.dataset.indexAssessment).map((e) => e.item_id));
      list.querySelectorAll("li[data-item-id]").forEach((li) => {
        let badge = li.querySelector(".badge.pending");
        if (ids.has(li.dataset.itemId) && !badge) {
          badge = document.createElement("span");
          badge.className = "badge pending";
          badge.textContent = t("waiting_badge");
          li.querySelector(".row-link").append(badge);
        } else if (!ids.has(li.dataset.itemId) && badge) {
          badge.remove();
        }
      });
    });
  }

  function guardFinalize() {
    const finalize = document.querySelector("[data-finalize-assessment]");
    if (!finalize) return;
    const count = pendingFor(finalize.dataset.finalizeAssessment).length;
    const note = document.getElementById("finalize-waiting");
    note.hidden = count === 0;
    note.textContent = t("finalize_waiting", count);
    finalize.querySelector("button").disabled = count > 0 || finalize.dataset.complete !== "true";
  }


  function askWorker(message) {
    return navigator.serviceWorker.ready.then(
      (registration) =>
        new Promise((resolve) => {
          const channel = new MessageChannel();
          channel.port1.onmessage = (event) => resolve(event.data);
          registration.active.postMessage(message, [channel.port2]);
        })
    );
  }

  async function makeAvailableOffline(element, force) {
    const id = element.dataset.offlineAssessment;
    const label = element.querySelector(".offline-label");
    const action = element.querySelector("button");
    const cached = await askWorker({ type: "cached-assessments" });
    if (!force && cached.ids && cached.ids.includes(String(id))) {
      label.textContent = t("offline_ready");
      element.classList.add("ready");
      return;
    }
    if (!navigator.onLine) {
      label.textContent = t("offline_not_ready");
      return;
    }
    if (!force && element.dataset.offlineAuto === "false") {
      label.textContent = t("offline_not_saved");
      return;
    }
    label.textContent = t("downloading");
    action.disabled = true;
    try {
      const list = await (await fetch(element.dataset.offlineUrls, { credentials: "same-origin" })).json();
      const result = await askWorker({ type: "cache-assessment", assessmentId: id, urls: list.urls });
      if (!result.ok) throw new Error(result.error);
      label.textContent = t("offline_ready");
      element.classList.add("ready");
    } catch (error) {
      label.textContent = t("download_failed");
    } finally {
      action.disabled = false;
    }
  }

  function setUpOfflineButtons() {
    document.querySelectorAll("[data-offline-assessment]").forEach((element) => {
      element.hidden = false;
      element.querySelector("button").addEventListener("click", () => makeAvailableOffline(element, true));
      makeAvailableOffline(element, false);
    });
  }


  function blobToDataUrl(blob) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
  }

  async function exportWaiting() {
    const entries = [];
    for (const entry of await Outbox.all()) {
      const copy = { ...entry };
      delete copy.csrf;
      if (entry.blob) copy.blob = await blobToDataUrl(entry.blob);
      entries.push(copy);
    }
    const document_ = {
      format: "assessment-outbox",
      version: 1,
      exported_at: new Date().toISOString(),
      exported_by: indicator ? indicator.dataset.user : "",
      entries,
    };
    const file = new Blob([JSON.stringify(document_, null, 1)], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(file);
    link.download = `outbox-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-")}.json`;
    document.body.append(link);
    link.click();
    link.remove();
  }

  function guardLogout() {
    document.querySelectorAll("form.logout-form").forEach((form) => {
      form.addEventListener("submit", async (event) => {
        if (form.dataset.confirmed === "true") return;
        event.preventDefault();
        await refresh();
        const dialog = document.getElementById("logout-dialog");
        if (waiting.length && dialog) {
          dialog.querySelector(".logout-count").textContent = t("logout_warning", waiting.length);
          dialog.showModal();
          return;
        }
        await leave(form);
      });
    });
    const dialog = document.getElementById("logout-dialog");
    if (!dialog) return;
    dialog.querySelector("[data-action=sync]").addEventListener("click", async () => { dialog.close(); await flushNow(); });
    dialog.querySelector("[data-action=export]").addEventListener("click", exportWaiting);
    dialog.querySelector("[data-action=leave]").addEventListener("click", () => leave(document.querySelector("form.logout-form")));
  }

  /** Remove this user's saved pages from the phone; what still waits in the outbox stays. */
  async function leave(form) {
    if ("serviceWorker" in navigator && navigator.serviceWorker.controller) {
      await askWorker({ type: "drop-assessment-caches" });
    }
    form.dataset.confirmed = "true";
    form.submit();
  }


  async function checkStorage() {
    storageWarnings = [];
    if (navigator.storage && navigator.storage.persist) {
      const persisted = await navigator.storage.persisted();
      if (!persisted) await navigator.storage.persist();
    }
    if (navigator.storage && navigator.storage.estimate) {
      const { usage, quota } = await navigator.storage.estimate();
      if (quota && quota - usage < 50 * 1024 * 1024) storageWarnings.push(t("storage_low"));
    }
    const iOS = /iPad|iPhone|iPod/.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
    const standalone = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
    if (iOS && !standalone) storageWarnings.push(t("ios_hint"));
    const banner = document.getElementById("ios-hint");
    if (banner && iOS && !standalone) {
      banner.hidden = false;
      banner.textContent = t("ios_hint");
    }
  }


  async function start() {
    if (indicator) indicator.hidden = false;
    try {
      await Outbox.openDb();
    } catch (error) {
      storageWorks = false;
    }
    await refresh();
    showWaitingOnItem();
    if ("serviceWorker" in navigator) {
      await navigator.serviceWorker.register("/sw.js", { scope: "/" });
      setUpOfflineButtons();
    }
    guardLogout();
    checkStorage().then(renderIndicator);
    flushNow();
    window.addEventListener("online", flushNow);
    window.addEventListener("offline", renderIndicator);
    document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") flushNow(); });
    if (typeof BroadcastChannel !== "undefined") new BroadcastChannel(Outbox.CHANNEL).onmessage = refresh;
    document.addEventListener("htmx:afterSwap", () => { markIndexItems(); guardFinalize(); });
  }

  start();
})();
