// What the pages and the service worker share, written once: every kind of message they say to
// each other, and the addresses Python hands them with {field} where a value goes (filled in and
// recognised). The pages import this module; /sw.js is served with it written in
// (app/pwa/routes.py), since a service worker every browser runs (Firefox ESR included) is a
// classic script and cannot import one.
//
//   CACHE_ASSESSMENT   {assessmentId}               keeps (or goes on keeping) its pages; answers
//                                                   {ok, stored, total} or {ok: false, error}
//   CACHED_ASSESSMENTS                              answers {ok, kept: {id: {stored, total, keeping}}}
//   KEEP_PROGRESS      {assessmentId}               answers {ok, count: {stored, total, keeping}} once
//                                                   the next page is stored or the keep ends (at once
//                                                   when none runs); count is null for one never kept
//   FRESH_PAGE         {url}                        answers {ok, copies: {served, fresh}} once the page
//                                                   shown from the phone came again from the server and
//                                                   differs; copies is null when it is the same or failed
//   STOP_SAVING                                     answers {ok}: no page is saved under the old session
//   DROP_ASSESSMENT_CACHES                          answers {ok}: the user's pages are gone
//   CONFIRMED          {assessmentId, itemId, kind} the server has a change: its pages are stale
//   OUTBOX_EMPTY                                    refresh the stale pages now

export const WorkerMessage = Object.freeze({
  CACHE_ASSESSMENT: "cache-assessment",
  CACHED_ASSESSMENTS: "cached-assessments",
  KEEP_PROGRESS: "keep-progress",
  FRESH_PAGE: "fresh-page",
  STOP_SAVING: "stop-saving",
  DROP_ASSESSMENT_CACHES: "drop-assessment-caches",
  CONFIRMED: "change-confirmed",
  OUTBOX_EMPTY: "outbox-empty",
});

/** The message `type` (one of WorkerMessage) with its fields; any other type is a mistake, said at once. */
export function workerMessage(type, fields = {}) {
  if (!Object.values(WorkerMessage).includes(type)) throw new TypeError(`no worker message ${type}`);
  return { ...fields, type };
}

/** `template` with each {field} filled in from `fields`. */
export function fillUrl(template, fields = {}) {
  return template.replace(/\{(\w+)\}/g, (match, field) => encodeURIComponent(fields[field]));
}

/** The fields of `path` when it is an address of `template` (say {assessment_id: "7"}), else null. */
export function matchUrl(template, path) {
  const names = [];
  const pattern = template
    .replace(/[.*+?^$()|[\]\\]/g, "\\$&")
    .replace(/\{(\w+)\}/g, (match, field) => { names.push(field); return "([^/]+)"; });
  const found = new RegExp(`^${pattern}$`).exec(path);
  return found ? Object.fromEntries(names.map((field, i) => [field, decodeURIComponent(found[i + 1])])) : null;
}
