"use strict";
// Service worker: a classic script, as every browser can run it. The /sw.js route writes in front
// of it VERSION, SHELL, OWNER_MAX_AGE, PHONE (app/web/phone.py: the outbox kinds, the addresses of
// the pages kept and the time limits), and what it shares with the pages (lib/shared.js): the
// messages both exchange, and fillUrl/matchUrl.
// Caches: "shell-<VERSION>" holds the app shell and is replaced on update; "assessment-<id>"
// caches hold the walk pages of assessments kept on the phone, with the list of those pages the
// server gave (its "kept_pages" address), and survive updates; "pages-home" holds the assessor's
// home. Both are removed when the user logs out.
// A kept page is answered from the phone at once and fetched again behind it: the page asks for
// the fresh copy (FRESH_PAGE) and merges what changed (offline/merge.js).
// Sending the outbox is the pages' job (offline/sync.js): only a page knows whose session it runs in.

const SHELL_CACHE = `shell-${VERSION}`;
const ASSESSMENT_PREFIX = "assessment-";
const HOME_CACHE = "pages-home";
const HOME = PHONE.urls.home;
const KIND = Object.fromEntries(PHONE.kinds.map((kind) => [kind, kind]));
const TIMEOUT = PHONE.timeouts;

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
    const answer = answerPage(event);
    event.respondWith(answer.then((found) => found.response));
    event.waitUntil(answer.then((found) => found.refreshed).then(resumeKeepsOnce));
  }
});

async function cacheFirst(request) {
  const cached = await caches.match(request, { cacheName: SHELL_CACHE });
  return cached || fetchWithTimeout(request, TIMEOUT.static_file);
}

// Saving pages runs under the session's cookie: it stops before a logout, or an answer arriving
// after the next login could set the old session's cookie again.
let saving = new AbortController();

/**
 * A page kept on the phone is answered from there at once, and fetched again behind it; the home
 * comes from the network while it answers in time; any other page (a PDF download, a page never
 * kept) waits for the server as it would without a worker, and only a failed network opens the
 * phone's copy or the offline page.
 */
async function answerPage(event) {
  const request = event.request;
  const kept = await keptCopy(request.url);
  if (kept) {
    const refreshed = refreshKept(request.url, kept.clone());
    rememberFresh(event.resultingClientId || request.url, refreshed);
    return { response: kept, refreshed };
  }
  const timeout = new URL(request.url).pathname === HOME ? TIMEOUT.home_page : null;
  return { response: await networkFirstPage(event, timeout), refreshed: null };
}

/** The phone's copy of a kept page: the walk's pages of an assessment whose owner is still here. */
async function keptCopy(url) {
  const keys = (await caches.keys()).filter((key) => key.startsWith(ASSESSMENT_PREFIX));
  if (!keys.length || !(await ownerStillHere())) return null;
  const photoPage = matchUrl(PHONE.urls.photo_page, new URL(url).pathname);
  for (const key of keys) {
    const cache = await caches.open(key);
    const found = await cache.match(url, { ignoreVary: true, ignoreSearch: Boolean(photoPage) });
    if (found) return found;
  }
  return null;
}

// The fresh copy of each page answered from the phone, by the page (client) it was shown in:
// {served, fresh} when the server's differs, else null. The page asks once (FRESH_PAGE).
const freshPages = new Map();

// Pages closed before they asked leave their copies here: only the latest few are held.
const FRESH_PAGES_HELD = 20;

function rememberFresh(key, refreshed) {
  freshPages.set(key, refreshed);
  if (freshPages.size > FRESH_PAGES_HELD) freshPages.delete(freshPages.keys().next().value);
}

/** Fetch a kept page again; keep the fresh copy and answer both copies when they differ. */
async function refreshKept(url, served) {
  try {
    const response = await fetchWithTimeout(new Request(url, { credentials: "same-origin" }), TIMEOUT.kept_page_refresh, saving.signal);
    await noteOwner(response);
    if (!response.ok || response.redirected) return null;
    const [before, after] = await Promise.all([served.text(), response.clone().text()]);
    await refreshOfflineCopy(url, response);
    return before === after ? null : { served: before, fresh: after };
  } catch (error) {
    return null;
  }
}

/** Answer a page that asks for its fresh copy once it is in (null when none differs or it failed). */
async function freshPageFor(client, url) {
  const key = [client && client.id, url].find((candidate) => candidate && freshPages.has(candidate));
  if (!key) return null;
  const refreshed = freshPages.get(key);
  freshPages.delete(key);
  return refreshed;
}

/**
 * Pages come fresh from the network and keep their offline copies up to date; within `timeout`
 * when one is given (the home), else as long as the server answers. A failed network (or the
 * time run out) opens the phone's copy, or the offline page.
 */
async function networkFirstPage(event, timeout) {
  const request = event.request;
  try {
    const response = timeout ? await fetchWithTimeout(request, timeout) : await fetch(request);
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
      const response = await fetchWithTimeout(new Request(url, { credentials: "same-origin" }), TIMEOUT.keep_page, saving.signal);
      if (response.ok && !response.redirected) await refreshOfflineCopy(new URL(url, self.location.origin).href, response);
    } catch (error) {
      await keepStalePages(urls.slice(done));
      return;
    }
    await keepStalePages(urls.slice(done + 1));
  }
});

