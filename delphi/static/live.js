// Live feedback on a real-time or hybrid round's rating page (services/studies/live.py): every few seconds the
// page asks for the panels of its items, sending the ETag it last got; an unchanged round answers 304. After an
// answer is saved it asks at once. Updates pause while the tab is hidden, and a button pauses them altogether
// (WCAG 2.2.2: auto-updating content can be paused).
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root) return;
  var t = window.delphiStrings ? window.delphiStrings("live") : function (key, english) { return english; };
  var url = root.getAttribute("data-live") + "?items=" + encodeURIComponent(root.getAttribute("data-live-items"));
  var every = Math.max(2, parseInt(root.getAttribute("data-refresh"), 10) || 3) * 1000;
  var toggle = document.getElementById("live-toggle");
  var when = document.getElementById("live-updated");
  var tag = null, timer = null, busy = false, paused = false, open = true;

  function schedule(delay) {
    clearTimeout(timer);
    if (!paused && open) timer = setTimeout(poll, delay === undefined ? every : delay);
  }

  function poll() {
    if (busy || document.hidden) { schedule(); return; }
    busy = true;
    var headers = { "Accept": "application/json" };
    if (tag) headers["If-None-Match"] = tag;
    fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (response.status === 304) return null;
      if (!response.ok) throw new Error(String(response.status));
      tag = response.headers.get("ETag");
      return response.json();
    }).then(function (data) {
      if (!data) return;
      Object.keys(data.items).forEach(function (id) {
        var box = document.querySelector('[data-live-item="' + id + '"]');
        if (box && box.innerHTML !== data.items[id]) box.innerHTML = data.items[id];
      });
      if (when) when.textContent = t("updated", "Updated %(time)s", { time: new Date().toLocaleTimeString() });
      open = data.open !== false;
    }).catch(function () {
      // A lost connection or an ended session: the next poll tries again; the rating page reports saves itself.
    }).then(function () { busy = false; schedule(); });
  }

  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      paused = !paused;
      toggle.setAttribute("aria-pressed", paused ? "true" : "false");
      toggle.textContent = paused ? t("resume", "Resume live updates") : t("pause", "Pause live updates");
      if (!paused) poll();
      else clearTimeout(timer);
    });
  }
  document.addEventListener("delphi:saved", function () { schedule(250); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) schedule(0); });
  schedule();
})();
