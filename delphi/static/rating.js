// Autosave for the expert rating page: every answer is POSTed as it is given; the page works without this.
(function () {
  "use strict";
  var form = document.getElementById("rating-form");
  if (!form || !window.fetch) return;
  var url = form.getAttribute("data-autosave");
  var token = form.querySelector("input[name=csrf_token]").value;
  var progressText = document.getElementById("progress-text");
  var progressBar = document.getElementById("progress-bar");

  // The page gives the messages in the reader's language (templates/_macros/ui_strings.html, rating_strings);
  // the English here is the fallback (site.js: delphiStrings).
  var t = window.delphiStrings ? window.delphiStrings("rating") : function (key, english) { return english; };

  // Progress is counted here, not by the server: the page was rendered with the round's count (all domains),
  // and only this page's items can change it. An item counts once every question of it has a saved answer.
  var rated = progressBar ? parseInt(progressBar.getAttribute("value"), 10) || 0 : 0;
  var total = progressBar ? parseInt(progressBar.getAttribute("max"), 10) || 0 : 0;
  var saved = {};  // item id -> {question: true} for answers the server has stored

  function questionsOf(article) {
    var keys = {};
    article.querySelectorAll("input[type=radio][data-question]").forEach(function (input) {
      keys[input.getAttribute("data-question")] = true;
    });
    return Object.keys(keys);
  }

  function isComplete(article) {
    var answers = saved[article.getAttribute("data-item")] || {};
    return questionsOf(article).every(function (key) { return answers[key]; });
  }

  form.querySelectorAll("article[data-item]").forEach(function (article) {
    var answers = saved[article.getAttribute("data-item")] = {};
    article.querySelectorAll("input[type=radio][data-question]:checked").forEach(function (input) {
      answers[input.getAttribute("data-question")] = true;
    });
  });

  function answerSaved(article, question) {
    var before = isComplete(article);
    saved[article.getAttribute("data-item")][question] = true;
    if (!before && isComplete(article)) {
      rated = Math.min(rated + 1, total);
      if (progressText) progressText.textContent = t("progress", "%(rated)s of %(total)s items rated", { rated: rated, total: total });
      if (progressBar) progressBar.value = rated;
      var hint = document.getElementById("submit-hint");
      if (hint) {
        hint.textContent = rated < total
          ? t("rate_all", "Rate all %(total)s items first (%(left)s left).", { total: total, left: total - rated })
          : t("all_rated", "Every item is rated: you can submit.");
      }
    }
  }

  function status(article, text, isError) {
    var el = article.querySelector(".save-status");
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("error", !!isError);
  }

  // Unsaved work: comments typed but not yet stored (the value the server last acknowledged is kept per item),
  // and requests in flight. While any is left, leaving the page warns; on leaving, what is left is sent anyway.
  var TYPING_DELAY = 800;
  var inFlight = 0;
  var storedComment = {};  // item id -> the comment text the server has stored
  var typingTimer = {};    // item id -> pending debounce timer
  var submitting = false;

  form.querySelectorAll("textarea[data-comment]").forEach(function (area) {
    storedComment[area.closest("article[data-item]").getAttribute("data-item")] = area.value;
  });

  function unsavedComments() {
    var left = [];
    form.querySelectorAll("textarea[data-comment]").forEach(function (area) {
      var id = area.closest("article[data-item]").getAttribute("data-item");
      if (area.value !== storedComment[id]) left.push(area);
    });
    return left;
  }

  function send(article, payload, onSaved, keepalive) {
    status(article, t("saving", "Saving…"));
    inFlight += 1;
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok || !body.ok) {
          var err = new Error(body.error || t("not_saved_default", "Not saved"));
          err.status = response.status;
          throw err;
        }
        status(article, t("saved", "Saved"));
        if (onSaved) onSaved();
        // live.js refreshes the panel's answers at once (a first answer shows the group's).
        document.dispatchEvent(new CustomEvent("delphi:saved", { detail: { item: payload.item } }));
      });
    }).catch(function (err) {
      // A closed round or an ended session refuses the Save button too: say what helps instead.
      var help = err.status === 409 ? t("help_closed", "Reload the page to see the round as it closed.")
               : err.status === 401 ? t("help_login", "Log in again: everything saved before is kept.")
               : t("help_save", "Use the Save button below.");
      status(article, t("not_saved", "Not saved: %(reason)s", { reason: err.message }) + " " + help, true);
    }).then(function () { inFlight -= 1; });
  }

  function saveComment(area, keepalive) {
    var article = area.closest("article[data-item]");
    var id = article.getAttribute("data-item");
    clearTimeout(typingTimer[id]);
    delete typingTimer[id];
    var text = area.value;
    if (text === storedComment[id]) return;
    send(article, { item: parseInt(id, 10), comment: text }, function () { storedComment[id] = text; }, keepalive);
  }

  form.addEventListener("change", function (event) {
    var input = event.target;
    var article = input.closest("article[data-item]");
    if (!article) return;
    var item = parseInt(article.getAttribute("data-item"), 10);
    if (input.type === "radio") {
      var value = input.value === "unable" ? "unable" : parseInt(input.value, 10);
      var question = input.getAttribute("data-question");
      send(article, { item: item, question: question, value: value },
           function () { answerSaved(article, question); });
    } else if (input.hasAttribute("data-comment")) {
      saveComment(input);
    }
  });

  form.addEventListener("input", function (event) {
    var area = event.target;
    if (!area.hasAttribute || !area.hasAttribute("data-comment")) return;
    var article = area.closest("article[data-item]");
    var id = article.getAttribute("data-item");
    clearTimeout(typingTimer[id]);
    status(article, t("typing", "Typing… (saved when you pause)"));
    typingTimer[id] = setTimeout(function () { saveComment(area); }, TYPING_DELAY);
  });

  // The Save buttons post the whole page, comments included: no warning then.
  form.addEventListener("submit", function () { submitting = true; });

  window.addEventListener("beforeunload", function (event) {
    if (submitting) return;
    var left = unsavedComments();
    left.forEach(function (area) { saveComment(area, true); });  // keepalive: survives the page going away
    if (left.length > 0 || inFlight > 0) { event.preventDefault(); event.returnValue = ""; }
  });
})();