// Keeping an assessment: the server's list of its pages is stored first, in the assessment's
// cache under its own address, then each page not yet held. What is held is counted against that
// list, so a keep cut short (a tab closed, the link lost, the worker stopped) says how far it got
// and goes on from there: when a page asks again, and by itself once the worker starts again.
const keeping = new Map();
const progressWaiters = new Map();

const cacheName = (assessmentId) => ASSESSMENT_PREFIX + assessmentId;
const pagesAddress = (assessmentId) => urlFor("kept_pages", { assessment_id: assessmentId });

/** Keep (or go on keeping) one assessment; one keep at a time for each. Answers its count. */
function keepAssessment(assessmentId) {
  const id = String(assessmentId);
  if (!keeping.has(id)) {
    const work = storeAssessment(id).finally(() => {
      keeping.delete(id);
      tellProgress(id);
    });
    keeping.set(id, work);
  }
  return keeping.get(id);
}

async function storeAssessment(id) {
  await ownerUpdate;
  const list = await fetchWithTimeout(new Request(pagesAddress(id), { credentials: "same-origin" }), TIMEOUT.keep_page, saving.signal);
  if (!list.ok || list.redirected) throw new Error(`${pagesAddress(id)}: ${list.status}`);
  const { urls } = await list.clone().json();
  // A keep runs under one user: pages answered for anyone else (a login in another tab) end it.
  // The list (JSON, which says no owner) is stored once a page has said whose they are: on a
  // phone that learns its owner from this keep, that first page drops what came before.
  const known = await readOwner();
  let owner = known ? known.owner : null;
  let listKept = false;
  const keepList = async () => {
    if (!listKept) await (await caches.open(cacheName(id))).put(pagesAddress(id), list);
    listKept = true;
  };
  const held = await heldPages(id);
  for (const url of urls.filter((page) => !held.has(absolute(page)))) {
    const response = await fetchWithTimeout(new Request(url, { credentials: "same-origin" }), TIMEOUT.keep_page, saving.signal);
    if (!response.ok || response.redirected) throw new Error(`${url}: ${response.status}`);
    // The pages saved say whose they are too: on a phone whose first pages came before the
    // worker took over (WebKit, a fast first visit), this is where the owner is learnt.
    await noteOwner(response);
    owner = owner || response.headers.get("X-Offline-Owner");
    if (response.headers.get("X-Offline-Owner") !== owner) throw new Error(`${url}: another user's`);
    await (await caches.open(cacheName(id))).put(url, response);
    await keepList();
    tellProgress(id);
  }
  await keepList();
  return keptCount(id);
}

const absolute = (url) => new URL(url, self.location.origin).href;

async function heldPages(id) {
  const cache = await caches.open(cacheName(id));
  return new Set((await cache.keys()).map((request) => request.url));
}

/** How many pages of its list the phone holds for an assessment: {stored, total, keeping}; null without a list. */
async function keptCount(id) {
  const cache = await caches.open(cacheName(id));
  const list = await cache.match(pagesAddress(id));
  if (!list) return null;
  const { urls } = await list.json();
  const held = await heldPages(id);
  const stored = urls.filter((url) => held.has(absolute(url))).length;
  return { stored, total: urls.length, keeping: keeping.has(String(id)) };
}

/** Answer, once the next page of a keep is stored or the keep ends, how far it is. */
function nextProgress(assessmentId) {
  const id = String(assessmentId);
  if (!keeping.has(id)) return keptCount(id);
  return new Promise((resolve) => progressWaiters.set(id, [...(progressWaiters.get(id) || []), resolve]));
}

function tellProgress(id) {
  const waiters = progressWaiters.get(id) || [];
  progressWaiters.delete(id);
  if (waiters.length) keptCount(id).then((count) => waiters.forEach((resolve) => resolve(count)));
}

async function keptAssessments() {
  const ids = (await caches.keys()).filter((key) => key.startsWith(ASSESSMENT_PREFIX)).map((key) => key.slice(ASSESSMENT_PREFIX.length));
  const kept = {};
  for (const id of ids) {
    const count = await keptCount(id);
    if (count) kept[id] = count;
  }
  return kept;
}

/** Go on with every keep cut short; errors (offline, say) leave it for the next time. */
async function resumeKeeps() {
  const kept = await keptAssessments();
  const short = Object.entries(kept).filter(([, count]) => count.stored < count.total);
  await Promise.all(short.map(([id]) => keepAssessment(id).catch(() => undefined)));
}

// Once per start of the worker, after the first page it answered: a keep the worker's stop cut short goes on.
let resumed = null;
function resumeKeepsOnce() {
  resumed = resumed || resumeKeeps().catch(() => undefined);
  return resumed;
}

async function dropAssessmentCaches() {
  const keys = await caches.keys();
  const own = keys.filter((key) => key.startsWith(ASSESSMENT_PREFIX) || key === HOME_CACHE || key === STALE_CACHE);
  await Promise.all(own.map((key) => caches.delete(key)));
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
        keepAssessment(message.assessmentId)
          .then((count) => reply({ ok: true, ...count }))
          .catch((error) => reply({ ok: false, error: String(error) }))
      );
      break;
    case WorkerMessage.KEEP_PROGRESS:
      event.waitUntil(nextProgress(message.assessmentId).then((count) => reply({ ok: true, count })));
      break;
    case WorkerMessage.FRESH_PAGE:
      event.waitUntil(freshPageFor(event.source, message.url).then((copies) => reply({ ok: true, copies })));
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
      event.waitUntil(keptAssessments().then((kept) => reply({ ok: true, kept })));
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
