"use strict";
// The outbox: every change an assessor makes that has not yet been confirmed by the server,
// kept in IndexedDB so that it survives a dropped network, a reload and a closed browser.
// Loaded by pages and by the service worker; it touches no DOM.
(function (scope) {
  const DB_NAME = "assessment-outbox";
  const STORE = "entries";
  const CHANNEL = "outbox";
  const FLUSH_LOCK = "outbox-flush";
  let dbPromise = null;

  function openDb() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise((resolve, reject) => {
      let request;
      try {
        request = indexedDB.open(DB_NAME, 1);
      } catch (error) {
        reject(error);
        return;
      }
      request.onupgradeneeded = () => {
        const store = request.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
        store.createIndex("assessment", "assessment_id");
      };
      request.onsuccess = () => {
        const db = request.result;
        // Browsers (Safari above all) may close the connection in the background: open anew next time.
        db.onclose = () => { dbPromise = null; };
        db.onversionchange = () => { db.close(); dbPromise = null; };
        resolve(db);
      };
      request.onerror = () => { dbPromise = null; reject(request.error); };
    });
    return dbPromise;
  }

  async function run(mode, work) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      let result;
      Promise.resolve(work(tx.objectStore(STORE))).then((value) => { result = value; });
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
    });
  }

  function requestValue(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  function announce() {
    if (typeof BroadcastChannel !== "undefined") new BroadcastChannel(CHANNEL).postMessage({ type: "changed" });
  }

  async function add(entry) {
    const record = { state: "pending", error: null, attempts: 0, created_at: new Date().toISOString(), ...entry };
    record.seq = await run("readwrite", (store) => requestValue(store.add(record)));
    announce();
    return record;
  }

  const all = () => run("readonly", (store) => requestValue(store.getAll()));
  const put = (entry) => run("readwrite", (store) => requestValue(store.put(entry)));

  async function remove(seq) {
    await run("readwrite", (store) => requestValue(store.delete(seq)));
    announce();
  }

  async function retry(seq) {
    const entry = await run("readonly", (store) => requestValue(store.get(seq)));
    if (!entry) return;
    entry.state = "pending";
    entry.error = null;
    await put(entry);
    announce();
  }

  /** Use a fresh CSRF token for everything waiting, e.g. after logging in again. */
  async function renewToken(token) {
    for (const entry of await all()) {
      if (entry.csrf !== token) {
        entry.csrf = token;
        await put(entry);
      }
    }
  }

  function request(entry) {
    const headers = { "X-CSRFToken": entry.csrf || "" };
    if (entry.kind === "photo") {
      const body = new FormData();
      body.append("photo", entry.blob, entry.filename || "photo.jpg");
      body.append("mutation_id", entry.mutation_id);
      for (const [key, value] of Object.entries(entry.payload || {})) {
        if (value !== null && value !== undefined && value !== "") body.append(key, value);
      }
      return fetch(`/api/assessments/${entry.assessment_id}/findings/${entry.item_id}/photos`, {
        method: "POST", body, headers, credentials: "same-origin",
      });
    }
    headers["Content-Type"] = "application/json";
    return fetch(`/api/assessments/${entry.assessment_id}/findings/${entry.item_id}`, {
      method: "PUT",
      headers,
      credentials: "same-origin",
      body: JSON.stringify({ ...entry.payload, mutation_id: entry.mutation_id }),
    });
  }

  async function errorBody(response) {
    try {
      return await response.json();
    } catch (error) {
      return {};
    }
  }

  /**
   * Send waiting entries in order, one at a time. An entry leaves the outbox only once the server
   * confirmed it; a refused one stays, marked with the server's reason, until the assessor decides.
   * Returns "done", "busy" (another tab or the worker is sending), "offline" or "login".
   */
  async function flushLocked() {
    const waiting = (await all()).filter((entry) => entry.state === "pending").sort((a, b) => a.seq - b.seq);
    for (const entry of waiting) {
      let response;
      try {
        response = await request(entry);
      } catch (error) {
        return "offline";
      }
      if (response.ok) {
        await remove(entry.seq);
        continue;
      }
      const body = await errorBody(response);
      if (response.status === 401 || body.code === "csrf") {
        return "login";
      } else if (response.status >= 500) {
        return "offline";
      } else {
        entry.state = "rejected";
        entry.error = body.error || `HTTP ${response.status}`;
        entry.attempts += 1;
        await put(entry);
        announce();
      }
    }
    return "done";
  }

  async function flush() {
    if (scope.navigator && scope.navigator.locks) {
      return scope.navigator.locks.request(FLUSH_LOCK, { ifAvailable: true }, (lock) => (lock ? flushLocked() : "busy"));
    }
    return flushLocked();
  }

  scope.Outbox = { add, all, remove, retry, flush, renewToken, openDb, CHANNEL };
})(self);
