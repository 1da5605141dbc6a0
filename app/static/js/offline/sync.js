// The one sync engine: sends the logged-in user's outbox entries in order, one request at a time,
// each with a timeout; on a failure waits (1 s, 2 s, 4 s … at most 20 s) and tries at once when
// the network or the server comes back. Item results waiting one after another go in one request,
// which the server applies in their order, each on its own: a walk scored offline costs a few
// round trips, not one per item. It also knows whether the server answered lately:
// that, not navigator.onLine, is what the status bar calls online.
//
// One page sends at a time, whichever page of this phone's tabs it is: see flushOnce() for how a
// page that goes away (left for the back/forward cache, frozen, closed, crashed) never keeps the
// others from sending.

import { csrfToken, fetchWhole, jsonOf } from "../lib/common.js";
import { jsonTimeoutMs, Kind, urlFor } from "../lib/phone.js";
import * as Outbox from "./outbox.js";

const FLUSH_LOCK = "outbox-flush";
// The sending page's sign of life, renewed while it holds FLUSH_LOCK; older than LEASE_STALE_MS, the
// page is taken for frozen and another page takes the lock over.
const LEASE_KEY = "outbox-flush-lease";
const LEASE_RENEW_MS = 2000;
const LEASE_STALE_MS = 10000;
const PAGE = Math.random().toString(36).slice(2);
const MAX_BACKOFF_MS = 20000;
const PROBE_EVERY_MS = 30000;
const PROBE_TIMEOUT_MS = 8000;
const FRESH_ANSWER_MS = 45000;
// A change still being typed is sent once it has rested this long (or at once when the page hides).
const SETTLE_MS = 500;
// A photo upload is given up when no byte moved for this long, or no answer came after the last one.
const UPLOAD_STALL_MS = 30000;
// At most this many results go in one request, which is given a second more per result to answer.
const FINDINGS_PER_REQUEST = 20;
const MS_PER_FINDING = 1000;

const state = {
  user: null,
  server: "unknown", // "online" | "unreachable" | "failing" | "unknown"
  lastAnswerAt: 0,
  login: "", // "" | "needed" | "other"
  sending: [], // the entries on their way
  failures: 0,
  oneAtATime: false, // a request of several results failed: one per request until all went
  busy: false,
  again: false, // a change arrived while a flush was looking: look once more when it ends
  timer: null,
  hiding: false,
  leaving: false, // the page is being left (or frozen): it sends nothing until it is shown again
  turn: null, // this page's hold of FLUSH_LOCK, while it has one: {over, end()}
  busySince: 0, // when this page first found another page sending, for browsers without localStorage
};

export const status = () => ({ ...state });

function emit(name, detail) {
  document.dispatchEvent(new CustomEvent(name, { detail }));
}

function heard(ok) {
  state.lastAnswerAt = Date.now();
  state.server = ok ? "online" : "failing";
  emit("sync:status");
}

function unheard() {
  state.server = "unreachable";
  emit("sync:status");
}

/** Online means the server answered within the last FRESH_ANSWER_MS. */
export function serverAnswering() {
  return state.server === "online" && Date.now() - state.lastAnswerAt < FRESH_ANSWER_MS;
}

/** Entries this user may send, in the order they were made. */
export async function waitingFor(user) {
  return (await Outbox.all()).filter((e) => e.kind !== Outbox.PROBE && String(e.author) === String(user.id));
}

/** Where an entry goes and how: the address is Python's, named after the entry's kind. */
function endpoint(entry) {
  const fields = { ...entry.payload, assessment_id: entry.assessment_id, item_id: entry.item_id };
  const url = entry.kind === Kind.photo && entry.upload_url ? entry.upload_url : urlFor(entry.kind, fields);
  const method = { [Kind.finding]: "PUT", [Kind.caption]: "PATCH", [Kind.signature]: "PUT" }[entry.kind] || "POST";
  return { method, url, form: entry.kind === Kind.no_photo_reason };
}

/** What the server is told of an entry: its payload, under its mutation_id and author. */
function fieldsOf(entry) {
  const fields = { ...entry.payload, mutation_id: entry.mutation_id, author: entry.author };
  delete fields.photo_id;
  delete fields.photo_mutation_id;
  return fields;
}

async function request(method, url, fields, { form = false, timeout = jsonTimeoutMs() } = {}) {
  const headers = { Accept: "application/json", "X-CSRFToken": csrfToken() };
  if (!form) headers["Content-Type"] = "application/json";
  const answer = await fetchWhole(url, {
    method,
    headers,
    body: form ? new URLSearchParams(fields) : JSON.stringify(fields),
  }, timeout);
  return { status: answer.status, body: jsonOf(answer) };
}

