"use strict";
// Service worker. VERSION and SHELL are prepended by the /sw.js route.
// Caches: "shell-<VERSION>" holds the app shell and is replaced on update; "assessment-<id>"
// caches hold the walk pages of assessments made available offline and survive updates.
importScripts("/static/js/outbox.js");

const SHELL_CACHE = `shell-${VERSION}`;
const ASSESSMENT_PREFIX = "assessment-";

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
  return cached || fetch(request);
}

/** Pages come fresh from the network when it answers, and keep offline copies up to date. */
async function networkFirstPage(event) {
  const request = event.request;
  try {
    const response = await fetch(request);
    const fresh = response.ok && !response.redirected;
    const copy = fresh && response.clone();
    event.waitUntil(noteOwner(response).then(() => copy && refreshOfflineCopy(request, copy)));
    return response;
  } catch (error) {
    const cached = (await ownerStillHere()) && (await caches.match(request, { ignoreVary: true }));
    if (cached) return cached;
    return (await caches.match("/offline", { cacheName: SHELL_CACHE })) || Response.error();
  }
}

async function refreshOfflineCopy(request, response) {
  for (const key of await caches.keys()) {
    if (!key.startsWith(ASSESSMENT_PREFIX)) continue;
    const cache = await caches.open(key);
    if (await cache.match(request, { ignoreVary: true })) await cache.put(request, response.clone());
  }
}

/** Save every page of one assessment's walk so it can be walked without a network. */
async function cacheAssessment(assessmentId, urls) {
  await ownerUpdate;
  const cache = await caches.open(ASSESSMENT_PREFIX + assessmentId);
  let done = 0;
  for (const url of urls) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok || response.redirected) throw new Error(`${url}: ${response.status}`);
    await cache.put(url, response);
    done += 1;
  }
  return done;
}

async function dropAssessmentCaches() {
  const keys = await caches.keys();
  await Promise.all(keys.filter((key) => key.startsWith(ASSESSMENT_PREFIX)).map((key) => caches.delete(key)));
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
  if (message.type === "cache-assessment") {
    event.waitUntil(
      cacheAssessment(message.assessmentId, message.urls)
        .then((count) => reply({ ok: true, count }))
        .catch((error) => reply({ ok: false, error: String(error) }))
    );
  } else if (message.type === "drop-assessment-caches") {
    event.waitUntil(dropAssessmentCaches().then(() => reply({ ok: true })));
  } else if (message.type === "cached-assessments") {
    event.waitUntil(cachedAssessments().then((ids) => reply({ ok: true, ids })));
  }
});

// Chromium's Background Sync sends the outbox even with no page open; other browsers rely on
// the page's own triggers (load, online, visibilitychange, a timer).
self.addEventListener("sync", (event) => {
  if (event.tag === "outbox") event.waitUntil(Outbox.flush());
});
