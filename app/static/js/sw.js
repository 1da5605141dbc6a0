"use strict";
// Service worker: a classic script, as every browser can run it. The /sw.js route writes in front
// of it VERSION, SHELL, OWNER_MAX_AGE, PHONE (app/web/phone.py: the outbox kinds and the addresses
// of the pages kept), and what it shares with the pages (lib/shared.js): the messages both
// exchange, and fillUrl/matchUrl.
// Caches: "shell-<VERSION>" holds the app shell and is replaced on update; "assessment-<id>"
// caches hold the walk pages of assessments made available offline and survive updates;
// "pages-home" holds the assessor's home. Both are removed when the user logs out.
// Sending the outbox is the pages' job (offline/sync.js): only a page knows whose session it runs in.

const SHELL_CACHE = `shell-${VERSION}`;
const ASSESSMENT_PREFIX = "assessment-";
const HOME_CACHE = "pages-home";
const HOME = PHONE.urls.home;
const KIND = Object.fromEntries(PHONE.kinds.map((kind) => [kind, kind]));

/** The address `name` of PHONE.urls with each {field} filled in. */
const urlFor = (name, fields) => fillUrl(PHONE.urls[name], fields);

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((key) => key.startsWith("shell-") && key !== SHELL_CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.headers.get("HX-Request")) return; // fragments always come from the network
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirstPage(event));
  }
});

async function cacheFirst(request) {
  const cached = await caches.match(request, { cacheName: SHELL_CACHE });
  return cached || fetchWithTimeout(request, STATIC_TIMEOUT_MS);
}

// A page that does not answer within this time is taken from the phone's copy.
const PAGE_TIMEOUT_MS = 8000;
// A static file the shell does not hold (a release's new file, say) fails rather than hang a page.
const STATIC_TIMEOUT_MS = 30000;
// Saving a page for offline use may take longer on a slow link, but never forever.
const SAVE_PAGE_TIMEOUT_MS = 30000;
// Saving pages runs under the session's cookie: it stops before a logout, or an answer arriving
// after the next login could set the old session's cookie again.
let saving = new AbortController();

/** Pages come fresh from the network when it answers in time, and keep offline copies up to date. */
async function networkFirstPage(event) {
  const request = event.request;
  try {
    const response = await fetchWithTimeout(request, PAGE_TIMEOUT_MS);
    const copy = response.ok && !response.redirected && response.clone();
    event.waitUntil(noteOwner(response).then(() => copy && refreshOfflineCopy(request.url, copy)));
    return response;
  } catch (error) {
    const cached = (await ownerStillHere()) && (await caches.match(offlineCopyOf(request.url), { ignoreVary: true }));
    if (cached) return cached;
    return (await caches.match(urlFor("offline"), { cacheName: SHELL_CACHE })) || Response.error();
  }
}

/**
 * fetch() with its whole body within `ms`: a server that sends the headers and then stalls must not
 * hang a page or a save. The answer comes back with its body read; a redirect is passed on as it is
 * (its body is never used).
 */
async function fetchWithTimeout(request, ms, stop) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  const abort = () => controller.abort();
  if (stop) stop.addEventListener("abort", abort);
  try {
    const response = await fetch(request, { signal: controller.signal });
    if (response.redirected || response.type === "opaqueredirect" || response.body === null) return response;
    const body = await response.arrayBuffer();
    return new Response(body, { status: response.status, statusText: response.statusText, headers: readHeaders(response) });
  } finally {
    clearTimeout(timer);
    if (stop) stop.removeEventListener("abort", abort);
  }
}

/** The headers of an answer whose body was read: its length and encoding were the wire's, not the body's. */
function readHeaders(response) {
  const headers = new Headers(response.headers);
  headers.delete("Content-Length");
  headers.delete("Content-Encoding");
  return headers;
}

/**
 * Offline, the addresses that only redirect online open the phone's copy of where they lead:
 * the root the assessor's home, an assessment's resume address its index.
 */
function offlineCopyOf(url) {
  const path = new URL(url).pathname;
  if (path === urlFor("root")) return HOME;
  const resume = matchUrl(PHONE.urls.resume, path);
  return resume ? urlFor("index", resume) : url;
}

async function refreshOfflineCopy(url, response) {
  if (new URL(url).pathname === HOME) {
    await (await caches.open(HOME_CACHE)).put(HOME, response.clone());
    return;
  }
  for (const key of await caches.keys()) {
    if (!key.startsWith(ASSESSMENT_PREFIX)) continue;
    const cache = await caches.open(key);
    if (await cache.match(url, { ignoreVary: true })) await cache.put(url, response.clone());
  }
}

// Pages whose copies a confirmed change made stale, kept in a cache so that a worker stopped
// between two changes forgets none. An item's result needs no new copy (the page shows the answer
// the outbox kept); the index, the summary, the home and a photo's item page do, once each, after
// the outbox is empty.
const STALE_CACHE = "offline-stale";
const STALE_URL = "/offline-stale";
let staleUpdate = Promise.resolve();

function pagesShowing(change) {
  const fields = { assessment_id: change.assessmentId, item_id: change.itemId };
  const pages = [urlFor("index", fields), urlFor("summary", fields), HOME];
  if (change.kind !== KIND.finding && change.kind !== KIND.signature) pages.push(urlFor("item", fields));
  return pages;
}

