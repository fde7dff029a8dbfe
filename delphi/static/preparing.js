// The "being prepared" page: polls the build's progress and starts the download when it is ready.
// Without JavaScript the page still works: "Check again" follows the same link.
(function () {
  "use strict";
  var box = document.getElementById("preparing");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("progress");

  // The page gives the messages in the reader's language (templates/_macros/ui_strings.html, preparing_strings);
  // the English here is the fallback (site.js: delphiStrings).
  var t = window.delphiStrings ? window.delphiStrings("preparing") : function (key, english) { return english; };

  // A percentage as the page's language writes it ("45%", "45 %"), as the server's percent filter does.
  var percentFormat = null;
  try {
    percentFormat = new Intl.NumberFormat(document.documentElement.lang || undefined, { style: "percent", maximumFractionDigits: 0 });
  } catch (e) { percentFormat = null; }
  function percent(n) { return percentFormat ? percentFormat.format(n / 100) : n + "%"; }
  function field(name) { return box.querySelector('[data-field="' + name + '"]'); }
  var lastStage = "";
  function say(text) {
    if (text !== lastStage) { field("stage").textContent = text; lastStage = text; }
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (s) {
        bar.value = s.progress;
        bar.textContent = percent(s.progress);
        field("percent").textContent = percent(s.progress);
        if (s.ready && s.download) {
          say(t("ready", "Ready: the download starts. If it does not, use the link below."));
          var again = field("again");
          again.textContent = t("download", "Download");
          again.setAttribute("href", s.download);
          window.location.assign(s.download);
          return;
        }
        if (s.status === "failed") {
          say(t("failed", "It could not be prepared: %(error)s. Try again, or tell the administrator.",
                { error: s.error || t("unknown_error", "unknown error") }));
          field("again").textContent = t("try_again", "Try again");
          return;
        }
        say((s.stage || t("waiting", "Waiting for a worker")) + "…");
        window.setTimeout(poll, 1500);
      })
      .catch(function () { say(t("paused", "Progress updates paused; use Check again.")); });
  }
  window.setTimeout(poll, 1000);
})();
