// The outbox: every change an assessor makes, kept on the phone (IndexedDB) until the server has
// confirmed it. Every change is written here first; the sync engine (sync.js) sends from here.
// The kinds of entry are Python's (lib/phone.js: Kind).
//
// An entry: {seq, kind, author, author_name, author_token, assessment_id, item_id, key, mutation_id, payload,
// blob, state: "pending" | "rejected" | "draft", error, created_at, updated_at}. A draft is kept
// but never sent: it lacks what the server would refuse it without (不适用's reason, say). Entries with the same `key`
// hold the whole state of one thing (an item's result, a caption, a no-photo reason): a newer one
// replaces the waiting one and takes a new mutation_id, so an older copy already on its way is
// never mistaken for the newer.
//
// Where IndexedDB is missing the outbox lives in memory (and says so); where it cannot keep
// photos (WebKit's ephemeral sessions) the photo waits in memory and its entry says so: it names
// the page that holds it (`held_by`), and that page holds the Web Lock HOLDER_LOCK + its name for
// as long as it holds photos, until it is left. An entry whose page is gone has lost its photo:
// markLostPhotos() says so (rejected, error LOST), and it is never counted as waiting.

import { Kind } from "../lib/phone.js";

const DB_NAME = "assessment-outbox";
const STORE = "entries";
// The server's last answer for each item result it confirmed: a page opened from the phone's
// older copy shows it, so the copy need not be fetched again after every change.
const CONFIRMED = "confirmed";
const CHANNEL = "outbox";
// Not a change: the entry canKeepPhotos() writes and removes at once to try the store.
export const PROBE = "probe";
// Why a photo held in a page's memory will never be sent: that page is gone.
export const LOST = "lost";
const HOLDER_LOCK = "outbox-photos-held-by:";
const PAGE = Math.random().toString(36).slice(2);

let dbPromise = null;
let durable = true;
const memoryEntries = new Map();
const memoryBlobs = new Map();
let memorySeq = 1e9;

function openDb() {
  if (dbPromise) return dbPromise;
  dbPromise = new Promise((resolve, reject) => {
    let request;
    try {
      request = indexedDB.open(DB_NAME, 2);
    } catch (error) {
      reject(error);
      return;
    }
    request.onupgradeneeded = (event) => {
      const store = event.oldVersion < 1
        ? request.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true })
        : request.transaction.objectStore(STORE);
      if (event.oldVersion < 1) store.createIndex("assessment", "assessment_id");
      // Finding the entry a keystroke replaces must not read every entry (photos included).
      if (event.oldVersion < 2) {
        store.createIndex("key", "key");
        request.result.createObjectStore(CONFIRMED, { keyPath: "key" });
      }
    };
    request.onsuccess = () => {
      const db = request.result;
      // Browsers (Safari above all) may close the connection in the background: open anew next time.
      db.onclose = () => { dbPromise = null; };
      db.onversionchange = () => { db.close(); dbPromise = null; };
      // A page left for the back/forward cache with its connection open stops WebKit from opening
      // the store for the next page (seen in WebKitGTK 2.50): it lets go, and opens anew if it comes back.
      window.addEventListener("pagehide", () => { db.close(); dbPromise = null; }, { once: true });
      resolve(db);
    };
    request.onerror = () => { dbPromise = null; reject(request.error); };
  });
  return dbPromise;
}

/** Open the store; false when this browser keeps nothing on the phone (the outbox is then in memory). */
export async function open() {
  try {
    await openDb();
    durable = true;
  } catch (error) {
    durable = false;
  }
  return durable;
}

export const isDurable = () => durable;

const writes = new Set();

/** Resolves once every change handed to keep() is on the phone: leaving the page before would drop it. */
export const written = () => Promise.allSettled([...writes]);
export const writing = () => writes.size > 0;

function requestValue(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, work, storeName = STORE) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, mode);
    let result;
    Promise.resolve(work(tx.objectStore(storeName))).then((value) => { result = value; }, () => tx.abort());
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

function announce() {
  if (typeof BroadcastChannel !== "undefined") new BroadcastChannel(CHANNEL).postMessage({ type: "changed" });
  document.dispatchEvent(new CustomEvent("outbox:changed"));
}

