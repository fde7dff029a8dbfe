// Autosave for the expert rating page: every answer is POSTed as it is given; the page works without this.
(function () {
  "use strict";
  var form = document.getElementById("rating-form");
  if (!form || !window.fetch) return;
  var url = form.getAttribute("data-autosave");
  var token = form.querySelector("input[name=csrf_token]").value;

  function status(article, text, isError) {
    var el = article.querySelector(".save-status");
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("error", !!isError);
  }

  function send(article, payload) {
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
        var text = document.getElementById("progress-text");
        var bar = document.getElementById("progress-bar");
        if (text) text.textContent = body.rated + " of " + body.total + " items rated";
        if (bar) bar.value = body.rated;
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
      send(article, { item: item, question: input.getAttribute("data-question"), value: value });
    } else if (input.hasAttribute("data-comment")) {
      send(article, { item: item, comment: input.value });
    }
  });
})();