async function stalePages() {
  const response = await caches.match(STALE_URL, { cacheName: STALE_CACHE });
  return response ? response.json() : [];
}

async function keepStalePages(urls) {
  const cache = await caches.open(STALE_CACHE);
  await cache.put(STALE_URL, new Response(JSON.stringify(urls), { headers: { "Content-Type": "application/json" } }));
}

function serially(work) {
  staleUpdate = staleUpdate.then(work).catch(() => undefined);
  return staleUpdate;
}

const noteStale = (change) => serially(async () => keepStalePages([...new Set([...(await stalePages()), ...pagesShowing(change)])]));

/** Fetch each stale page once; what could not be fetched stays stale for the next empty outbox. */
const refreshStalePages = () => serially(async () => {
  const urls = await stalePages();
  for (const [done, url] of urls.entries()) {
    try {
      const response = await fetchWithTimeout(new Request(url, { credentials: "same-origin" }), SAVE_PAGE_TIMEOUT_MS, saving.signal);
      if (response.ok && !response.redirected) await refreshOfflineCopy(new URL(url, self.location.origin).href, response);
    } catch (error) {
      await keepStalePages(urls.slice(done));
      return;
    }
    await keepStalePages(urls.slice(done + 1));
  }
});

/** Save every page of one assessment's walk so it can be walked without a network. */
async function cacheAssessment(assessmentId, urls) {
  await ownerUpdate;
  let done = 0;
  for (const url of urls) {
    const response = await fetchWithTimeout(new Request(url, { credentials: "same-origin" }), SAVE_PAGE_TIMEOUT_MS, saving.signal);
    if (!response.ok || response.redirected) throw new Error(`${url}: ${response.status}`);
    // The pages saved say whose they are too: on a phone whose first pages came before the
    // worker took over (WebKit, a fast first visit), this is where the owner is learnt.
    await noteOwner(response);
    const cache = await caches.open(ASSESSMENT_PREFIX + assessmentId);
    await cache.put(url, response);
    done += 1;
  }
  return done;
}

async function dropAssessmentCaches() {
  const keys = await caches.keys();
  const own = keys.filter((key) => key.startsWith(ASSESSMENT_PREFIX) || key === HOME_CACHE || key === STALE_CACHE);
  await Promise.all(own.map((key) => caches.delete(key)));
}

async function cachedAssessments() {
  const keys = await caches.keys();
  return keys.filter((key) => key.startsWith(ASSESSMENT_PREFIX)).map((key) => key.slice(ASSESSMENT_PREFIX.length));
}

// Offline copies belong to one user. Every page the server sends says whose they are
// (X-Offline-Owner: a keyed hash of the user, or "none"); a page for anyone else, or for nobody,
// drops them. Offline, they are served only until a session would have ended (OWNER_MAX_AGE
// seconds after the last page from the server). The outbox in IndexedDB is never touched here.
const OWNER_CACHE = "offline-owner";
const OWNER_URL = "/offline-owner";
// Owner changes run one after the other, and saving an assessment waits for them, so a drop
// for the previous user never removes pages just saved for the new one.
let ownerUpdate = Promise.resolve();

async function readOwner() {
  const response = await caches.match(OWNER_URL, { cacheName: OWNER_CACHE });
  return response ? response.json() : null;
}

function noteOwner(response) {
  const owner = response.headers.get("X-Offline-Owner");
  if (owner === null) return ownerUpdate;
  ownerUpdate = ownerUpdate.then(() => recordOwner(owner)).catch(() => undefined);
  return ownerUpdate;
}

async function recordOwner(owner) {
  const known = await readOwner();
  if (!known || known.owner !== owner) await dropAssessmentCaches();
  const record = { owner, until: Date.now() + OWNER_MAX_AGE * 1000 };
  const cache = await caches.open(OWNER_CACHE);
  await cache.put(OWNER_URL, new Response(JSON.stringify(record), { headers: { "Content-Type": "application/json" } }));
}

async function ownerStillHere() {
  await ownerUpdate;
  const known = await readOwner();
  if (known && known.owner !== "none" && Date.now() < known.until) return true;
  await dropAssessmentCaches();
  return false;
}

self.addEventListener("message", (event) => {
  const message = event.data || {};
  const reply = (body) => event.ports[0] && event.ports[0].postMessage(body);
  switch (message.type) {
    case WorkerMessage.CACHE_ASSESSMENT:
      event.waitUntil(
        cacheAssessment(message.assessmentId, message.urls)
          .then((count) => reply({ ok: true, count }))
          .catch((error) => reply({ ok: false, error: String(error) }))
      );
      break;
    case WorkerMessage.STOP_SAVING:
      saving.abort();
      saving = new AbortController();
      reply({ ok: true });
      break;
    case WorkerMessage.DROP_ASSESSMENT_CACHES:
      event.waitUntil(dropAssessmentCaches().then(() => reply({ ok: true })));
      break;
    case WorkerMessage.CACHED_ASSESSMENTS:
      event.waitUntil(cachedAssessments().then((ids) => reply({ ok: true, ids })));
      break;
    case WorkerMessage.CONFIRMED:
      event.waitUntil(noteStale(message));
      break;
    case WorkerMessage.OUTBOX_EMPTY:
      event.waitUntil(refreshStalePages());
      break;
    default:
      reply({ ok: false, error: `no worker message ${message.type}` });
  }
});