function withMemoryBlob(entry) {
  if (entry.blob_in_memory) return { ...entry, blob: memoryBlobs.get(entry.mutation_id) || null };
  return entry;
}

export async function all() {
  if (!durable) return [...memoryEntries.values()].map(withMemoryBlob).sort((a, b) => a.seq - b.seq);
  const entries = await run("readonly", (store) => requestValue(store.getAll()));
  return entries.map(withMemoryBlob);
}

/** Whether this browser can keep a photo in IndexedDB (WebKit's ephemeral sessions cannot). */
export async function canKeepPhotos() {
  if (!durable) return false;
  try {
    await run("readwrite", async (store) => {
      const seq = await requestValue(store.add({ kind: PROBE, blob: new Blob(["probe"], { type: "text/plain" }) }));
      await requestValue(store.delete(seq));
    });
    return true;
  } catch (error) {
    return false;
  }
}

/** The token the server signed for this page's user: an exported entry carrying it is credited to them. */
function authorToken() {
  const meta = document.querySelector('meta[name="outbox-author"]');
  return meta ? meta.content : null;
}

function stamp(entry) {
  const now = new Date().toISOString();
  return { state: "pending", error: null, created_at: now, author_token: authorToken(), ...entry, updated_at: now };
}

/**
 * Keep one change. With a `key`, it replaces the waiting entry of the same author and key (the
 * newest state of that thing wins, under a new mutation_id) instead of queueing behind it.
 */
export function keep(entry) {
  const write = keepNow(entry);
  writes.add(write);
  write.finally(() => writes.delete(write)).catch(() => {});
  return write;
}

async function keepNow(entry) {
  const record = stamp(entry);
  if (!durable) {
    keepInMemory(record);
  } else {
    try {
      record.seq = await run("readwrite", (store) => storeEntry(store, record));
    } catch (error) {
      if (!record.blob) throw error;
      holdPhotos();
      memoryBlobs.set(record.mutation_id, record.blob);
      const withoutBlob = { ...record, blob: null, blob_in_memory: true, held_by: PAGE };
      record.seq = await run("readwrite", (store) => storeEntry(store, withoutBlob));
      record.blob_in_memory = true;
    }
  }
  announce();
  return record;
}

let letPhotosGo = null;

/** This page holds photos in its memory: other pages see it alive by its lock, until it is left. */
function holdPhotos() {
  if (letPhotosGo || !navigator.locks) return;
  const held = new Promise((resolve) => { letPhotosGo = resolve; });
  navigator.locks.request(HOLDER_LOCK + PAGE, () => held);
  window.addEventListener("pagehide", () => {
    memoryBlobs.clear();
    letPhotosGo();
    letPhotosGo = null;
  }, { once: true });
}

/** A photo in another page's memory: not this page's to send, and lost once that page is gone. */
export const heldElsewhere = (entry) => Boolean(entry.blob_in_memory && !entry.blob);

async function livePhotoHolders() {
  if (!navigator.locks) return new Set();
  const { held } = await navigator.locks.query();
  return new Set(held.filter((lock) => lock.name.startsWith(HOLDER_LOCK)).map((lock) => lock.name.slice(HOLDER_LOCK.length)));
}

/**
 * The photos held in the memory of a page that is gone are lost: each is marked so, with the
 * captions typed on it, so that nothing says they still wait. Answers whether any photo waits in
 * another page that is still open.
 */
export async function markLostPhotos(entries) {
  const elsewhere = entries.filter((e) => heldElsewhere(e) && e.state === "pending");
  if (!elsewhere.length) return false;
  const alive = await livePhotoHolders();
  const lost = elsewhere.filter((e) => !alive.has(e.held_by)).map((e) => e.mutation_id);
  const gone = entries.filter((e) => lost.includes(e.mutation_id) || (e.kind === Kind.caption && lost.includes(e.payload.photo_mutation_id)));
  for (const entry of gone) await reject(entry.seq, entry.mutation_id, LOST);
  return lost.length < elsewhere.length;
}

function keepInMemory(record) {
  const same = record.key && [...memoryEntries.values()].find((e) => e.key === record.key && e.author === record.author);
  record.seq = same ? same.seq : (memorySeq += 1);
  if (record.blob) {
    memoryBlobs.set(record.mutation_id, record.blob);
    record.blob_in_memory = true;
    record.blob = null;
  }
  memoryEntries.set(record.seq, record);
}

