/* Autosave for the self-assessment answer pages. Without this script the page's Save button does the same.

   Each save sends only the fields the person changed, each with the revision it started from. The server saves
   what it can and says what it saved, refused (kept on the page, marked, with its message) and found in conflict
   (someone else changed that field since: both versions are shown, the person keeps theirs or takes the other).
   Leaving the page while a field is unsaved, refused or in conflict asks first. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var form = document.getElementById("answer-form");
  if (!form || form.dataset.autosave !== "1") { return; }
  var tokenInput = form.querySelector("input[name=csrf_token]");
  var token = tokenInput ? tokenInput.value : "";
  var TYPING_DELAY = 700;
  var pending = 0;
  var states = new WeakMap();

  // The page gives the messages in the reader's language (templates/_macros/ui_strings.html, assessment_strings);
  // the English here is the fallback (site.js: delphiStrings).
  var t = window.delphiStrings ? window.delphiStrings("assessment") : function (key, english) { return english; };

  function state(article) {
    var s = states.get(article);
    if (!s) {
      var rev = article.querySelector("[data-revision]");
      s = { revision: parseInt((rev && rev.value) || "0", 10), base: {}, dirty: {}, problems: {} };
      (article.dataset.unsaved || "").split(" ").forEach(function (name) { if (name) { s.dirty[name] = true; } });
      states.set(article, s);
    }
    return s;
  }

  function elements(article, name) {
    return article.querySelectorAll("[data-field='" + name + "']");
  }

  function valueOf(article, name) {
    var els = elements(article, name);
    var value = "";
    els.forEach(function (el) {
      if (el.type === "radio") { if (el.checked) { value = el.value; } }
      else if (el.type === "checkbox") { value = el.checked; }
      else { value = el.value; }
    });
    return value;
  }

  function setValue(article, name, value) {
    elements(article, name).forEach(function (el) {
      if (el.type === "radio") { el.checked = String(el.value) === String(value); }
      else if (el.type === "checkbox") { el.checked = Boolean(value); }
      else { el.value = value; }
    });
  }

  function baseOf(s, name) { return name in s.base ? s.base[name] : s.revision; }

  function setStatus(article, text, kind) {
    var status = article.querySelector(".save-status");
    if (!status) { return; }
    status.textContent = text;
    status.className = "save-status" + (kind ? " " + kind : "");
  }

  function fieldElement(article, name) {
    return article.querySelector("[data-field='" + name + "']:not([type=radio])") ||
           article.querySelector("fieldset[id$='-" + name + "']");
  }

  function markInvalid(article, fields) {
    article.querySelectorAll("[aria-invalid=true]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    article.classList.toggle("has-error", fields.length > 0);
    fields.forEach(function (name) {
      var el = fieldElement(article, name);
      if (!el) { return; }
      el.setAttribute("aria-invalid", "true");
      var details = el.closest("details");
      if (details) { details.open = true; }
    });
  }

  function removeConflict(article, name) {
    article.querySelectorAll("[data-conflict='" + name + "']").forEach(function (box) { box.remove(); });
    delete state(article).problems[name];
  }

  function shown(value) {
    if (value === true) { return t("ticked", "ticked"); }
    if (value === false) { return t("not_ticked", "not ticked"); }
    return value === "" || value === null || value === undefined ? t("empty", "(empty)") : String(value);
  }

  function showConflict(article, name, c) {
    removeConflict(article, name);
    var s = state(article);
    s.problems[name] = "conflict";
    var box = document.createElement("div");
    box.className = "conflict notice";
    box.dataset.conflict = name;
    box.setAttribute("role", "group");
    var id = article.id + "-" + name + "-conflict";
    box.id = id;
    var title = document.createElement("p");
    title.className = "conflict-title";
    title.textContent = t("conflict_title", "%(who)s changed “%(field)s” after you opened this page: which one stays?",
                          { who: c.by || t("someone_else", "Someone else"), field: c.label });
    box.setAttribute("aria-label", title.textContent);
    box.appendChild(title);
    [[t("theirs", "Theirs"), c.theirs], [t("yours", "Yours"), c.mine]].forEach(function (pair) {
      var line = document.createElement("div");
      var label = document.createElement("strong");
      label.textContent = pair[0] + " ";
      var text = document.createElement("span");
      text.textContent = shown(pair[1]);
      line.appendChild(label);
      line.appendChild(text);
      box.appendChild(line);
    });
    var mine = document.createElement("button");
    mine.type = "button";
    mine.className = "button";
    mine.textContent = t("keep_mine", "Keep mine");
    mine.addEventListener("click", function () {
      s.base[name] = c.revision;
      removeConflict(article, name);
      save(article);
    });
    var theirs = document.createElement("button");
    theirs.type = "button";
    theirs.className = "button";
    theirs.textContent = t("take_theirs", "Take theirs");
    theirs.addEventListener("click", function () {
      setValue(article, name, c.theirs);
      s.base[name] = c.revision;
      delete s.dirty[name];
      removeConflict(article, name);
      markInvalid(article, Object.keys(s.problems));
      if (Object.keys(s.dirty).length) { save(article); } else { setStatus(article, t("kept_theirs", "Kept their version."), "saved"); }
    });
    var buttons = document.createElement("div");
    buttons.className = "conflict-choices";
    buttons.appendChild(mine);
    buttons.appendChild(theirs);
    box.appendChild(buttons);
    var el = fieldElement(article, name);
    var anchor = el && (el.closest(".field") || el.closest("fieldset"));
    (anchor || article).appendChild(box);  // inside the field's own box: as wide as the field
    var details = box.closest("details");
    if (details) { details.open = true; }
  }

  var COUNTS = {  // a count's message by its data-count-format
    domain: "%(answered)s of %(total)s",
    domain_agreed: "%(answered)s of %(total)s agreed",
    my_domain: "%(answered)s of %(total)s yours"
  };

  function setCount(el, answered, total, format) {
    var complete = answered === total;
    var key = format || el.dataset.countFormat || "domain";
    el.textContent = t(key, COUNTS[key] || COUNTS.domain, { answered: answered, total: total }) + (complete ? " ✓" : "");
    return complete;
  }

  function updateProgress(body) {
    var values = { answered: body.progress.answered, total: body.progress.total };
    document.querySelectorAll("[data-progress-text]").forEach(function (el) {
      el.textContent = el.dataset.progressText === "team"
        ? t("team_progress", "Agreed by the team: %(answered)s of %(total)s indicators answered", values)
        : t("progress", "%(answered)s of %(total)s indicators answered", values);
    });
    var bar = document.getElementById("progress-bar");
    if (bar) { bar.value = body.progress.answered; bar.max = body.progress.total; }
    var count = document.querySelector("[data-domain-count='" + body.domain.index + "']");
    if (count) {
      var complete = setCount(count, body.domain.answered, body.domain.total);
      if (!body.my_progress) { count.closest("li").classList.toggle("complete", complete); }
    }
    if (body.my_progress) {
      document.querySelectorAll("[data-my-progress-text]").forEach(function (el) {
        el.textContent = t("my_progress", "Your levels: %(answered)s of %(total)s indicators rated",
                           { answered: body.my_progress.answered, total: body.my_progress.total });
      });
      var myBar = document.getElementById("my-progress-bar");
      if (myBar) { myBar.value = body.my_progress.answered; myBar.max = body.my_progress.total; }
      var mine = document.querySelector("[data-my-domain-count='" + body.my_domain.index + "']");
      if (mine) { mine.closest("li").classList.toggle("complete", setCount(mine, body.my_domain.answered, body.my_domain.total, "my_domain")); }
    }
  }

  function time(iso) {
    var d = iso ? new Date(iso) : new Date();
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function apply(article, body, sent) {
    var s = state(article);
    var refused = body.refused || {};
    var conflicts = body.conflicts || {};
    Object.keys(sent).forEach(function (name) {
      if (name in refused || name in conflicts) { return; }
      if (valueOf(article, name) === sent[name]) { delete s.dirty[name]; }  // unchanged since it was sent
      delete s.problems[name];
      s.base[name] = body.revision;
    });
    Object.keys(body.current || {}).forEach(function (name) {
      if (s.dirty[name] || !elements(article, name).length) { return; }
      setValue(article, name, body.current[name]);  // someone else's newer value of a field left alone here
      s.base[name] = body.revision;
    });
    Object.keys(refused).forEach(function (name) { s.problems[name] = "refused"; });
    Object.keys(conflicts).forEach(function (name) { showConflict(article, name, conflicts[name]); });
    markInvalid(article, Object.keys(s.problems));
  }

  function save(article) {
    var s = state(article);
    if (article.dataset.inflight === "1") { article.dataset.again = "1"; return; }
    var sent = {};
    var payload = { revisions: {} };
    Object.keys(s.dirty).forEach(function (name) {
      if (s.problems[name] === "conflict" || !elements(article, name).length) { return; }
      sent[name] = payload[name] = valueOf(article, name);
      payload.revisions[name] = baseOf(s, name);
    });
    if (!Object.keys(sent).length) { return; }
    article.dataset.inflight = "1";
    pending += 1;
    setStatus(article, t("saving", "Saving…"), "saving");
    fetch(article.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false, message: t("server_answered", "The server answered %(status)s.", { status: response.status }) }; });
    }).then(function (body) {
      if ("revision" in body) { apply(article, body, sent); }
      if (body.ok) {
        setStatus(article, t("saved", "Saved %(time)s", { time: time(body.saved_at) }), "saved");
      } else {
        if (!("revision" in body) && body.field) { markInvalid(article, [body.field]); }
        setStatus(article, t("not_saved", "Not saved: %(reason)s", { reason: body.message || t("refused", "the answer was refused.") }), "error");
      }
      if (body.progress) { updateProgress(body); }
    }).catch(function () {
      setStatus(article, t("offline", "Not saved: no connection to the server. Your changes stay on this page; use the Save button when you are back online."), "error");
    }).finally(function () {
      pending -= 1;
      article.dataset.inflight = "0";
      if (article.dataset.again === "1") { article.dataset.again = "0"; save(article); }
    });
  }

  var timers = new WeakMap();
  function later(article) {
    clearTimeout(timers.get(article));
    setStatus(article, t("editing", "Editing…"), "");
    timers.set(article, setTimeout(function () { save(article); }, TYPING_DELAY));
  }

  form.querySelectorAll("article.indicator").forEach(function (article) {
    var s = state(article);
    article.addEventListener("change", function (event) {
      var el = event.target;
      if (el.dataset.choice) {  // a conflict the page was drawn with (no script needed to choose)
        var name = el.dataset.choice;
        s.base[name] = parseInt(el.dataset.revision || "0", 10);
        if (el.value === "theirs") { setValue(article, name, el.dataset.theirs || ""); delete s.dirty[name]; }
        else { s.dirty[name] = true; }
        removeConflict(article, name);
        var unresolved = article.querySelector("input[name$='-unresolved']");
        if (unresolved) { unresolved.value = unresolved.value.split(" ").filter(function (f) { return f !== name; }).join(" "); }
        markInvalid(article, Object.keys(s.problems));
        save(article);
        return;
      }
      if (!el.dataset.field) { return; }
      s.dirty[el.dataset.field] = true;
      if (el.dataset.field === "not_applicable" && el.checked) {
        // Not applicable replaces a level: clear the level and the target before saving.
        var none = article.querySelector("input[type=radio][data-field=current_level][value='']");
        if (none && !none.checked) { none.checked = true; s.dirty.current_level = true; }
        var target = article.querySelector("[data-field=target_level]");
        if (target && target.value) { target.value = ""; s.dirty.target_level = true; }
      }
      if (el.type === "radio" && el.dataset.field === "current_level" && el.value) {
        // Choosing a level means the indicator applies after all.
        var na = article.querySelector("[data-field=not_applicable]");
        if (na && na.checked) { na.checked = false; s.dirty.not_applicable = true; }
      }
      if (el.tagName === "TEXTAREA" || el.type === "text") {
        clearTimeout(timers.get(article));
      }
      save(article);
    });
    article.addEventListener("input", function (event) {
      var el = event.target;
      if (!el.dataset.field) { return; }
      s.dirty[el.dataset.field] = true;
      if (el.tagName === "TEXTAREA" || el.type === "text") { later(article); }
    });
  });

  function unsaved() {
    var found = false;
    form.querySelectorAll("article.indicator").forEach(function (article) {
      if (Object.keys(state(article).dirty).length) { found = true; }
    });
    return found;
  }

  // The Save button sends the whole form itself: no warning for that.
  var submitting = false;
  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && (pending > 0 || unsaved())) { event.preventDefault(); event.returnValue = ""; }
  });
})();