/** Everything but a photo goes as JSON, or as a form where the endpoint reads one (the no-photo reason). */
function sendJson(entry) {
  const { method, url, form } = endpoint(entry);
  return request(method, url, fieldsOf(entry), { form });
}

/** Several results of one assessment in one request: the server answers one result per entry. */
function sendFindings(batch) {
  const findings = batch.map((entry) => ({ ...fieldsOf(entry), item_id: entry.item_id }));
  const timeout = jsonTimeoutMs() + MS_PER_FINDING * batch.length;
  return request("POST", urlFor("findings", { assessment_id: batch[0].assessment_id }), { findings }, { timeout });
}

/** A photo goes up with XMLHttpRequest for its progress; it is given up when it stalls. */
function sendPhoto(entry) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("photo", entry.blob, "photo.jpg");
    form.append("mutation_id", entry.mutation_id);
    form.append("author", entry.author);
    for (const [name, value] of Object.entries(entry.payload || {})) {
      if (value !== null && value !== undefined && value !== "") form.append(name, value);
    }
    const xhr = new XMLHttpRequest();
    let stall = null;
    const restartStall = () => {
      clearTimeout(stall);
      stall = setTimeout(() => xhr.abort(), UPLOAD_STALL_MS);
    };
    xhr.open("POST", endpoint(entry).url);
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (event) => {
      restartStall();
      if (event.lengthComputable) {
        emit("sync:progress", { entry, percent: Math.min(99, Math.floor((event.loaded / event.total) * 100)) });
      }
    });
    xhr.upload.addEventListener("load", restartStall);
    xhr.addEventListener("load", () => {
      clearTimeout(stall);
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (error) {
        body = null;
      }
      resolve({ status: xhr.status, body });
    });
    const fail = (name) => () => { clearTimeout(stall); reject(new DOMException(name, name)); };
    xhr.addEventListener("error", fail("NetworkError"));
    xhr.addEventListener("abort", fail("TimeoutError"));
    restartStall();
    xhr.send(form);
  });
}

/** One entry to the server. Answers what to do next: "confirmed", "rejected", "retry" or "stop". */
async function deliver(entry) {
  if (entry.kind === Kind.photo && !entry.blob) {
    await Outbox.reject(entry.seq, entry.mutation_id, Outbox.LOST);
    return "rejected";
  }
  let answer;
  try {
    answer = entry.kind === Kind.photo ? await sendPhoto(entry) : await sendJson(entry);
  } catch (error) {
    return unanswered([entry], error);
  }
  return settle(entry, answer);
}

/**
 * Results in one request; each answer is settled as its own request's would be, in order. When
 * the request timed out or the server failed it, the results go one at a time for a while: a link
 * too slow for the whole answer still moves on. (Being offline is no reason.)
 */
async function deliverFindings(batch) {
  let answer;
  try {
    answer = await sendFindings(batch);
  } catch (error) {
    if (error && error.name === "TimeoutError") state.oneAtATime = true;
    return unanswered(batch, error);
  }
  const results = answer.body && answer.body.results;
  const succeeded = answer.status >= 200 && answer.status < 300;
  if (succeeded && !Array.isArray(results)) return unanswered(batch, null);
  if (!succeeded) return settleTogether(batch, answer);
  for (const { mutation_id: mutationId, status, body } of results) {
    const entry = batch.find((e) => e.mutation_id === mutationId);
    if (!entry) return "retry";
    const outcome = await settle(entry, { status, body });
    if (outcome === "retry" || outcome === "stop") return outcome;
  }
  return "confirmed";
}

/** A refusal of the whole request (a server error, a login needed) is each entry's answer. */
async function settleTogether(batch, answer) {
  const outcomes = [];
  for (const entry of batch) outcomes.push(await settle(entry, answer));
  if (outcomes.includes("retry")) state.oneAtATime = true;
  return ["stop", "retry"].find((outcome) => outcomes.includes(outcome)) || "confirmed";
}

/** No answer from the server for `entries` (all on their way): each waits, saying why. */
async function unanswered(entries, error) {
  unheard();
  const reason = error && error.name === "TimeoutError" ? "timeout" : "network";
  for (const entry of entries) await Outbox.noteFailure(entry.seq, entry.mutation_id, reason);
  return "retry";
}

/**
 * What the server's answer to `entry` means for it, kept on the phone. The server answers JSON:
 * a success that is not JSON came from something between (a Wi-Fi login page), and confirms nothing.
 */
