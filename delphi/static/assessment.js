/* Autosave for the self-assessment answer pages. Without this script the page's Save button does the same. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("answer-form");
  if (!form || form.dataset.autosave !== "1") { return; }
  var tokenInput = form.querySelector("input[name=csrf_token]");
  var token = tokenInput ? tokenInput.value : "";
  var TYPING_DELAY = 700;
  var pending = 0;

  function fields(article) {
    var data = {};
    article.querySelectorAll("[data-field]").forEach(function (el) {
      var name = el.dataset.field;
      if (el.type === "radio") {
        if (el.checked) { data[name] = el.value; }
        else if (!(name in data)) { data[name] = ""; }
      } else if (el.type === "checkbox") {
        data[name] = el.checked;
      } else if (name === "revision") {
        data[name] = parseInt(el.value || "0", 10);
      } else {
        data[name] = el.value;
      }
    });
    return data;
  }

  function setStatus(article, text, kind) {
    var status = article.querySelector(".save-status");
    if (!status) { return; }
    status.textContent = text;
    status.className = "save-status" + (kind ? " " + kind : "");
  }

  function markInvalid(article, field) {
    article.querySelectorAll("[aria-invalid=true]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    article.classList.toggle("has-error", Boolean(field));
    if (!field) { return; }
    var el = article.querySelector("[data-field=" + field + "]:not([type=radio])") ||
             article.querySelector("fieldset[id$='-" + field + "']");
    if (el) { el.setAttribute("aria-invalid", "true"); }
    var details = el && el.closest("details");
    if (details) { details.open = true; }
  }

  function updateProgress(body) {
    var total = document.querySelectorAll("[data-progress-text]");
    total.forEach(function (el) {
      el.textContent = body.progress.answered + " of " + body.progress.total + " indicators answered";
    });
    var bar = document.getElementById("progress-bar");
    if (bar) { bar.value = body.progress.answered; bar.max = body.progress.total; }
    var count = document.querySelector("[data-domain-count='" + body.domain.index + "']");
    if (count) {
      var complete = body.domain.answered === body.domain.total;
      count.textContent = body.domain.answered + " of " + body.domain.total + (complete ? " ✓" : "");
      count.parentElement.classList.toggle("complete", complete);
    }
  }

  function time(iso) {
    var d = iso ? new Date(iso) : new Date();
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function save(article) {
    if (article.dataset.inflight === "1") { article.dataset.again = "1"; return; }
    article.dataset.inflight = "1";
    pending += 1;
    setStatus(article, "Saving…", "saving");
    fetch(article.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(fields(article))
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false, message: "The server answered " + response.status + "." }; });
    }).then(function (body) {
      if (body.ok) {
        var rev = article.querySelector("[data-field=revision]");
        if (rev) { rev.value = body.revision; }
        markInvalid(article, null);
        setStatus(article, "Saved " + time(body.saved_at), "saved");
        updateProgress(body);
      } else {
        markInvalid(article, body.field);
        setStatus(article, "Not saved: " + (body.message || "the answer was refused."), "error");
      }
    }).catch(function () {
      setStatus(article, "Not saved: no connection to the server. Your changes stay on this page; use the Save button when you are back online.", "error");
    }).finally(function () {
      pending -= 1;
      article.dataset.inflight = "0";
      if (article.dataset.again === "1") { article.dataset.again = "0"; save(article); }
    });
  }

  var timers = new WeakMap();
  function later(article) {
    clearTimeout(timers.get(article));
    setStatus(article, "Editing…", "");
    timers.set(article, setTimeout(function () { save(article); }, TYPING_DELAY));
  }

  form.querySelectorAll("article.indicator").forEach(function (article) {
    article.addEventListener("change", function (event) {
      var el = event.target;
      if (el.dataset.field === "not_applicable" && el.checked) {
        // Not applicable replaces a level: clear the level and the target before saving.
        var none = article.querySelector("input[type=radio][data-field=current_level][value='']");
        if (none) { none.checked = true; }
        var target = article.querySelector("[data-field=target_level]");
        if (target) { target.value = ""; }
      }
      if (el.type === "radio" && el.dataset.field === "current_level" && el.value) {
        // Choosing a level means the indicator applies after all.
        var na = article.querySelector("[data-field=not_applicable]");
        if (na) { na.checked = false; }
      }
      if (el.tagName === "TEXTAREA" || el.type === "text") {
        clearTimeout(timers.get(article));
      }
      save(article);
    });
    article.addEventListener("input", function (event) {
      var el = event.target;
      if (el.tagName === "TEXTAREA" || el.type === "text") { later(article); }
    });
  });

  window.addEventListener("beforeunload", function (event) {
    if (pending > 0) { event.preventDefault(); event.returnValue = ""; }
  });
})();
