"use strict";
// Evidence photos: shrink on the phone, upload each photo on its own with a visible state, show
// the full view with swipe and arrows, and draw mark-up on a copy. Without this script the
// plain forms in the same markup still upload, remove and explain.
(function () {
  if (window.Photos) {
    return;
  }

  var DEFAULT_MAX_EDGE = 2048;
  var JPEG_QUALITY = 0.85;
  var EXIF_PROBE_BYTES = 256 * 1024;
  // A JPEG that already fits is sent untouched: re-encoding it would only lose quality.
  var SEND_AS_IS_BYTES = 2.5 * 1024 * 1024;
  var UPLOAD_TIMEOUT_MS = 180000;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  function newMutationId() {
    if (window.crypto && typeof crypto.randomUUID === "function") {
      return crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  // The canvas drops EXIF, so the capture time is read from the JPEG's APP1 segment first.
  function readCaptureTime(buffer) {
    var view = new DataView(buffer);
    if (view.byteLength < 4 || view.getUint16(0) !== 0xffd8) {
      return null;
    }
    var offset = 2;
    while (offset + 4 <= view.byteLength) {
      var marker = view.getUint16(offset);
      if ((marker & 0xff00) !== 0xff00 || marker === 0xffda || marker === 0xffd9) {
        return null;
      }
      var length = view.getUint16(offset + 2);
      if (marker === 0xffe1 && length > 8 && offset + 10 <= view.byteLength &&
          view.getUint32(offset + 4) === 0x45786966 && view.getUint16(offset + 8) === 0) {
        return exifTime(view, offset + 10, Math.min(view.byteLength, offset + 2 + length));
      }
      offset += 2 + length;
    }
    return null;
  }

  function exifTime(view, tiff, end) {
    var order = view.getUint16(tiff);
    var little = order === 0x4949;
    if (!little && order !== 0x4d4d) {
      return null;
    }
    function u16(at) { return view.getUint16(at, little); }
    function u32(at) { return view.getUint32(at, little); }
    function entries(ifdOffset) {
      var found = {};
      var at = tiff + ifdOffset;
      if (at + 2 > end) {
        return found;
      }
      var count = u16(at);
      for (var i = 0; i < count; i++) {
        var entry = at + 2 + i * 12;
        if (entry + 12 > end) {
          break;
        }
        found[u16(entry)] = { type: u16(entry + 2), count: u32(entry + 4), at: entry + 8 };
      }
      return found;
    }
    function ascii(entry) {
      if (!entry || entry.type !== 2) {
        return null;
      }
      var start = entry.count <= 4 ? entry.at : tiff + u32(entry.at);
      if (start + entry.count > end) {
        return null;
      }
      var text = "";
      for (var i = 0; i < entry.count; i++) {
        var code = view.getUint8(start + i);
        if (!code) {
          break;
        }
        text += String.fromCharCode(code);
      }
      return text;
    }
    var ifd0 = entries(u32(tiff + 4));
    var exif = ifd0[0x8769] ? entries(u32(ifd0[0x8769].at)) : {};
    var raw = ascii(exif[0x9003]) || ascii(ifd0[0x0132]);
    var parts = raw && /^(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})/.exec(raw);
    if (!parts || parts[1] === "0000") {
      return null;
    }
    var iso = parts[1] + "-" + parts[2] + "-" + parts[3] + "T" + parts[4] + ":" + parts[5] + ":" + parts[6];
    var zone = ascii(exif[0x9011]);
    return zone && /^[+-]\d{2}:\d{2}$/.test(zone) ? iso + zone : iso;
  }

  // Shrink to maxEdge on the long edge as JPEG, orientation applied. Resolves to the Blob to send:
  // the file itself when it already fits or the browser cannot decode it (HEIC in most browsers).
  function downscale(file, maxEdge, quality) {
    maxEdge = maxEdge || DEFAULT_MAX_EDGE;
    quality = quality || JPEG_QUALITY;
    if (typeof createImageBitmap !== "function") {
      return Promise.resolve(file);
    }
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, maxEdge / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.type === "image/jpeg" && file.size <= SEND_AS_IS_BYTES) {
        bitmap.close();
        return file;
      }
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      var context = canvas.getContext("2d");
      context.imageSmoothingEnabled = true;
      context.imageSmoothingQuality = "high";
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) { resolve(blob || file); }, "image/jpeg", quality);
      });
    }, function () {
      return file;
    });
  }

  function captureTimeOf(file) {
    if (!file.slice || file.type !== "image/jpeg") {
      return Promise.resolve(null);
    }
    return file.slice(0, EXIF_PROBE_BYTES).arrayBuffer().then(readCaptureTime, function () { return null; });
  }

  // One multipart POST with progress. Resolves {ok, status, body}; never rejects.
  function sendPhoto(url, fields, onProgress) {
    return new Promise(function (resolve) {
      var form = new FormData();
      Object.keys(fields).forEach(function (name) {
        var value = fields[name];
        if (value === null || value === undefined || value === "") {
          return;
        }
        if (name === "photo") {
          form.append(name, value, value.name || "photo.jpg");
        } else {
          form.append(name, value);
        }
      });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.timeout = UPLOAD_TIMEOUT_MS;
      if (onProgress) {
        xhr.upload.addEventListener("progress", function (event) {
          if (event.lengthComputable) {
            onProgress(Math.min(99, Math.floor((event.loaded / event.total) * 100)));
          }
        });
      }
      xhr.addEventListener("load", function () {
        var body = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch (error) {
          body = null;
        }
        resolve({ ok: xhr.status === 200 || xhr.status === 201, status: xhr.status, body: body });
      });
      xhr.addEventListener("error", function () { resolve({ ok: false, status: 0, body: null }); });
      xhr.addEventListener("timeout", function () { resolve({ ok: false, status: 0, body: null }); });
      xhr.send(form);
    });
  }

  function sendJson(method, url, payload) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(payload),
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function withNext(url) {
    return url + (url.indexOf("?") < 0 ? "?" : "&") + "next=" + encodeURIComponent(location.pathname);
  }

  function PhotoPanel(section) {
    this.section = section;
    this.url = section.dataset.uploadUrl;
    this.maxEdge = parseInt(section.dataset.maxEdge, 10) || DEFAULT_MAX_EDGE;
    this.queue = section.querySelector("[data-photo-queue]");
    this.strip = section.querySelector("[data-photo-strip]");
    this.texts = (section.querySelector("[data-photo-texts]") || { dataset: {} }).dataset;
    this.jobs = [];
    this.running = false;
    section.classList.add("photos-js");
    section.__photoPanel = this;
    this.showWaitingPhotos();
    var panel = this;
    section.querySelectorAll("[data-photo-input]").forEach(function (input) {
      input.addEventListener("change", function () {
        Array.prototype.forEach.call(input.files, function (file) { panel.add(file); });
        input.value = "";
      });
    });
    var reasonForm = section.querySelector("[data-no-photo-form]");
    if (reasonForm) {
      reasonForm.addEventListener("submit", function (event) {
        event.preventDefault();
        panel.saveReason(reasonForm);
      });
    }
  }

  PhotoPanel.prototype.add = function (file) {
    var job = { file: file, blob: null, takenAt: null, mutationId: newMutationId(), photo: null, state: "waiting" };
    job.row = this.jobRow(job);
    this.queue.appendChild(job.row);
    this.jobs.push(job);
    this.setState(job, "waiting", this.texts.preparing);
    this.run();
  };

  PhotoPanel.prototype.jobRow = function (job) {
    var panel = this;
    var row = element("li", "photo-job");
    var preview = element("img", "photo-job-preview");
    preview.alt = "";
    row.appendChild(preview);
    var body = element("div", "photo-job-body");
    var state = element("span", "photo-job-state");
    var bar = element("progress", "photo-job-progress");
    bar.max = 100;
    bar.value = 0;
    var caption = element("input", "photo-job-caption");
    caption.type = "text";
    caption.maxLength = 300;
    caption.placeholder = this.texts.caption || "";
    caption.setAttribute("aria-label", this.texts.caption || "caption");
    caption.addEventListener("change", function () { panel.saveCaption(job); });
    var retry = element("button", "photo-job-retry", this.texts.retry);
    retry.type = "button";
    retry.hidden = true;
    retry.addEventListener("click", function () {
      panel.setState(job, "waiting", panel.texts.waiting);
      panel.run();
    });
    var remove = element("button", "photo-job-remove link-button", this.texts.remove);
    remove.type = "button";
    remove.hidden = true;
    remove.addEventListener("click", function () {
      panel.jobs.splice(panel.jobs.indexOf(job), 1);
      row.remove();
    });
    body.append(state, bar, caption, retry, remove);
    row.appendChild(body);
    job.ui = { preview: preview, state: state, bar: bar, caption: caption, retry: retry, remove: remove };
    return row;
  };

  PhotoPanel.prototype.setState = function (job, state, text, percent) {
    job.state = state;
    job.row.dataset.state = state;
    job.ui.state.textContent = text || "";
    job.ui.bar.hidden = state !== "uploading";
    if (percent !== undefined) {
      job.ui.bar.value = percent;
    }
    job.ui.retry.hidden = state !== "failed";
    job.ui.remove.hidden = state !== "failed";
  };

  PhotoPanel.prototype.run = function () {
    if (this.running) {
      return;
    }
    var job = this.jobs.find(function (candidate) { return candidate.state === "waiting"; });
    if (!job) {
      return;
    }
    this.running = true;
    var panel = this;
    this.prepare(job).then(function () {
      return panel.upload(job);
    }).then(function () {
      panel.running = false;
      panel.run();
    });
  };

  PhotoPanel.prototype.prepare = function (job) {
    if (job.blob) {
      return Promise.resolve();
    }
    var panel = this;
    return captureTimeOf(job.file).then(function (takenAt) {
      job.takenAt = takenAt;
      return downscale(job.file, panel.maxEdge);
    }).then(function (blob) {
      job.blob = blob;
      job.ui.preview.src = URL.createObjectURL(blob);
    });
  };

  PhotoPanel.prototype.upload = function (job) {
    var panel = this;
    if (!navigator.onLine && window.Outbox) {
      return panel.keepOnPhone(job);
    }
    panel.setState(job, "uploading", "0%", 0);
    return sendPhoto(this.url, {
      photo: job.blob,
      caption: job.ui.caption.value,
      taken_at: job.takenAt,
      mutation_id: job.mutationId,
    }, function (percent) {
      panel.setState(job, "uploading", percent + "%", percent);
    }).then(function (answer) {
      if (answer.ok) {
        job.photo = answer.body;
        job.sentCaption = job.ui.caption.value;
        panel.setState(job, "saved", panel.texts.saved);
        panel.showThumb(answer.body);
        if (job.ui.caption.value !== answer.body.caption) {
          panel.saveCaption(job);
        }
        return;
      }
      if (answer.status === 0 && window.Outbox) {
        return panel.keepOnPhone(job);
      }
      var reason = answer.body && answer.body.error ? answer.body.error : panel.texts.offline;
      panel.setState(job, "failed", panel.texts.failed + ": " + reason);
    });
  };

  // Without a network the shrunk photo waits in the outbox (IndexedDB) and is sent, once, when
  // the network is back, even if the page was closed meanwhile.
  PhotoPanel.prototype.keepOnPhone = function (job) {
    var panel = this;
    return window.Outbox.add({
      kind: "photo",
      mutation_id: job.mutationId,
      assessment_id: panel.section.dataset.assessmentId,
      item_id: panel.section.dataset.itemId,
      blob: job.blob,
      filename: "photo.jpg",
      payload: { caption: job.ui.caption.value, taken_at: job.takenAt },
      csrf: csrfToken(),
    }).then(function () {
      panel.setState(job, "queued", panel.texts.queued);
    }, function () {
      panel.setState(job, "failed", panel.texts.failed + ": " + panel.texts.offline);
    });
  };

  PhotoPanel.prototype.showWaitingPhotos = function () {
    if (!window.Outbox) {
      return;
    }
    var panel = this;
    window.Outbox.all().then(function (entries) {
      entries.filter(function (entry) {
        return entry.kind === "photo" && String(entry.assessment_id) === panel.section.dataset.assessmentId &&
          entry.item_id === panel.section.dataset.itemId;
      }).forEach(function (entry) {
        var job = { blob: entry.blob, mutationId: entry.mutation_id, photo: null, state: "queued" };
        job.row = panel.jobRow(job);
        job.ui.preview.src = URL.createObjectURL(entry.blob);
        job.ui.caption.value = entry.payload.caption || "";
        panel.queue.appendChild(job.row);
        panel.jobs.push(job);
        var text = entry.state === "rejected" ? panel.texts.failed + ": " + entry.error : panel.texts.queued;
        panel.setState(job, "queued", text);
      });
    }, function () {});
  };

  PhotoPanel.prototype.saveCaption = function (job) {
    if (!job.photo) {
      return;
    }
    sendJson("PATCH", "/api/photos/" + job.photo.id, { caption: job.ui.caption.value }).then(function (response) {
      if (response.ok) {
        job.photo.caption = job.ui.caption.value;
      }
    }, function () {});
  };

  PhotoPanel.prototype.showThumb = function (photo) {
    if (this.strip.querySelector('[data-photo-id="' + photo.id + '"]')) {
      return;
    }
    var item = element("li");
    item.dataset.photoId = photo.id;
    var link = element("a", "photo-thumb");
    link.href = withNext(photo.page_url);
    var image = element("img");
    image.src = photo.thumb_url;
    image.alt = photo.caption || "";
    link.appendChild(image);
    if (photo.marked_up_from) {
      link.appendChild(element("span", "photo-tag", this.texts.marked));
    }
    item.appendChild(link);
    this.strip.appendChild(item);
    var badge = this.section.querySelector("h2 .badge");
    if (badge) {
      badge.textContent = this.strip.children.length;
    }
    var needed = this.section.querySelector(".photos-needed");
    if (needed) {
      needed.remove();
    }
  };

  PhotoPanel.prototype.unfinished = function () {
    return this.jobs.some(function (job) { return job.state !== "saved" && job.state !== "queued"; });
  };

  PhotoPanel.prototype.saveReason = function (form) {
    var state = form.querySelector("[data-reason-state]");
    var texts = this.texts;
    state.textContent = "…";
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: new FormData(form),
    }).then(function (response) {
      return response.json().then(function (body) {
        state.textContent = response.ok ? texts.saved : texts.failed + ": " + (body.error || response.status);
        if (response.ok && body.no_photo_reason) {
          var needed = form.closest("[data-photos]").querySelector(".photos-needed");
          if (needed) {
            needed.remove();
          }
        }
      });
    }).catch(function () {
      state.textContent = texts.failed + ": " + texts.offline;
    });
  };

  // The item page swaps its result form with htmx; a changed outcome may change what the panel
  // asks for, so the panel is fetched again unless uploads are still showing.
  function refreshPanel(section) {
    var panel = section.__photoPanel;
    var busy = panel && panel.jobs.some(function (job) { return job.state !== "saved" && job.state !== "queued"; });
    if (busy || section.__refreshing) {
      return;
    }
    section.__refreshing = true;
    fetch(section.dataset.panelUrl, { credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      section.__refreshing = false;
      // Never pull the panel from under someone typing a reason or a caption.
      if (!html || !section.isConnected || section.contains(document.activeElement)) {
        return;
      }
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var fresh = holder.querySelector("[data-photos]");
      if (fresh) {
        section.replaceWith(fresh);
        var index = panels.indexOf(panel);
        if (index >= 0) {
          panels.splice(index, 1);
        }
        panels.push(new PhotoPanel(fresh));
      }
    }, function () {
      section.__refreshing = false;
    });
  }

  function PhotoViewer(view) {
    this.view = view;
    this.image = view.querySelector("[data-photo-image]");
    this.previous = view.querySelector('a[rel="prev"]');
    this.following = view.querySelector('a[rel="next"]');
    var viewer = this;
    var figure = view.querySelector("[data-swipe]");
    var start = null;
    figure.addEventListener("touchstart", function (event) {
      start = event.touches.length === 1 ? { x: event.touches[0].clientX, y: event.touches[0].clientY } : null;
    }, { passive: true });
    figure.addEventListener("touchend", function (event) {
      if (!start) {
        return;
      }
      var dx = event.changedTouches[0].clientX - start.x;
      var dy = event.changedTouches[0].clientY - start.y;
      start = null;
      if (Math.abs(dx) > 50 && Math.abs(dx) > Math.abs(dy) * 1.5) {
        viewer.go(dx < 0 ? viewer.following : viewer.previous);
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.target.closest && event.target.closest("input, textarea, [data-markup]:not([hidden])")) {
        return;
      }
      if (event.key === "ArrowLeft") {
        viewer.go(viewer.previous);
      } else if (event.key === "ArrowRight") {
        viewer.go(viewer.following);
      }
    });
    view.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) {
          event.preventDefault();
        }
      });
    });
    var markup = view.querySelector("[data-markup]");
    var startButton = view.querySelector("[data-markup-start]");
    if (markup && startButton) {
      this.markup = new MarkUp(view, markup);
      startButton.hidden = false;
      startButton.addEventListener("click", function () { viewer.markup.open(viewer.image); });
    }
  }

  PhotoViewer.prototype.go = function (link) {
    if (link) {
      location.href = link.href;
    }
  };

  function MarkUp(view, section) {
    this.view = view;
    this.section = section;
    this.canvas = section.querySelector("[data-markup-canvas]");
    this.context = this.canvas.getContext("2d");
    this.state = section.querySelector("[data-markup-state]");
    this.strokes = [];
    this.current = null;
    var markup = this;
    this.canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      markup.canvas.setPointerCapture(event.pointerId);
      markup.current = [markup.point(event)];
      markup.strokes.push(markup.current);
      markup.draw();
    });
    this.canvas.addEventListener("pointermove", function (event) {
      if (markup.current) {
        event.preventDefault();
        markup.current.push(markup.point(event));
        markup.draw();
      }
    });
    ["pointerup", "pointercancel"].forEach(function (name) {
      markup.canvas.addEventListener(name, function () { markup.current = null; });
    });
    section.querySelector("[data-markup-undo]").addEventListener("click", function () {
      markup.strokes.pop();
      markup.draw();
    });
    section.querySelector("[data-markup-cancel]").addEventListener("click", function () { markup.close(); });
    section.querySelector("[data-markup-save]").addEventListener("click", function () { markup.save(); });
  }

  MarkUp.prototype.open = function (image) {
    this.image = image;
    this.canvas.width = image.naturalWidth;
    this.canvas.height = image.naturalHeight;
    this.strokes = [];
    this.section.hidden = false;
    this.state.textContent = "";
    this.draw();
    this.section.scrollIntoView({ block: "start" });
  };

  MarkUp.prototype.close = function () {
    this.section.hidden = true;
    this.strokes = [];
  };

  MarkUp.prototype.point = function (event) {
    var box = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) * this.canvas.width) / box.width,
      y: ((event.clientY - box.top) * this.canvas.height) / box.height,
    };
  };

  MarkUp.prototype.draw = function () {
    var context = this.context;
    context.drawImage(this.image, 0, 0, this.canvas.width, this.canvas.height);
    context.strokeStyle = "#e0001b";
    context.lineWidth = Math.max(4, Math.round(Math.max(this.canvas.width, this.canvas.height) / 180));
    context.lineCap = "round";
    context.lineJoin = "round";
    this.strokes.forEach(function (stroke) {
      context.beginPath();
      context.moveTo(stroke[0].x, stroke[0].y);
      if (stroke.length === 1) {
        context.lineTo(stroke[0].x + 0.1, stroke[0].y);
      }
      stroke.forEach(function (point) { context.lineTo(point.x, point.y); });
      context.stroke();
    });
  };

  MarkUp.prototype.save = function () {
    if (!this.strokes.length) {
      this.close();
      return;
    }
    var markup = this;
    var view = this.view;
    var state = this.state;
    var buttons = this.section.querySelectorAll("button");
    buttons.forEach(function (button) { button.disabled = true; });
    state.textContent = state.dataset.saving;
    if (!this.mutationId) {
      this.mutationId = newMutationId();
    }
    this.canvas.toBlob(function (blob) {
      sendPhoto(view.dataset.uploadUrl, {
        photo: blob,
        marked_up_from: view.dataset.photoId,
        mutation_id: markup.mutationId,
      }).then(function (answer) {
        buttons.forEach(function (button) { button.disabled = false; });
        if (answer.ok) {
          var back = view.dataset.next;
          location.href = answer.body.page_url + (back ? "?next=" + encodeURIComponent(back) : "");
          return;
        }
        state.textContent = state.dataset.failed + (answer.body && answer.body.error ? " " + answer.body.error : "");
      });
    }, "image/jpeg", 0.9);
  };

  var panels = [];

  function init(root) {
    root.querySelectorAll("[data-photos]").forEach(function (section) {
      if (!section.__photoPanel) {
        panels.push(new PhotoPanel(section));
      }
    });
    root.querySelectorAll("[data-photo-view]").forEach(function (view) { new PhotoViewer(view); });
  }

  window.addEventListener("beforeunload", function (event) {
    var pending = panels.find(function (panel) { return panel.unfinished(); });
    if (pending) {
      event.preventDefault();
      event.returnValue = pending.texts.pending || "";
    }
  });

  document.addEventListener("outbox:synced", function () {
    document.querySelectorAll("[data-photos]").forEach(refreshPanel);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "item") {
      document.querySelectorAll("[data-photos]").forEach(refreshPanel);
    }
  });

  window.Photos = { downscale: downscale, readCaptureTime: readCaptureTime, sendPhoto: sendPhoto };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
})();
