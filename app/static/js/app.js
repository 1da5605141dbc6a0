"use strict";
// A classic script loaded in <head> without defer, so the page knows before the first paint that
// scripts run: the save buttons only a page without JavaScript needs are hidden from the start.
// Everything else is in ES modules.
document.documentElement.classList.add("js");