async function settle(entry, answer) {
  const code = answer.status;
  const body = answer.body || {};
  const ours = answer.body !== null && typeof answer.body === "object";
  if (code >= 200 && code < 300 && !ours) return unanswered([entry], null);
  if (code >= 200 && code < 300) {
    heard(true);
    if (entry.kind === Kind.finding && body.finding) {
      const { score, unscored } = body;
      await Outbox.keepConfirmed({ key: entry.key, author: entry.author, finding: body.finding, score, unscored });
      const at = body.finding.updated_at;
      await Outbox.keepConfirmed({ key: `progress:${entry.assessment_id}`, author: entry.author, at, score, unscored });
    }
    const photoId = entry.kind === Kind.photo ? body.id : null;
    await Outbox.confirm(entry.seq, entry.mutation_id, photoId);
    emit("sync:confirmed", { entry, body });
    return "confirmed";
  }
  if (code >= 500 || code === 408 || code === 429 || code === 0) {
    heard(false);
    await Outbox.noteFailure(entry.seq, entry.mutation_id, body.error || `HTTP ${code}`);
    return "retry";
  }
  heard(true);
  if (code === 401 || body.code === "csrf") {
    state.login = "needed";
    return "stop";
  }
  if (body.code === "author") {
    state.login = "other";
    return "stop";
  }
  await Outbox.reject(entry.seq, entry.mutation_id, body.error || `HTTP ${code}`, body.current || null);
  emit("sync:rejected", { entry, body });
  return "rejected";
}

function settled(entry) {
  return state.hiding || Date.now() - Date.parse(entry.updated_at) >= SETTLE_MS;
}

function sendable(entry) {
  if (entry.state !== "pending" || Outbox.heldElsewhere(entry)) return false;
  return entry.kind !== Kind.caption || Boolean(entry.payload.photo_id);
}

/**
 * The entries the next request carries: the first waiting one, and when it is a result, the
 * settled results of the same assessment right behind it; one at a time again after such a
 * request failed, until the outbox is empty.
 */
function nextRequest(waiting) {
  const [next] = waiting;
  if (next.kind !== Kind.finding) return [next];
  const limit = state.oneAtATime ? 1 : FINDINGS_PER_REQUEST;
  const batch = [];
  for (const entry of waiting) {
    const together = entry.kind === Kind.finding && entry.assessment_id === next.assessment_id && settled(entry);
    if (!together || batch.length === limit) break;
    batch.push(entry);
  }
  return batch;
}

async function flushLocked(turn) {
  for (;;) {
    if (turn.over) return "busy";
    const entries = await waitingFor(state.user);
    // A photo another open page holds in memory is that page's to send: look again shortly.
    const elsewhere = await Outbox.markLostPhotos(entries);
    const waiting = entries.filter(sendable).sort((a, b) => a.seq - b.seq);
    if (!waiting.length) return elsewhere ? "busy" : "done";
    if (!settled(waiting[0])) return "settling";
    const batch = nextRequest(waiting);
    state.sending = batch;
    emit("sync:sending", { entry: batch[0] });
    const outcome = batch.length > 1 ? await deliverFindings(batch) : await deliver(batch[0]);
    state.sending = [];
    emit("sync:sending", { entry: null });
    if (outcome === "retry" || outcome === "stop") return outcome;
  }
}

function readLease() {
  try {
    return JSON.parse(localStorage.getItem(LEASE_KEY) || "null");
  } catch (error) {
    return null;
  }
}

/** Where localStorage is refused no lease is kept: leaseAge() then counts from when this page began to wait. */
function writeLease(lease) {
  try {
    if (lease) localStorage.setItem(LEASE_KEY, JSON.stringify(lease));
    else localStorage.removeItem(LEASE_KEY);
  } catch (error) {
    // nothing kept: see leaseAge()
  }
}

/** How long the sending page has not been heard of: from its lease, or (without one) since this page waits. */
function leaseAge() {
  const lease = readLease();
  if (lease) return Date.now() - lease.at;
  state.busySince = state.busySince || Date.now();
  return Date.now() - state.busySince;
}

/**
 * This page's turn at sending, holding FLUSH_LOCK: it renews the lease while it sends, and ends
 * when the sending ends, when the page is left or frozen (endTurn), or when another page took the
 * lock over. An ended turn sends nothing more, and lets the lock go at once.
 */
function takeTurn() {
  let end;
  const ended = new Promise((resolve) => { end = resolve; });
  const turn = { over: false, end: () => { turn.over = true; end("busy"); } };
  state.turn = turn;
  state.busySince = 0;
  const renew = () => writeLease({ page: PAGE, at: Date.now() });
  renew();
  const renewing = setInterval(renew, LEASE_RENEW_MS);
  return Promise.race([flushLocked(turn), ended]).finally(() => {
    turn.over = true;
    clearInterval(renewing);
    if (state.turn === turn) state.turn = null;
    const lease = readLease();
    if (lease && lease.page === PAGE) writeLease(null);
  });
}

