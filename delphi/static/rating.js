// Autosave for the expert rating page: every answer is POSTed as it is given; the page works without this.
(function () {
  "use strict";
  var form = document.getElementById("rating-form");
  if (!form || !window.fetch) return;
  var url = form.getAttribute("data-autosave");
  var token = form.querySelector("input[name=csrf_token]").value;
  var progressText = document.getElementById("progress-text");
  var progressBar = document.getElementById("progress-bar");

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
      if (progressText) progressText.textContent = rated + " of " + total + " items rated";
      if (progressBar) progressBar.value = rated;
      var hint = document.getElementById("submit-hint");
      if (hint) {
        hint.textContent = rated < total ? "Rate all " + total + " items first (" + (total - rated) + " left)."
                                         : "Every item is rated: you can submit.";
      }
    }
  }

  function status(article, text, isError) {
    var el = article.querySelector(".save-status");
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("error", !!isError);
  }

  function send(article, payload, onSaved) {
    status(article, "Saving…");
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok || !body.ok) throw new Error(body.error || "Not saved");
        status(article, "Saved");
        if (onSaved) onSaved();
      });
    }).catch(function (err) {
      status(article, "Not saved: " + err.message + " Use the Save button below.", true);
    });
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
      send(article, { item: item, comment: input.value });
    }
  });
})();