async function storeEntry(store, record) {
  if (record.key) {
    const existing = (await requestValue(store.index("key").getAll(record.key))).find((e) => e.author === record.author);
    if (existing) {
      const replaced = { ...record, seq: existing.seq, created_at: existing.created_at };
      await requestValue(store.put(replaced));
      return existing.seq;
    }
  }
  return requestValue(store.add(record));
}

/** The server confirmed `mutationId`: the entry leaves, unless it was replaced by a newer state meanwhile. */
export async function confirm(seq, mutationId, photoId) {
  let removed = false;
  if (!durable) {
    const entry = memoryEntries.get(seq);
    if (entry && entry.mutation_id === mutationId) {
      memoryEntries.delete(seq);
      removed = true;
    }
    if (photoId) linkCaptions([...memoryEntries.values()], mutationId, photoId).forEach((e) => memoryEntries.set(e.seq, e));
  } else {
    removed = await run("readwrite", async (store) => {
      const entry = await requestValue(store.get(seq));
      let gone = false;
      if (entry && entry.mutation_id === mutationId) {
        await requestValue(store.delete(seq));
        gone = true;
      }
      if (photoId) {
        for (const caption of linkCaptions(await requestValue(store.getAll()), mutationId, photoId)) {
          await requestValue(store.put(caption));
        }
      }
      return gone;
    });
  }
  memoryBlobs.delete(mutationId);
  announce();
  return removed;
}

/** Captions typed on a photo that was still waiting point at the photo's id once it is on the server. */
function linkCaptions(entries, photoMutationId, photoId) {
  return entries
    .filter((e) => e.kind === Kind.caption && e.payload.photo_mutation_id === photoMutationId)
    .map((e) => ({ ...e, payload: { ...e.payload, photo_id: photoId } }));
}

async function change(seq, mutationId, changes) {
  if (!durable) {
    const entry = memoryEntries.get(seq);
    if (entry && (!mutationId || entry.mutation_id === mutationId)) memoryEntries.set(seq, { ...entry, ...changes });
  } else {
    await run("readwrite", async (store) => {
      const entry = await requestValue(store.get(seq));
      if (entry && (!mutationId || entry.mutation_id === mutationId)) await requestValue(store.put({ ...entry, ...changes }));
    });
  }
  announce();
}

/**
 * The server refused the entry for a reason a retry will not change: it waits for the assessor.
 * `current` is the teammate's newer result that kept an item result from applying, to show them.
 */
export const reject = (seq, mutationId, error, current = null) => change(seq, mutationId, { state: "rejected", error, current });

/** Note why the last try failed (a timeout, a 5xx), for the screen; the entry still waits. */
export const noteFailure = (seq, mutationId, error) => change(seq, mutationId, { error });

export const retry = (seq) => change(seq, null, { state: "pending", error: null });

export async function remove(seq) {
  if (!durable) memoryEntries.delete(seq);
  else await run("readwrite", (store) => requestValue(store.delete(seq)));
  announce();
}

const memoryConfirmed = new Map();

/** Keep the server's answer to a confirmed item result: {key, author, finding, score, unscored}. */
export async function keepConfirmed(record) {
  if (!durable) memoryConfirmed.set(record.key, record);
  else await run("readwrite", (store) => requestValue(store.put(record)), CONFIRMED);
}

/** The last confirmed answer kept for `key`, or null. */
export async function confirmedFor(key) {
  if (!durable) return memoryConfirmed.get(key) || null;
  return (await run("readonly", (store) => requestValue(store.get(key)), CONFIRMED)) || null;
}

/** Forget a confirmed answer the page already shows: the page is at least as new. */
export async function forgetConfirmed(key) {
  if (!durable) memoryConfirmed.delete(key);
  else await run("readwrite", (store) => requestValue(store.delete(key)), CONFIRMED);
}

/** Listen for changes made by this page, other tabs and the service worker. */
export function onChange(listener) {
  document.addEventListener("outbox:changed", listener);
  if (typeof BroadcastChannel !== "undefined") new BroadcastChannel(CHANNEL).onmessage = listener;
}
