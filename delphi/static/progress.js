// Live progress on the organiser's study page: polls the round's totals; the page works without it.
(function () {
  "use strict";
  var box = document.getElementById("live-progress");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-url");

  // The page gives the messages in the reader's language (templates/_macros/ui_strings.html, progress_strings);
  // the English here is the fallback (site.js: delphiStrings).
  var t = window.delphiStrings ? window.delphiStrings("progress") : function (key, english) { return english; };
  function set(field, value) {
    var el = box.querySelector('[data-field="' + field + '"]');
    if (el) el.textContent = value;
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (p) {
        set("started", p.started);
        set("completed", p.completed);
        set("updated", t("updated", "(updated %(time)s)", { time: new Date().toLocaleTimeString() }));
        var bar = box.querySelector("progress");
        if (bar) bar.value = p.completed;
        Object.keys(p.per_item).forEach(function (id) {
          var cell = document.querySelector('td[data-item="' + id + '"]');
          if (cell) cell.textContent = p.per_item[id];
        });
        if (p.status === "open") window.setTimeout(poll, 20000);
      })
      .catch(function () { set("updated", t("paused", "(live updates paused; reload the page)")); });
  }
  window.setTimeout(poll, 20000);
})();
