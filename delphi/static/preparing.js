// The "being prepared" page: polls the build's progress and starts the download when it is ready.
// Without JavaScript the page still works: "Check again" follows the same link.
(function () {
  "use strict";
  var box = document.getElementById("preparing");
  if (!box || !window.fetch) return;
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("progress");
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
        bar.textContent = s.progress + " %";
        field("percent").textContent = s.progress + " %";
        if (s.ready && s.download) {
          say("Ready: the download starts. If it does not, use the link below.");
          var again = field("again");
          again.textContent = "Download";
          again.setAttribute("href", s.download);
          window.location.assign(s.download);
          return;
        }
        if (s.status === "failed") {
          say("It could not be prepared: " + (s.error || "unknown error") + ". Try again, or tell the administrator.");
          field("again").textContent = "Try again";
          return;
        }
        say((s.stage || "Waiting for a worker") + "…");
        window.setTimeout(poll, 1500);
      })
      .catch(function () { say("Progress updates paused; use Check again."); });
  }
  window.setTimeout(poll, 1000);
})();
