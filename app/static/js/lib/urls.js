// Addresses as Python hands them, with {field} where a value goes: filled in, and recognised.
// The pages use these through lib/phone.js; /sw.js is served with this module written in, so the
// service worker fills and recognises addresses the same way.

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