function endTurn() {
  if (state.turn) state.turn.end();
}

/**
 * One pass over the outbox, by one page at a time. The pages of one phone agree through a Web Lock
 * (FLUSH_LOCK), which a browser takes back from a closed or crashed tab; what it does not take back
 * is the lock of a page kept alive but not running: left for the back/forward cache, or frozen in
 * the background. So the lock is held only while this page sends, never across its leaving: it
 * lets go on pagehide and freeze (endTurn). A page frozen without a word stops renewing its lease
 * (a time stamp in localStorage, renewed every LEASE_RENEW_MS while sending), and a page that finds
 * the lock held by a lease older than LEASE_STALE_MS steals it: the silent page's turn is over,
 * and at worst an entry it had on its way is sent twice, which its mutation_id makes harmless.
 */
async function flushOnce() {
  if (!navigator.locks) return flushLocked({ over: false });
  const result = await navigator.locks.request(FLUSH_LOCK, { ifAvailable: true }, (lock) => (lock ? takeTurn() : "busy"));
  if (result !== "busy" || state.leaving || leaseAge() < LEASE_STALE_MS) return result;
  return navigator.locks.request(FLUSH_LOCK, { steal: true }, takeTurn);
}

/** Send what waits, now. Safe to call any time: one flush runs at a time, and one asked for
 * while another runs follows it, so a change made as the engine finds nothing is not left waiting. */
async function flush() {
  if (!state.user || state.leaving) return;
  if (state.busy) {
    state.again = true;
    return;
  }
  clearTimeout(state.timer);
  state.busy = true;
  state.again = false;
  let result;
  try {
    result = await flushOnce();
  } catch (error) {
    endTurn(); // another page took the lock over
    result = "retry";
  } finally {
    state.busy = false;
  }
  emit("sync:flushed", { result });
  if (result === "done" && state.again) {
    flush();
    return;
  }
  schedule(result);
}

function schedule(result) {
  clearTimeout(state.timer);
  if (result === "done") {
    state.failures = 0;
    state.oneAtATime = false;
    state.timer = setTimeout(probe, PROBE_EVERY_MS);
  } else if (result === "settling") {
    state.timer = setTimeout(flush, SETTLE_MS);
  } else if (result === "busy") {
    state.timer = setTimeout(flush, 2000);
  } else if (result === "retry") {
    state.failures += 1;
    state.timer = setTimeout(probe, Math.min(1000 * 2 ** (state.failures - 1), MAX_BACKOFF_MS));
  }
}

/**
 * The server's answer to "who is logged in here": {id, username, name}, or null when nobody is.
 * Throws when the server cannot be reached or fails; either way the status bar learns of it.
 */
export async function whoIsLoggedIn() {
  let answer;
  try {
    answer = await fetchWhole(urlFor("me"), { headers: { Accept: "application/json" } }, PROBE_TIMEOUT_MS);
  } catch (error) {
    unheard();
    throw error;
  }
  heard(answer.status < 500);
  if (answer.status >= 500) throw new Error(`HTTP ${answer.status}`);
  return answer.ok ? jsonOf(answer) : null;
}

/**
 * Ask the server who is logged in: it tells whether the server answers at all, and whether this
 * page's user is still the one the session belongs to. A good answer sends what waits at once.
 */
export async function probe() {
  clearTimeout(state.timer);
  let me;
  try {
    me = await whoIsLoggedIn();
  } catch (error) {
    schedule("retry");
    return;
  }
  state.login = !me ? "needed" : String(me.id) === String(state.user.id) ? "" : "other";
  emit("sync:status");
  if (state.login) return;
  await flush();
}

/** Start sending for `user` (the page's user): on load, on every new entry, on reconnect. */
export function start(user) {
  state.user = user;
  document.addEventListener("outbox:changed", () => {
    if (!state.login) flush();
  });
  window.addEventListener("online", probe);
  window.addEventListener("offline", unheard);
  document.addEventListener("visibilitychange", () => {
    state.hiding = document.visibilityState === "hidden";
    if (state.hiding) flush();
    else probe();
  });
  window.addEventListener("pagehide", leave);
  document.addEventListener("freeze", leave);
  window.addEventListener("pageshow", (event) => { if (event.persisted) comeBack(); });
  document.addEventListener("resume", comeBack);
  probe();
}

/** The page is left or frozen: it lets the other pages send, and sends nothing itself meanwhile. */
function leave() {
  state.hiding = true;
  state.leaving = true;
  clearTimeout(state.timer);
  endTurn();
}

/** The page is shown again (from the back/forward cache) or thawed: it looks for what waits. */
function comeBack() {
  state.hiding = document.visibilityState === "hidden";
  state.leaving = false;
  probe();
}
