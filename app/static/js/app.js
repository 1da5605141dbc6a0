"use strict";
// Loaded in <head> without defer so the page knows at once that scripts run: the save buttons
// that only a page without JavaScript needs are hidden from the first paint.
document.documentElement.classList.add("js");
