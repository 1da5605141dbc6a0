// What the walk shows of teammates on one item: a change another user left waiting on this phone,
// and the teammate's newer result that kept this user's from applying, with its two ways out.
// Loaded by the walk only when either is there, so the walk's first visit stays light.

import { button, element, t } from "../lib/common.js";

/** One line per other user whose change to this item waits on this phone. */
export function teammateLines(entries) {
  const names = [...new Set(entries.map((e) => e.author_name || "?"))];
  return names.map((name) => element("p", "prompt teammate-waiting", t("teammate_waiting", { name })));
}

/** The teammate's result stands: who set it, to what and when; mine is applied or dropped in one tap. */
export function notAppliedNotice(current, time, { applyMine, keepTheirs }) {
  const box = element("div", "not-applied");
  box.setAttribute("role", "alert");
  box.append(element("p", null, t("not_applied", { name: current.by, outcome: current.outcome_label, time })));
  const actions = element("div", "actions");
  actions.append(button(t("apply_mine"), applyMine, "primary"), button(t("keep_theirs"), keepTheirs));
  box.append(actions);
  return box;
}
